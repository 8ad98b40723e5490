"""Builders of events and observations for detector tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from distillguard.events import Event, parse_event


def event(
    ts: float,
    account: str = "acct_a",
    user: str = "hello there",
    system: str | None = None,
    history: int = 0,
    completion_tokens: int = 100,
    ip: str = "198.51.100.7",
    **request: Any,
) -> Event:
    messages: list[dict[str, str]] = []
    if system:
        messages.append({"role": "system", "content": system})
    for i in range(history):
        messages += [
            {"role": "user", "content": f"earlier {i}"},
            {"role": "assistant", "content": "reply"},
        ]
    messages.append({"role": "user", "content": user})
    return parse_event(
        {
            "ts": ts,
            "account": account,
            "ip": ip,
            "request": {"model": "m", "messages": messages, **request},
            "response": {
                "choices": [{"message": {"role": "assistant", "content": "ok"}}],
                "usage": {
                    "prompt_tokens": len(user) // 4 + 1,
                    "completion_tokens": completion_tokens,
                },
            },
        }
    )


@pytest.fixture
def make_event() -> Callable[..., Event]:
    return event
