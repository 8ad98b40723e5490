"""Check a request body before it goes upstream; a problem is a 400 naming the field.

The checks cover what an upstream would reject anyway (so no round trip is wasted) and
everything the event format reads (so each answered request makes a valid event).
"""

from __future__ import annotations

from typing import Any

import orjson

from distillguard.events import FieldError
from distillguard.events.schema import ROLES, parse_request
from distillguard.gateway.api_errors import bad_request
from distillguard.gateway.upstreams import Endpoint
from distillguard.store import Tier

_POSITIVE_INTS = ("max_tokens", "max_completion_tokens", "n")
_RANGES = {"temperature": (0.0, 2.0), "top_p": (0.0, 1.0)}
MAX_N = 16


def parse_body(raw: bytes, endpoint: Endpoint, tier: Tier) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise bad_request(f"The body is not valid JSON ({err}).", None, "invalid_json") from None
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object.", None, "invalid_json")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _missing_or_bad("model", model, "a model name such as 'sim-large'")
    if endpoint is Endpoint.CHAT:
        _check_messages(body.get("messages"))
    else:
        _check_prompt(body.get("prompt"))
    for name in _POSITIVE_INTS:
        v = body.get(name)
        if v is not None and (type(v) is not int or v < 1):
            raise bad_request(f"'{name}' must be a positive integer, got {v!r}.", name)
    if (body.get("n") or 1) > MAX_N:
        raise bad_request(f"'n' must be at most {MAX_N}, got {body['n']!r}.", "n")
    for name, (low, high) in _RANGES.items():
        v = body.get(name)
        if v is not None and (
            isinstance(v, bool) or not isinstance(v, int | float) or not low <= v <= high
        ):
            raise bad_request(f"'{name}' must be a number from {low} to {high}, got {v!r}.", name)
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise bad_request(f"'stream' must be true or false, got {stream!r}.", "stream")
    try:
        parse_request(body, endpoint.value)
    except FieldError as err:
        field = err.field.removeprefix("request.")
        raise bad_request(f"'{field}' {err.problem}.", field) from None
    refused = tier.disallowed(body)
    if refused:
        raise bad_request(
            f"'{refused[0]}' is not allowed on tier '{tier.name}'; remove it or move the "
            "account to a tier that allows it.",
            refused[0],
            "param_not_allowed",
        )
    return body


def _missing_or_bad(name: str, value: Any, wanted: str) -> Exception:
    if value is None:
        return bad_request(f"'{name}' is required: {wanted}.", name, "missing_required_parameter")
    return bad_request(f"'{name}' must be {wanted}, got {value!r}.", name)


def _check_messages(messages: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise _missing_or_bad("messages", messages, "a non-empty list of {role, content}")
    for i, m in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(m, dict):
            raise bad_request(f"'{where}' must be an object with role and content.", where)
        role = m.get("role")
        if role not in ROLES:
            raise bad_request(
                f"'{where}.role' must be one of {sorted(ROLES)}, got {role!r}.", f"{where}.role"
            )


def _check_prompt(prompt: Any) -> None:
    ok = isinstance(prompt, str) or (
        isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt)
    )
    if not ok:
        raise _missing_or_bad("prompt", prompt, "a string or a list of strings")
