"""Builders of policies for the enforcement tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from distillguard.policy import Policy, parse_policy

# A small ladder, mildest first, with numbers that are easy to reason about.
LADDER: list[dict[str, Any]] = [
    {
        "name": "watch",
        "when": [{"min_risk": 0.2}, {"verification": ["none"], "min_requests_per_day": 100}],
        "actions": {"watermark": True, "strip_logit_bias": True},
    },
    {
        "name": "restrict",
        "when": {"min_risk": 0.4},
        "case": True,
        "actions": {"strip_logprobs": True, "cap_n": 1, "cap_max_tokens": 256},
    },
    {"name": "withhold", "when": {"min_risk": 0.6}, "actions": {"reasoning": "none"}},
    {"name": "verify", "when": {"min_risk": 0.8}, "actions": {"require_verification": "id"}},
    {
        "name": "suspend",
        "when": [{"min_risk": 0.95}, {"min_risk": 0.6, "affiliated_developer": True}],
        "actions": {"suspend": True},
    },
]


def make_policy(**fields: Any) -> Policy:
    data: dict[str, Any] = {
        "mode": "enforce",
        "hysteresis": 0.05,
        "cooldown_s": 600,
        "levels": LADDER,
    }
    data.update(fields)
    return parse_policy(data, "(test)")


@pytest.fixture
def policy_of() -> Callable[..., Policy]:
    return make_policy
