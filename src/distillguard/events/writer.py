"""Write events as JSONL (or gzip JSONL when the name ends in .gz), one object per line.

Event files hold prompts and account ids, so they are created readable by their owner only
(0600, whatever the umask), and a folder made for them 0700.
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import orjson

from distillguard.events.schema import Event


def format_ts(ts: float) -> str:
    """RFC 3339 with milliseconds and a Z, as the spec's example writes it."""
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _default(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return dict(obj)
    raise TypeError(f"cannot write {type(obj).__name__} into an event")


PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def open_private(path: Path, *, append: bool = False, buffering: int = -1) -> IO[bytes]:
    """`path` opened to write bytes, created with mode 0600 if it does not exist (a file that
    exists keeps its mode: its operator chose it). The umask can only make 0600 stricter."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), PRIVATE_FILE)
    return os.fdopen(fd, "ab" if append else "wb", buffering=buffering)


def private_dir(path: Path) -> None:
    """Create `path` (and its parents) if missing, the folder itself with mode 0700."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)


class EventWriter:
    """Append event objects to a file; `write` takes an `Event` or a plain dict."""

    def __init__(self, path: str | Path) -> None:
        p = Path(path)
        private_dir(p.parent)
        # The file stays open across `write` calls; `close` (or the `with` block) closes it.
        self._raw = open_private(p)
        self._fh: io.BufferedIOBase | IO[bytes] = self._raw
        if p.suffix == ".gz":
            self._fh = gzip.GzipFile(str(p), "wb", compresslevel=5, fileobj=self._raw)
        self.written = 0

    def write(self, event: Event | Mapping[str, Any]) -> None:
        obj = event.raw if isinstance(event, Event) else event
        self._fh.write(orjson.dumps(obj, default=_default) + b"\n")
        self.written += 1

    def write_line(self, line: bytes) -> None:
        """Append one event already serialised as JSON (no newline), as a converter holds it."""
        self._fh.write(line + b"\n")
        self.written += 1

    def flush(self) -> None:
        """Hand what was written so far to the operating system."""
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()  # a GzipFile leaves the file it writes into open
        self._raw.close()

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
