"""Fixtures shared across test packages: valid events and files of event lines."""

from __future__ import annotations

import copy
import gzip
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson
import pytest

_EVENT: dict[str, Any] = {
    "ts": "2026-11-26T19:00:00.123Z",
    "account": "acct_7f3a",
    "key": "key_12",
    "ip": "203.0.113.9",
    "request": {
        "model": "m-large",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Explain step by step why the sky is blue."},
        ],
        "temperature": 0.7,
        "max_tokens": 1024,
    },
    "response": {
        "choices": [
            {"message": {"role": "assistant", "content": "Rayleigh..."}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 31, "completion_tokens": 412},
    },
    "status": 200,
    "latency_ms": 5230,
}


@pytest.fixture
def make_event() -> Callable[..., dict[str, Any]]:
    """Build a valid event dict (the spec's example); keyword arguments replace top-level fields."""

    def make(**fields: Any) -> dict[str, Any]:
        event = copy.deepcopy(_EVENT)
        event.update(fields)
        return event

    return make


Line = dict[str, Any] | str | bytes


@pytest.fixture
def write_lines(tmp_path: Path) -> Callable[..., Path]:
    """Write lines (dicts become JSON) to tmp_path/NAME, gzip-compressed if NAME ends in .gz."""

    def write(lines: Iterable[Line], name: str = "events.jsonl") -> Path:
        chunks = []
        for line in lines:
            if isinstance(line, dict):
                line = orjson.dumps(line)
            chunks.append((line.encode() if isinstance(line, str) else line) + b"\n")
        data = b"".join(chunks)
        path = tmp_path / name
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        return path

    return write
