"""Stream events from JSONL or gzip-compressed JSONL in constant memory.

    reader = EventReader("events.jsonl.gz", lenient=True)
    for event in reader:
        ...
    print(reader.skipped)  # {"not JSON": 2, "out of order": 1, ...}

The path may also be a folder, such as the one `distillguard serve` rotates its log in: its
`events*.jsonl` and `events*.jsonl.gz` files are read oldest first as one log (`event_files`).

Strict readers raise `EventFormatError` (or `OutOfOrderError`) naming the file, the
line and the field; lenient readers skip such lines and count them by reason, and keep the
first `keep` errors in `errors` so a caller can list them.
"""

from __future__ import annotations

import gzip
import io
import re
from collections import Counter
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO

import orjson

from distillguard.errors import EventFormatError, InputNotFoundError, OutOfOrderError
from distillguard.events.schema import Event, FieldError, parse_event

# The gateway's rotations (pipeline/event_log.py): events-YYYYMMDDTHHMMSSZ-PID-NNNN.jsonl,
# perhaps gzipped afterwards by logrotate. NNNN may outgrow four digits, so it is compared
# as a number, not as text.
_ROTATION = re.compile(r"events-(\d{8}T\d{6}Z)-(\d+)-(\d+)\.jsonl(?:\.gz)?")
FOLDER_FILES = "events*.jsonl or events*.jsonl.gz"


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


def event_files(path: str | Path) -> list[str]:
    """The files an event log path stands for: itself, or a folder's event files, oldest first.

    Rotations sort by the time they were opened, then process and sequence number; other
    `events*.jsonl` files (a simulator's `events.jsonl`) come first, by name. When a file is
    there both plain and gzipped, logrotate is still compressing it: the plain one is read.
    """
    p = Path(path)
    if str(path) == "-" or not p.is_dir():
        return [str(path)]  # a missing file is reported when it is opened
    names = {f.name for f in p.iterdir() if f.is_file()}
    chosen = [
        n
        for n in names
        if n.startswith("events")
        and (n.endswith(".jsonl") or (n.endswith(".jsonl.gz") and n[:-3] not in names))
    ]
    if not chosen:
        raise InputNotFoundError(str(p), f"event log ({FOLDER_FILES} in the folder)")
    return [str(p / n) for n in sorted(chosen, key=_rotation_order)]


def _rotation_order(name: str) -> tuple[int, str, int, int]:
    m = _ROTATION.fullmatch(name)
    if m is None:
        return (0, name, 0, 0)
    return (1, m[1], int(m[2]), int(m[3]))


class EventReader:
    """Iterate over the events of one file (or a folder's files), in order, checking each line.

    `last_ts` carries over from file to file: a folder of rotations is one ordered log.
    """

    def __init__(self, path: str | Path, *, lenient: bool = False, keep: int = 0) -> None:
        self.path = str(path)
        self.lenient = lenient
        self.keep = keep  # lenient: how many errors to keep in `errors`
        self.skipped: Counter[str] = Counter()
        self.errors: list[EventFormatError] = []
        self.files: list[str] = []  # the files of the latest pass
        self.read = 0

    def __iter__(self) -> Iterator[Event]:
        # Counts describe the latest pass, so iterating twice does not double them.
        self.skipped = Counter()
        self.errors = []
        self.read = 0
        self.files = event_files(self.path)
        last_ts = float("-inf")
        for file in self.files:
            last_ts = yield from self._read_file(file, last_ts)

    def _read_file(self, path: str, last_ts: float) -> Generator[Event, None, float]:
        loads = orjson.loads
        with open_text_lines(path) as fh:
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
                            path, lineno, "", f"not valid JSON ({err})"
                        ) from None
                    try:
                        event = parse_event(obj)
                    except FieldError as err:
                        raise EventFormatError(path, lineno, err.field, err.problem) from None
                    if event.ts < last_ts:
                        raise OutOfOrderError(
                            path,
                            lineno,
                            "ts",
                            f"goes back in time ({event.ts:.3f} after {last_ts:.3f})",
                        )
                except EventFormatError as err:
                    self._skip(err)
                    continue
                last_ts = event.ts
                self.read += 1
                yield event
        return last_ts

    def _skip(self, err: EventFormatError) -> None:
        if not self.lenient:
            raise err
        self.skipped[_reason(err)] += 1
        if len(self.errors) < self.keep:
            self.errors.append(err)


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
