"""Reading form fields and query parameters, each problem a `FormError` naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

from starlette.requests import Request

from distillguard.console.errors import FormError
from distillguard.store.text import LONG_CHARS, SHORT_CHARS

FormData = Mapping[str, object]
MAX_FORM_BYTES = 64 * 1024  # a comment of LONG_CHARS, with room to spare
URLENCODED = "application/x-www-form-urlencoded"


async def read_form(request: Request) -> dict[str, str]:
    """The posted form; the console's forms are URL-encoded (no files), so no multipart."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != URLENCODED:
        raise FormError(
            "content-type", f"{kind or 'none'}: post the console's forms as {URLENCODED}"
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormError("form", f"is over {MAX_FORM_BYTES // 1024} KiB")
    try:
        text_body = body.decode()
    except UnicodeDecodeError:
        raise FormError("form", "is not UTF-8") from None
    fields: dict[str, str] = {}
    for name, value in parse_qsl(text_body, keep_blank_values=True):
        fields.setdefault(name, value)  # the first of a repeated name, as browsers send one
    return fields


def text(form: FormData, name: str, *, required: bool = True, long: bool = False) -> str:
    """A text field, stripped; a missing or blank required one is a `FormError`."""
    value = form.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FormError(name, "must be text, not a file")
    limit = LONG_CHARS if long else SHORT_CHARS
    if len(value) > limit:
        raise FormError(name, f"is {len(value)} characters long; at most {limit} are allowed")
    value = value.strip()
    if required and not value:
        raise FormError(name, "is required" + (": say why, for the audit log" if long else ""))
    return value


def optional(params: FormData, name: str) -> str | None:
    value = text(params, name, required=False)
    return value or None


def whole(params: FormData, name: str, default: int, low: int, high: int) -> int:
    value = text(params, name, required=False)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise FormError(name, f"{value[:40]!r} is not a whole number") from None
    if not low <= number <= high:
        raise FormError(name, f"{number} is not between {low} and {high}")
    return number
