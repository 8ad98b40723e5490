"""The gateway's event log: JSONL files in one folder, a new file past a size.

Files are named `events-YYYYMMDDTHHMMSSZ-PID-NNNN.jsonl` after the time they were opened, so
one process's files sort in time order and `cat events-*.jsonl` is one ordered log that
`distillguard analyze` reads. Give each replica a folder of its own. The folder is created
0700 and the files 0600 (they hold prompts): only the gateway's user reads them.

The log is written from the journal (pipeline/journal.py), which is what makes an event
durable; `position` and `resume` let a restarted gateway cut the log back to the point its
checkpoint names and write on from there, so no event is in the log twice.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import IO

from distillguard.events.writer import open_private, private_dir

log = logging.getLogger("distillguard.gateway.events")


class RotatingEventLog:
    def __init__(self, folder: Path, rotate_bytes: int) -> None:
        self.folder = folder
        self.rotate_bytes = rotate_bytes
        self._fh: IO[bytes] | None = None
        self._path: Path | None = None
        self._size = 0
        self._seq = 0
        self.written = 0
        self.files: list[Path] = []

    def write_line(self, line: bytes) -> None:
        """Append one serialised event (no newline)."""
        self.write(line, b"\n")

    def write(self, *parts: bytes | memoryview) -> None:
        """Append one serialised event, given in pieces, the last ending in its newline
        (pieces of the journal's bytes are copied once, into the file's buffer)."""
        if self._fh is None or self._size >= self.rotate_bytes:
            self._open()
        assert self._fh is not None
        for part in parts:
            self._size += self._fh.write(part)
        self.written += 1

    def _open(self) -> None:
        self.close()
        private_dir(self.folder)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        self._seq += 1
        path = self.folder / f"events-{stamp}-{os.getpid()}-{self._seq:04d}.jsonl"
        self._attach(path)

    def _attach(self, path: Path) -> None:
        self._fh = open_private(path, append=True, buffering=1 << 16)
        self._path = path
        self._size = self._fh.tell()
        self.files.append(path)

    def ensure_open(self) -> None:
        """Open a file now, so that every checkpoint names the file its events went to."""
        if self._fh is None:
            self._open()

    def position(self) -> tuple[str | None, int]:
        """(file name, bytes written to it): where a checkpoint says the log ends."""
        return (self._path.name if self._path is not None else None), self._size

    def resume(self, name: str | None, size: int) -> None:
        """Cut the log back to `position()` as a checkpoint saved it: the file is cut to
        `size` and the files opened after it are removed (they hold only events the journal
        will give again). The next write goes on in that file."""
        if name is None:  # nothing was written before the checkpoint: nothing to cut
            return
        for path in sorted(p for p in self.folder.glob("events-*.jsonl") if p.name > name):
            log.warning("event log %s: removed, written after the last checkpoint", path)
            path.unlink()
        path = self.folder / name
        if not path.exists():
            return
        if path.stat().st_size > size:
            os.truncate(path, size)
        self._attach(path)

    def flush(self) -> None:
        if self._fh is not None:
            self._fh.flush()

    def sync(self) -> None:
        """Flush and fsync: a checkpoint never names bytes a power cut could take."""
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
