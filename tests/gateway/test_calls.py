"""What a call may use: the reservation covers every answer the upstream may generate."""

from __future__ import annotations

import pytest

from distillguard.gateway.api_errors import ApiError
from distillguard.gateway.calls import arrival_time, capped, reservation
from distillguard.store import Tier

ASK = [{"role": "user", "content": "x" * 40}]  # about 10 tokens
OPEN = Tier("open")


def test_both_cap_fields_count_and_both_are_held_to_the_cap() -> None:
    body = {"model": "m", "prompt": "x" * 40, "max_completion_tokens": 1, "max_tokens": 1000}
    cap, reserve = reservation(body, OPEN, 16_384)
    assert (cap, reserve) == (1000, 10 + 1000)
    assert capped(body, 500) == {**body, "max_completion_tokens": 500, "max_tokens": 500}
    assert capped(body, 1000) is body


def test_a_policy_cap_above_the_reserved_one_is_lowered() -> None:
    sent = {"model": "m", "messages": ASK, "max_completion_tokens": 2048}
    assert capped(sent, 1000)["max_completion_tokens"] == 1000


def test_every_prompt_of_a_list_and_best_of_are_reserved() -> None:
    listed = {"model": "m", "prompt": ["a" * 4] * 8, "max_tokens": 300}
    assert reservation(listed, OPEN, 16_384)[1] == 8 * 300 + 10  # 39 characters of prompt
    best = {"model": "m", "prompt": "a" * 4, "max_tokens": 150, "best_of": 16, "n": 2}
    assert reservation(best, OPEN, 16_384)[1] == 1 + 16 * 150


def test_a_throttled_tier_is_what_a_request_must_fit() -> None:
    throttled = Tier("t", tokens_per_min=1000)
    with pytest.raises(ApiError) as err:
        reservation({"model": "m", "messages": ASK, "max_tokens": 1500}, throttled, 16_384)
    assert err.value.code == "request_too_large_for_tier" and err.value.param == "max_tokens"
    cap, reserve = reservation({"model": "m", "messages": ASK}, throttled, 16_384)
    assert reserve <= 1000 and cap == 1000 - 10  # its own cap, shrunk to fit


@pytest.mark.parametrize("given", ["nan", "inf", "-inf", "1e300", "-5", "soon"])
def test_a_replay_time_must_be_one_an_event_can_carry(given: str) -> None:
    with pytest.raises(ApiError) as err:
        arrival_time(given, "x-distillguard-event-time")
    assert err.value.status == 400 and err.value.param == "x-distillguard-event-time"


def test_a_replay_time_in_range_is_taken() -> None:
    assert arrival_time("1764700000.5", "h") == 1764700000.5
