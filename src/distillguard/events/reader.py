"""Stream events from JSONL or gzip-compressed JSONL in constant memory.

    reader = EventReader("events.jsonl.gz", lenient=True)
    for event in reader:
        ...
    print(reader.skipped)  # {"not JSON": 2, "out of order": 1, ...}

Strict readers raise `EventFormatError` (or `OutOfOrderError`) naming the file, the
line and the field; lenient readers skip such lines and count them by reason.
"""

from __future__ import annotations

import gzip
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import orjson

from distillguard.errors import EventFormatError, InputNotFoundError, OutOfOrderError
from distillguard.events.schema import Event, FieldError, parse_event


def open_text_lines(path: str | Path) -> IO[bytes]:
    """Open a plain or gzip file for reading raw lines; `-` is standard input."""
    if str(path) == "-":
        import sys

        return sys.stdin.buffer
    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError(str(p), "event log")
    if p.suffix == ".gz":
        return io.BufferedReader(gzip.GzipFile(p, "rb"), buffer_size=1 << 20)
    return open(p, "rb", buffering=1 << 20)


class EventReader:
    """Iterate over the events of one file, in file order, checking each line."""

    def __init__(self, path: str | Path, *, lenient: bool = False) -> None:
        self.path = str(path)
        self.lenient = lenient
        self.skipped: Counter[str] = Counter()
        self.read = 0

    def __iter__(self) -> Iterator[Event]:
        # Counts describe the latest pass, so iterating twice does not double them.
        self.skipped = Counter()
        self.read = 0
        last_ts = float("-inf")
        loads = orjson.loads
        with open_text_lines(self.path) as fh:
            for lineno, line in enumerate(fh, start=1):
                # Almost every line starts with "{"; only the others need the strip (a copy)
                # that tells a blank line from a bad one.
                if line[0] != 0x7B and not line.strip():
                    continue
                try:
                    try:
                        obj = loads(line)
                    except orjson.JSONDecodeError as err:
                        raise EventFormatError(
                            self.path, lineno, "", f"not valid JSON ({err})"
                        ) from None
                    try:
                        event = parse_event(obj)
                    except FieldError as err:
                        raise EventFormatError(self.path, lineno, err.field, err.problem) from None
                    if event.ts < last_ts:
                        raise OutOfOrderError(
                            self.path,
                            lineno,
                            "ts",
                            f"goes back in time ({event.ts:.3f} after {last_ts:.3f})",
                        )
                except EventFormatError as err:
                    if not self.lenient:
                        raise
                    self.skipped[_reason(err)] += 1
                    continue
                last_ts = event.ts
                self.read += 1
                yield event


def _reason(err: EventFormatError) -> str:
    if isinstance(err, OutOfOrderError):
        return "out of order"
    if not err.field:
        return "not JSON" if err.problem.startswith("not valid JSON") else "not an object"
    if "missing" in err.problem:
        return f"missing {err.field}"
    return f"bad {err.field.split('[')[0]}"


def read_events(path: str | Path, *, lenient: bool = False) -> Iterator[Event]:
    """Shorthand for `iter(EventReader(path, lenient=lenient))`."""
    return iter(EventReader(path, lenient=lenient))
