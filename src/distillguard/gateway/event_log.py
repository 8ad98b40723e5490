"""The gateway's durable event log: JSONL files in one folder, a new file past a size.

Files are named `events-YYYYMMDDTHHMMSSZ-PID-NNNN.jsonl` after the time they were opened, so
one process's files sort in time order and `cat events-*.jsonl` is one ordered log that
`distillguard analyze` reads. Give each replica a folder of its own. The folder is created
0700 and the files 0600 (they hold prompts): only the gateway's user reads them.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from distillguard.events import EventWriter
from distillguard.events.writer import private_dir


class RotatingEventLog:
    def __init__(self, folder: Path, rotate_bytes: int) -> None:
        self.folder = folder
        self.rotate_bytes = rotate_bytes
        self._writer: EventWriter | None = None
        self._size = 0
        self._seq = 0
        self.written = 0
        self.files: list[Path] = []

    def write_line(self, line: bytes) -> None:
        """Append one serialised event (no newline)."""
        if self._writer is None or self._size >= self.rotate_bytes:
            self._open()
        assert self._writer is not None
        self._writer.write_line(line)
        self._size += len(line) + 1
        self.written += 1

    def _open(self) -> None:
        self.close()
        private_dir(self.folder)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        self._seq += 1
        path = self.folder / f"events-{stamp}-{os.getpid()}-{self._seq:04d}.jsonl"
        self._writer = EventWriter(path)
        self._size = 0
        self.files.append(path)

    def flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
