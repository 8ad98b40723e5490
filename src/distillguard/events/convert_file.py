"""Convert a whole provider log into a valid, time-sorted event log (`distillguard convert`).

Input is JSONL (optionally .gz), or one JSON array of records. Each record goes through
`convert.to_event` and then `parse_event`, so what is written always passes the strict
`EventReader`. Provider logs are rarely in arrival order, so events pass through a
`SortedSpool`: memory stays near `memory_bytes` and larger inputs spill sorted runs to
temporary files beside the output. A JSON-array input is the exception: it is loaded whole.

Strict mode stops at the first bad record with `ConvertError` (file, line, field) and leaves
no output; lenient mode skips bad records and counts them by reason. Records of calls
distillguard does not read (image generation, audio, ...) are skipped and counted in both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from distillguard.errors import ConvertError, InputNotFoundError
from distillguard.events.convert import SOURCES, UnsupportedRecord, to_event
from distillguard.events.reader import open_text_lines
from distillguard.events.schema import FieldError, parse_event
from distillguard.events.spool import SortedSpool
from distillguard.events.writer import EventWriter


@dataclass
class ConvertReport:
    """What one conversion read, wrote and skipped (by reason)."""

    source: str
    input: str
    output: str
    records: int = 0
    written: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


def _records(path: str) -> Iterator[tuple[int, str, Any]]:
    """(line or record number, where-label, decoded record or the bytes that failed)."""
    with open_text_lines(path) as fh:
        first = b""
        for first in fh:
            if first.strip():
                break
        if first.lstrip().startswith(b"["):
            # A JSON array (a pretty-printed export, an API page): it must be read whole.
            data = first + fh.read()
            try:
                rows = orjson.loads(data)
            except orjson.JSONDecodeError as err:
                raise ConvertError(path, 1, f"not a valid JSON array ({err})") from None
            for i, row in enumerate(rows, start=1):
                yield i, f" (record {i} of the JSON array)", row
            return
        lineno = 0
        for lineno, line in enumerate(_chain(first, fh), start=1):
            if line.strip():
                yield lineno, "", line


def _chain(first: bytes, rest: Any) -> Iterator[bytes]:
    yield first
    yield from rest


def _reason(err: FieldError) -> str:
    if not err.field:
        return "not JSON" if err.problem.startswith("not valid JSON") else "not an object"
    if "missing" in err.problem or "is required" in err.problem:
        return f"missing {err.field}"
    return f"bad {err.field.split('[')[0]}"


def convert_file(
    source: str,
    src: str | Path,
    out: str | Path,
    *,
    lenient: bool = False,
    account: str | None = None,
    memory_bytes: int = 256 << 20,
) -> ConvertReport:
    """Convert `src` (a `source` log) into the event log `out` (.jsonl or .jsonl.gz)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {SOURCES}")
    path = str(src)
    if path != "-" and not Path(path).is_file():
        raise InputNotFoundError(path, f"{source} log")
    out = Path(out)
    report = ConvertReport(source, path, str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f"{out.stem}.partial{out.suffix}")  # keeps .gz last
    with SortedSpool(memory_bytes, tmp_dir=out.parent) as spool:
        for lineno, where, record in _records(path):
            report.records += 1
            try:
                event = _convert_one(source, record, account)
            except UnsupportedRecord as err:
                report.skipped[f"unsupported {err.field} {err.value}"] += 1
                continue
            except FieldError as err:
                if not lenient:
                    at = f"field '{err.field}': " if err.field else ""
                    problem = f"{at}{err.problem}{where}; use --lenient to skip bad records"
                    raise ConvertError(path, lineno, problem) from None
                report.skipped[_reason(err)] += 1
                continue
            spool.add(*event)
        try:
            with EventWriter(partial) as writer:
                for line in spool.sorted():
                    writer.write_line(line)
                report.written = writer.written
            partial.replace(out)
        finally:
            partial.unlink(missing_ok=True)
    return report


def _convert_one(source: str, record: Any, account: str | None) -> tuple[float, bytes]:
    """(ts, serialised event) for one record; `FieldError` names what is wrong with it."""
    if isinstance(record, bytes):
        try:
            record = orjson.loads(record)
        except orjson.JSONDecodeError as err:
            raise FieldError("", f"not valid JSON ({err})") from None
    event = to_event(source, record, account)
    try:
        ts = parse_event(event).ts  # what we write must pass the strict reader
    except FieldError as err:
        raise FieldError(err.field, f"{err.problem} (in the converted event)") from None
    return ts, orjson.dumps(event)
