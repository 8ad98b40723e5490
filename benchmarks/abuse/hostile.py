"""The hostile request bodies and admin queries of the abuse benchmark, generated, not listed.

Every field the gateway reads gets every value of the wrong kinds (type confusion, odd
numbers, huge sizes, deep nesting), one field at a time on an otherwise valid request, plus
bodies that are not JSON objects at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

BASE: dict[str, Any] = {"model": "sim-large", "messages": [{"role": "user", "content": "hi"}]}
ODD: list[Any] = [
    None,
    True,
    0,
    -1,
    10**9,
    10**30,
    1.5,
    "",
    "x" * 5000,
    [],
    [1],
    {},
    {"a": 1},
    "NaN",
]
FIELDS = [
    "model",
    "messages",
    "temperature",
    "top_p",
    "n",
    "max_tokens",
    "max_completion_tokens",
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "tools",
    "tool_choice",
    "response_format",
    "seed",
    "stream",
    "stop",
    "reasoning_effort",
    "prompt",
]
MESSAGE_FIELDS = ["role", "content", "name", "tool_calls", "tool_call_id"]


def hostile_bodies(smoke: bool = False) -> Iterator[bytes]:
    values = ODD[:5] if smoke else ODD
    for field in FIELDS:
        for value in values:
            yield json.dumps({**BASE, field: value}).encode()
    for field in MESSAGE_FIELDS:
        for value in values:
            yield json.dumps({**BASE, "messages": [{"role": "user", field: value}]}).encode()
    yield json.dumps(
        {**BASE, "messages": [{"role": "user", "content": [{"type": v}]} for v in values]}
    ).encode()
    yield json.dumps({**BASE, "logit_bias": {str(i): 1 for i in range(1000)}}).encode()
    yield json.dumps({**BASE, "messages": BASE["messages"] * 5000}).encode()
    yield json.dumps({**BASE, "n": 1000}).encode()
    deep = b"[" * 5000 + b'"x"' + b"]" * 5000  # past orjson's (and any parser's) depth
    yield b'{"model": "sim-large", "messages": ' + deep + b"}"
    yield from (b"", b"null", b"[]", b"42", b'"text"', b"{", b"\xff\xfe", b'{"model": NaN}')
    yield b'{"model": "sim-large", "messages": [{"role": "user", "content": "\\ud800"}]}'


def admin_queries() -> list[str]:
    out = []
    for value in ("²", "-1", "0", "1e3", "9" * 400, "", "%00", "١٢", "abc"):
        out.append(f"/admin/audit?limit={value}")
        out.append(f"/admin/cases?limit={value}")
    for status in ("", "nonsense", "%00"):
        out.append(f"/admin/cases?status={status}")
    out += ["/admin/accounts/" + "a" * 5000, "/admin/accounts/%00", "/admin/cases/%ff"]
    return out
