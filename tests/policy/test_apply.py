"""Requests and responses under a decision: stripped, capped, refused, or left alone."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from distillguard.policy import (
    AccountAttributes,
    ChangeKind,
    Decision,
    Enforcer,
    Policy,
    apply_request,
    apply_response,
)
from distillguard.policy.apply import WITHHELD

VERIFIED = AccountAttributes(verification="id")

PROBE: dict[str, Any] = {
    "model": "m-large",
    "messages": [{"role": "user", "content": "Hello"}],
    "max_tokens": 1024,
    "n": 3,
    "logprobs": True,
    "top_logprobs": 20,
    "logit_bias": {"1234": 100, "1235": 100},
}


def decision_at(policy: Policy, risk: float, attrs: AccountAttributes = VERIFIED) -> Decision:
    e = Enforcer(policy)
    e.observe("a", risk, now=0.0, attrs=attrs)
    return e.decision("a")


def kinds(changes: tuple[Any, ...]) -> list[ChangeKind]:
    return [c.kind for c in changes]


def test_an_open_decision_passes_the_same_body(policy_of: Callable[..., Policy]) -> None:
    d = decision_at(policy_of(), 0.0)
    out = apply_request(PROBE, d)
    assert out.body is PROBE and out.changes == () and not out.denied


def test_restrict_strips_and_caps_without_touching_the_input(
    policy_of: Callable[..., Policy],
) -> None:
    body = copy.deepcopy(PROBE)
    out = apply_request(body, decision_at(policy_of(), 0.45))
    assert body == PROBE  # not mutated
    assert out.applied and out.watermark
    assert out.body == {
        "model": "m-large",
        "messages": body["messages"],
        "max_tokens": 256,
        "n": 1,
    }
    assert kinds(out.changes) == [
        ChangeKind.STRIP_LOGPROBS,
        ChangeKind.STRIP_LOGIT_BIAS,
        ChangeKind.CAP_N,
        ChangeKind.CAP_MAX_TOKENS,
        ChangeKind.WATERMARK,
    ]
    cap = out.changes[3]
    assert (cap.field, cap.before, cap.after) == ("max_tokens", 1024, 256)


def test_a_cap_becomes_the_limit_of_a_request_without_one(
    policy_of: Callable[..., Policy],
) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    d = decision_at(policy_of(), 0.45)
    assert apply_request(body, d).body["max_completion_tokens"] == 256
    assert apply_request({"model": "m", "prompt": "x"}, d, "completions").body["max_tokens"] == 256


def test_tier_caps_on_top_logprobs_chat_and_legacy(policy_of: Callable[..., Policy]) -> None:
    policy = policy_of(tiers={"standard": {"top_logprobs_max": 5}})
    d = Enforcer(policy).decision("a")
    chat = apply_request(PROBE, d)
    assert chat.body["top_logprobs"] == 5 and chat.body["logprobs"] is True
    legacy = {"model": "m", "prompt": "Answer:", "logprobs": 10, "max_tokens": 1}
    out = apply_request(legacy, d, "completions")
    assert out.body["logprobs"] == 5
    assert kinds(out.changes) == [ChangeKind.CAP_TOP_LOGPROBS]
    stripped = apply_request(legacy, decision_at(policy, 0.45), "completions")
    assert "logprobs" not in stripped.body


def test_denial_and_shadow(policy_of: Callable[..., Policy]) -> None:
    unverified = AccountAttributes()
    out = apply_request(PROBE, decision_at(policy_of(), 0.85, unverified))
    assert out.denied and out.denial is not None
    assert out.denial.code == "verification_required" and out.body is PROBE
    shadow = policy_of(mode="shadow")
    out = apply_request(PROBE, decision_at(shadow, 0.85, unverified))
    assert not out.denied and not out.applied and kinds(out.changes) == [ChangeKind.DENY]
    out = apply_request(PROBE, decision_at(shadow, 0.45))
    assert out.body is PROBE and not out.applied
    assert ChangeKind.STRIP_LOGIT_BIAS in kinds(out.changes)  # what enforce would have done


def chat_response(**message: Any) -> dict[str, Any]:
    return {
        "id": "cmpl-1",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "42", **message}},
            {"index": 1, "message": {"role": "assistant", "content": "41"}},
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 300},
    }


TRACE = "First, note that six times seven is forty-two. " * 20


@pytest.mark.parametrize("exposure", ["none", "summary"])
def test_reasoning_is_withheld_or_cut_short(
    policy_of: Callable[..., Policy], exposure: str
) -> None:
    policy = policy_of(tiers={"standard": {"reasoning": exposure}}, summary_chars=50)
    response = chat_response(reasoning_content=TRACE, reasoning_details=[{"t": 1}])
    before = copy.deepcopy(response)
    out = apply_response(response, Enforcer(policy).decision("a"), policy.summary_chars)
    assert response == before
    message = out.body["choices"][0]["message"]
    assert message["content"] == "42" and "reasoning_details" not in message
    assert out.body["choices"][1] is response["choices"][1]
    assert out.body["usage"] == response["usage"]
    if exposure == "none":
        assert "reasoning_content" not in message
        assert kinds(out.changes) == [ChangeKind.WITHHOLD_REASONING] * 2
    else:
        assert message["reasoning_content"] == TRACE[:50] + " ... " + WITHHELD
        assert kinds(out.changes)[0] is ChangeKind.SUMMARIZE_REASONING


def test_a_response_without_reasoning_is_returned_as_is(policy_of: Callable[..., Policy]) -> None:
    d = decision_at(policy_of(), 0.65)
    response = chat_response()
    out = apply_response(response, d)
    assert out.body is response and out.changes == ()
