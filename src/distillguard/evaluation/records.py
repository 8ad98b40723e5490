"""JSON Lines records files (labels, detector output): one object per non-blank line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from distillguard.errors import InputNotFoundError, RecordFormatError


def json_objects(
    path: Path, what: str, error: type[RecordFormatError]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each record; `error` names a bad line's file and line."""
    if not path.is_file():
        raise InputNotFoundError(str(path), what)
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as err:
                raise error(str(path), lineno, f"not valid JSON ({err})") from None
            if not isinstance(obj, dict):
                raise error(str(path), lineno, "must be a JSON object")
            yield lineno, obj
