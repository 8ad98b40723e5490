"""Write events as JSONL (or gzip JSONL when the name ends in .gz), one object per line."""

from __future__ import annotations

import gzip
import io
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

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


class EventWriter:
    """Append event objects to a file; `write` takes an `Event` or a plain dict."""

    def __init__(self, path: str | Path) -> None:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        # The file stays open across `write` calls; `close` (or the `with` block) closes it.
        self._fh: io.BufferedIOBase
        if p.suffix == ".gz":
            self._fh = gzip.GzipFile(p, "wb", compresslevel=5)
        else:
            self._fh = open(p, "wb")  # noqa: SIM115
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
        self._fh.close()

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
