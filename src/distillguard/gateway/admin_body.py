"""Reading and answering the admin API's JSON bodies, with 400s that name the field."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response

from distillguard.gateway.api_errors import bad_request

T = TypeVar("T")


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
    return value


def attributes(body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, kind in (("verification", str), ("org_type", str), ("affiliated_developer", bool)):
        value = field(body, name, kind)
        if value is not None:
            out[name] = value
    return out


def text_field(body: dict[str, Any], name: str) -> str:
    value = field(body, name, str, required=True)
    assert value is not None
    return value
