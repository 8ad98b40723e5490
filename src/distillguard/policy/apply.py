"""Apply a `Decision` to a request body and to a response body: pure functions.

    out = apply_request(body, decision, "chat.completions")
    if out.denial and out.applied:  -> refuse with out.denial (403, its code and message)
    send out.body upstream (ask it to watermark if out.watermark and it can)
    answer = apply_response(upstream_body, decision).body

Inputs are never mutated; a changed body is a new dict (nested objects copied only where
changed). In shadow mode (`decision.shadow`) the original body comes back, `applied` is
false and `changes` lists what enforce mode would have changed, for the record. A request
whose decision changes nothing costs one attribute test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from distillguard.policy.decision import Decision, Denial, Effect

# Where providers put reasoning: DeepSeek and vLLM `reasoning_content`, OpenRouter and newer
# vLLM `reasoning` (text) and `reasoning_details` (structured parts, never previewed).
REASONING_FIELDS = ("reasoning_content", "reasoning", "reasoning_details")
PREVIEWED = frozenset({"reasoning_content", "reasoning"})
WITHHELD = "[reasoning withheld by the provider's usage policy]"


class ChangeKind(StrEnum):
    DENY = "deny"
    STRIP_LOGPROBS = "strip_logprobs"
    CAP_TOP_LOGPROBS = "cap_top_logprobs"
    STRIP_LOGIT_BIAS = "strip_logit_bias"
    CAP_N = "cap_n"
    CAP_MAX_TOKENS = "cap_max_tokens"
    WATERMARK = "watermark"
    WITHHOLD_REASONING = "withhold_reasoning"
    SUMMARIZE_REASONING = "summarize_reasoning"


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    field: str  # the body field (dotted for nested ones), "" when none
    before: Any = None
    after: Any = None  # None: removed


@dataclass(frozen=True, slots=True)
class Outcome:
    """A body after the decision: what to send on, and what changed (or would have)."""

    body: Mapping[str, Any]
    changes: tuple[Change, ...] = ()
    applied: bool = True  # False in shadow mode: `body` is the original
    denial: Denial | None = None
    watermark: bool = False  # ask the upstream to watermark this answer

    @property
    def denied(self) -> bool:
        """Whether the gateway must refuse the request (never in shadow mode)."""
        return self.applied and self.denial is not None


def apply_request(
    body: Mapping[str, Any], decision: Decision, endpoint: str = "chat.completions"
) -> Outcome:
    """The request as the decision allows it: parameters stripped or capped, or a refusal."""
    e = decision.effect
    applied = not decision.shadow
    if decision.denial is not None:
        change = Change(ChangeKind.DENY, "", decision.level, decision.denial.code)
        return Outcome(body, (change,), applied, decision.denial)
    if not decision.changes_anything:
        return Outcome(body)
    new = dict(body)
    changes: list[Change] = []
    if endpoint == "completions":
        _legacy_logprobs(new, e, changes)
    else:
        _chat_logprobs(new, e, changes)
    if not e.logit_bias and new.get("logit_bias"):
        changes.append(Change(ChangeKind.STRIP_LOGIT_BIAS, "logit_bias", new.pop("logit_bias")))
    n = new.get("n")
    if e.n_max is not None and isinstance(n, int) and n > e.n_max:
        new["n"] = e.n_max
        changes.append(Change(ChangeKind.CAP_N, "n", n, e.n_max))
    if e.max_tokens_max is not None:
        _cap_max_tokens(new, e.max_tokens_max, endpoint, changes)
    if e.watermark:
        changes.append(Change(ChangeKind.WATERMARK, ""))
    if not changes:
        return Outcome(body)
    return Outcome(new if applied else body, tuple(changes), applied, None, e.watermark)


def _chat_logprobs(new: dict[str, Any], e: Effect, changes: list[Change]) -> None:
    top = new.get("top_logprobs")
    if not e.logprobs:
        if new.get("logprobs") or top is not None:
            before = new.pop("logprobs", None), new.pop("top_logprobs", None)
            changes.append(Change(ChangeKind.STRIP_LOGPROBS, "logprobs", before))
        return
    cap = e.top_logprobs_max
    if cap is not None and isinstance(top, int) and top > cap:
        if cap == 0:
            del new["top_logprobs"]
        else:
            new["top_logprobs"] = cap
        changes.append(Change(ChangeKind.CAP_TOP_LOGPROBS, "top_logprobs", top, cap or None))


def _legacy_logprobs(new: dict[str, Any], e: Effect, changes: list[Change]) -> None:
    """The completions endpoint: `logprobs` is the number of alternatives per token."""
    lp = new.get("logprobs")
    if lp is None or isinstance(lp, bool):
        return
    if not e.logprobs:
        del new["logprobs"]
        changes.append(Change(ChangeKind.STRIP_LOGPROBS, "logprobs", lp))
        return
    cap = e.top_logprobs_max
    if cap is not None and isinstance(lp, int) and lp > cap:
        new["logprobs"] = cap
        changes.append(Change(ChangeKind.CAP_TOP_LOGPROBS, "logprobs", lp, cap))


def _cap_max_tokens(new: dict[str, Any], cap: int, endpoint: str, changes: list[Change]) -> None:
    present = [k for k in ("max_tokens", "max_completion_tokens") if k in new]
    if not present:  # no limit asked for: the cap becomes the limit
        key = "max_tokens" if endpoint == "completions" else "max_completion_tokens"
        new[key] = cap
        changes.append(Change(ChangeKind.CAP_MAX_TOKENS, key, None, cap))
        return
    for key in present:
        v = new[key]
        if isinstance(v, int) and v > cap:
            new[key] = cap
            changes.append(Change(ChangeKind.CAP_MAX_TOKENS, key, v, cap))


def summarize(text: str, chars: int) -> str:
    """A short preview of a reasoning trace: its first `chars` characters, then a marker."""
    if len(text) <= chars:
        return text
    return (text[:chars] + " ... " if chars else "") + WITHHELD


def apply_response(
    response: Mapping[str, Any], decision: Decision, summary_chars: int = 200
) -> Outcome:
    """The response as the decision allows it: reasoning dropped or cut to a preview."""
    exposure = decision.effect.reasoning
    choices = response.get("choices")
    if exposure == "full" or not isinstance(choices, list):
        return Outcome(response)
    changes: list[Change] = []
    new_choices = []
    for i, choice in enumerate(choices):
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict) or not any(f in message for f in REASONING_FIELDS):
            new_choices.append(choice)
            continue
        msg = dict(message)
        for f in REASONING_FIELDS:
            if f not in msg:
                continue
            before = msg.pop(f)
            if exposure == "summary" and f in PREVIEWED and isinstance(before, str):
                msg[f] = summarize(before, summary_chars)
                if msg[f] != before:
                    changes.append(Change(ChangeKind.SUMMARIZE_REASONING, _at(i, f), len(before)))
            else:
                changes.append(Change(ChangeKind.WITHHOLD_REASONING, _at(i, f), _size(before)))
        new_choices.append({**choice, "message": msg})
    if not changes:
        return Outcome(response)
    applied = not decision.shadow
    new = {**response, "choices": new_choices} if applied else response
    return Outcome(new, tuple(changes), applied)


def _at(i: int, name: str) -> str:
    return f"choices[{i}].message.{name}"


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | list) else 1
