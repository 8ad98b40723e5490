"""Reading and answering the admin API's JSON bodies and query strings, with 400s that name the
field or parameter.

Text is checked here as the store checks it (`store.text`): at most 200 characters for names
and authors, no control characters, so SQLite and PostgreSQL answer the same 400.
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response

from distillguard.errors import InvalidFieldError
from distillguard.gateway.api_errors import bad_request
from distillguard.store.text import LONG_CHARS, checked

T = TypeVar("T")
_MAX_DIGITS = 9  # a limit past this is refused before int() (which reads up to 4300 digits)


def json_response(value: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(value), status, media_type="application/json")


async def object_body(request: Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError as err:
        raise bad_request(f"The body is not valid JSON ({err}).", None, "invalid_json") from None
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object.", None, "invalid_json")
    return body


def field(body: dict[str, Any], name: str, kind: type[T], *, required: bool = False) -> T | None:
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"'{name}' is required.", name, "missing_field")
        return None
    if not isinstance(value, kind) or (kind is str and not value):
        raise bad_request(f"'{name}' must be a non-empty {kind.__name__}.", name)
    if isinstance(value, str):
        checked_text(name, value)
    return value


def checked_text(name: str, value: str, *, long: bool = False) -> str:
    """`value` if the store can take it (see `store.text`); otherwise a 400 naming `name`."""
    try:
        if long:
            return checked(name, value, limit=LONG_CHARS, multiline=True)
        return checked(name, value)
    except InvalidFieldError as err:
        raise bad_request(f"'{name}' {err.problem}.", name) from None


def attributes(body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, kind in (("verification", str), ("org_type", str), ("affiliated_developer", bool)):
        value = field(body, name, kind)
        if value is not None:
            out[name] = value
    return out


def text_field(body: dict[str, Any], name: str, *, long: bool = False) -> str:
    """A required non-empty string: up to 200 characters on one line, or when `long` a free
    text of up to 20,000 with line breaks."""
    value = body.get(name)
    if value is None:
        raise bad_request(f"'{name}' is required.", name, "missing_field")
    if not isinstance(value, str) or not value:
        raise bad_request(f"'{name}' must be a non-empty str.", name)
    return checked_text(name, value, long=long)


def query_text(request: Request, name: str) -> str | None:
    """A query parameter as text the store can take, or None when absent."""
    raw = request.query_params.get(name)
    return None if raw is None else checked_text(name, raw)


def query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter within [low, high], written in ASCII digits: `int()`
    alone takes '²'-free Unicode digits ('١٢'), signs, spaces and underscores, and '²'
    passes `str.isdigit` yet fails `int()`."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw.isascii() and raw.isdigit() and len(raw) <= _MAX_DIGITS and low <= int(raw) <= high:
        return int(raw)
    shown = raw[:20]
    raise bad_request(f"{name} must be a whole number from {low} to {high}, not {shown!r}.", name)
