"""Sort serialised events by time in bounded memory: an external merge sort.

    spool = SortedSpool(memory_bytes=256 << 20)
    for ts, line in lines:
        spool.add(ts, line)
    for line in spool.sorted():   # non-decreasing ts; equal ts keep the order added
        out.write(line)
    spool.close()

Lines are held in memory until they pass `memory_bytes`; then the buffer is sorted and
spilled to a temporary file as one run, and `sorted()` merges the runs. Memory stays about
`memory_bytes` whatever the input size; disk use is about the input size.
"""

from __future__ import annotations

import heapq
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

_HEADER = struct.Struct("<dI")  # ts, length of the line that follows
_OVERHEAD = 120  # bytes a buffered (ts, seq, line) tuple costs beyond the line itself


class SortedSpool:
    """Collect (ts, line) pairs; give the lines back in ts order, stable."""

    def __init__(self, memory_bytes: int = 256 << 20, tmp_dir: str | Path | None = None) -> None:
        if memory_bytes <= 0:
            raise ValueError(f"memory_bytes must be positive, got {memory_bytes}")
        self.memory_bytes = memory_bytes
        self.tmp_dir = tmp_dir
        self.runs: list[IO[bytes]] = []
        self._buffer: list[tuple[float, int, bytes]] = []
        self._held = 0
        self._seq = 0

    def add(self, ts: float, line: bytes) -> None:
        # `seq` breaks ties so equal timestamps keep their input order.
        self._buffer.append((ts, self._seq, line))
        self._seq += 1
        self._held += len(line) + _OVERHEAD
        if self._held >= self.memory_bytes:
            self._spill()

    def _spill(self) -> None:
        run = tempfile.TemporaryFile(dir=self.tmp_dir)  # noqa: SIM115 - closed by close()
        self._buffer.sort()
        pack = _HEADER.pack
        for ts, _, line in self._buffer:
            run.write(pack(ts, len(line)))
            run.write(line)
        run.seek(0)
        self.runs.append(run)
        self._buffer = []
        self._held = 0

    def sorted(self) -> Iterator[bytes]:
        """Every line added, in non-decreasing ts order (call once)."""
        self._buffer.sort()
        if not self.runs:
            return (line for _, _, line in self._buffer)
        # Runs were spilled in input order and heapq.merge prefers the earlier iterable on
        # equal keys, so the merge is stable too. The in-memory tail is the last run.
        streams = [_read_run(run) for run in self.runs]
        streams.append((ts, line) for ts, _, line in self._buffer)
        return (line for _, line in heapq.merge(*streams, key=lambda item: item[0]))

    def close(self) -> None:
        for run in self.runs:
            run.close()
        self.runs = []
        self._buffer = []

    def __enter__(self) -> SortedSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_run(run: IO[bytes]) -> Iterator[tuple[float, bytes]]:
    size = _HEADER.size
    unpack = _HEADER.unpack
    while header := run.read(size):
        ts, length = unpack(header)
        yield ts, run.read(length)
