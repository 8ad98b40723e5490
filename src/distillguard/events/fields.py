"""Reading one field of a decoded event object: its value if the type is right, else a
`FieldError` naming the dotted path. `schema` builds events from these.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from distillguard.errors import DistillguardError


class FieldError(DistillguardError, ValueError):
    """A field of an event object is missing or has the wrong type (no file context yet).

    Also a `ValueError`, as it always was; a `DistillguardError`, so that a command that
    reports those reports this one too.
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


# Unix seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: a time outside them has no
# calendar date, so nothing could write it back (`writer.format_ts`) or show it in a report.
MIN_TS, MAX_TS = -62135596800.0, 253402300799.0


def parse_ts(value: Any, name: str = "ts") -> float:
    """Unix seconds from an RFC 3339 string or a number, within the years 1 to 9999."""
    if isinstance(value, bool):
        raise FieldError(name, "must be an RFC 3339 string or Unix seconds, got a boolean")
    if isinstance(value, int | float):
        return in_calendar(float(value), name, value)
    if isinstance(value, str):
        text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise FieldError(name, f"{value!r} is not an RFC 3339 timestamp") from None
        if dt.tzinfo is None:
            raise FieldError(name, f"{value!r} has no time zone; add 'Z' or an offset")
        return in_calendar(dt.timestamp(), name, value)
    raise FieldError(name, f"must be an RFC 3339 string or Unix seconds, got {type_name(value)}")


def in_calendar(ts: float, name: str, given: Any) -> float:
    """`ts`, if it is a time between the years 1 and 9999 (UTC); otherwise a `FieldError`."""
    if not MIN_TS <= ts <= MAX_TS:  # NaN fails this too
        shown = repr(given) if len(repr(given)) <= 40 else repr(given)[:37] + "..."
        raise FieldError(name, f"{shown} is not a time between the years 1 and 9999 (UTC)")
    return ts


def type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def read_str(obj: Mapping[str, Any], key: str, path: str) -> str | None:
    v = obj.get(key)
    if v is None or isinstance(v, str):
        return v
    raise FieldError(f"{path}{key}", f"must be a string, got {type_name(v)}")


def read_int(obj: Mapping[str, Any], key: str, path: str) -> int | None:
    v = obj.get(key)
    if v is None or (isinstance(v, int) and not isinstance(v, bool)):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    raise FieldError(f"{path}{key}", f"must be an integer, got {type_name(v)} {v!r}")


def read_num(obj: Mapping[str, Any], key: str, path: str) -> float | None:
    v = obj.get(key)
    if v is None:
        return None
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v)
    raise FieldError(f"{path}{key}", f"must be a number, got {type_name(v)} {v!r}")


def read_bool(obj: Mapping[str, Any], key: str, path: str) -> bool:
    v = obj.get(key)
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    raise FieldError(f"{path}{key}", f"must be true or false, got {type_name(v)} {v!r}")


# Content parts whose `text` is read: chat's own, and the Responses API's names for the same.
TEXT_PARTS = frozenset({"text", "input_text", "output_text"})


def content_text(v: Any, path: str) -> str:
    if v is None or isinstance(v, str):
        return v or ""
    if isinstance(v, list):
        texts = []
        for i, part in enumerate(v):
            if not isinstance(part, dict):
                raise FieldError(f"{path}[{i}]", f"must be an object, got {type_name(part)}")
            kind = part.get("type")
            if isinstance(kind, str) and kind in TEXT_PARTS:
                text = part.get("text")
                if not isinstance(text, str):
                    raise FieldError(
                        f"{path}[{i}].text", f"must be a string, got {type_name(text)}"
                    )
                texts.append(text)
        return "\n".join(texts)
    raise FieldError(path, f"must be a string or a list of parts, got {type_name(v)}")


def read_object(obj: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    """An optional nested object: absent or null reads as empty, any other non-object is bad."""
    v = obj.get(key)
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise FieldError(f"{path}{key}", f"must be an object, got {type_name(v)}")
    return v
