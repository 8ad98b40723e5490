"""One process per folder: an exclusive, non-blocking flock on a file in it.

The lock goes with the process: a process killed with -9 releases it, so a restart never
finds a stale lock to clean up.
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import IO

from distillguard.errors import DistillguardError
from distillguard.events.writer import open_private


class FolderBusy(DistillguardError):
    """Another process holds the folder; the message says which folder and what to do."""


def hold(path: Path, busy: str) -> IO[bytes]:
    """The open lock file (keep it open while the folder is yours); raises FolderBusy with
    the message `busy` when another process holds it."""
    fh = open_private(path, append=True)
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise FolderBusy(busy) from None
    return fh
