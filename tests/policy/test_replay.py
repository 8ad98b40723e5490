"""The replay: the real analyzer and enforcer over events; what each request would have got."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from distillguard.detect.engine import Analyzer, Score
from distillguard.events import Event, parse_event
from distillguard.policy import AccountAttributes, Policy
from distillguard.policy.replay import AccountTally, Replay, Verdict, summarize

VERIFIED = AccountAttributes(verification="id")


def event(
    ts: float,
    account: str = "acct_a",
    completion_tokens: int = 50,
    reasoning: str | None = None,
    **request: Any,
) -> Event:
    message: dict[str, Any] = {"role": "assistant", "content": "ok"}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    return parse_event(
        {
            "ts": ts,
            "account": account,
            "request": {
                "model": "m",
                "messages": [{"role": "user", "content": f"question {ts}"}],
                **request,
            },
            "response": {
                "choices": [{"message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": completion_tokens},
            },
        }
    )


def probe(i: int) -> Event:
    """Carlini-style: one token, top_logprobs, a logit_bias sweep over token ids."""
    bias = {str(1000 + 5 * i + k): 100 for k in range(5)}
    return event(
        float(i), "acct_probe", 1, max_tokens=1, logprobs=True, top_logprobs=20, logit_bias=bias
    )


def test_a_logit_probe_is_cut_off_once_detected(policy_of: Callable[..., Policy]) -> None:
    replay = Replay(policy_of(), attributes={"acct_probe": VERIFIED})
    verdicts = [replay.step(probe(i)) for i in range(300)]
    first_cut = verdicts.index(Verdict.DEGRADED)
    assert 0 < first_cut < 100, "detected within the first hundred probes"
    assert set(verdicts[:first_cut]) == {Verdict.FULL}
    assert Verdict.FULL not in verdicts[first_cut:]
    assert verdicts[-1] is Verdict.DENIED  # risk reaches verify; id-verified: suspended
    tally = replay.accounts["acct_probe"]
    assert tally.causes["strip_logit_bias"] > 0
    ups = [t for t in replay.transitions if t.escalation]
    assert ups and ups[0].from_level == "none" and ups[-1].to_level == "suspend"


def test_own_evidence_is_not_counted_as_carried(policy_of: Callable[..., Policy]) -> None:
    """A probe caught on its own requests: every refusal stands without any campaign."""
    replay = Replay(policy_of(), attributes={"acct_probe": VERIFIED})
    verdicts = [replay.step(probe(i)) for i in range(300)]
    tally = replay.accounts["acct_probe"]
    assert tally.verdicts[Verdict.DEGRADED] + tally.verdicts[Verdict.DENIED] > 100
    assert Verdict.DENIED in verdicts and tally.carried == 0


class _CampaignOnly(Analyzer):
    """Detection as the real analyzer runs it, except that `acct_m` sits in a campaign at
    risk 0.9 while its own behaviour scores 0.1 (as a bystander linked by mistake)."""

    def process(self, event: Event) -> Score:
        score = super().process(event)
        if event.account != "acct_m":
            return score
        return replace(
            score, risk=0.9, held=0.9, own_held=0.1, fresh=True, campaign="c1", campaign_risk=0.9
        )


def test_a_campaign_s_risk_alone_counts_as_carried(policy_of: Callable[..., Policy]) -> None:
    replay = Replay(policy_of(), analyzer=_CampaignOnly(), attributes={"acct_m": VERIFIED})
    verdicts = [replay.step(event(float(i), "acct_m", logprobs=True)) for i in range(50)]
    replay.step(event(51.0, "acct_x", logprobs=True))
    member = replay.accounts["acct_m"]
    harmed = member.verdicts[Verdict.DEGRADED] + member.verdicts[Verdict.DENIED]
    assert verdicts[0] is Verdict.FULL and harmed == 49  # from the second request on
    assert member.carried == harmed  # on its own risk (0.1) nothing would have been cut
    assert replay.accounts["acct_x"].carried == 0
    g = summarize("all", list(replay.accounts.values()))
    assert g.carried == 49 / 51


def test_unverified_accounts_start_on_their_level(policy_of: Callable[..., Policy]) -> None:
    policy = policy_of(
        levels=[
            {
                "name": "probation",
                "when": {"verification": ["none"]},
                "actions": {"watermark": True, "strip_logit_bias": True},
            }
        ]
    )
    replay = Replay(policy, attributes={"acct_v": VERIFIED})
    assert replay.step(probe(0)) is Verdict.DEGRADED  # from the very first request
    assert replay.step(event(1.0, "acct_u")) is Verdict.WATERMARKED
    assert replay.step(event(2.0, "acct_v")) is Verdict.FULL
    assert [t.to_level for t in replay.transitions] == ["probation", "probation"]


def test_a_max_tokens_cap_degrades_only_answers_it_would_cut(
    policy_of: Callable[..., Policy],
) -> None:
    policy = policy_of(tiers={"standard": {"max_tokens_max": 100}})
    replay = Replay(policy, attributes={"acct_a": VERIFIED})
    assert replay.step(event(0.0, completion_tokens=80, max_tokens=4096)) is Verdict.FULL
    assert replay.step(event(1.0, completion_tokens=120, max_tokens=4096)) is Verdict.DEGRADED
    assert replay.accounts["acct_a"].causes == {"cap_max_tokens": 1}


def test_an_answer_logged_without_usage_is_measured_against_a_cap_by_its_text(
    policy_of: Callable[..., Policy],
) -> None:
    policy = policy_of(tiers={"standard": {"max_tokens_max": 100}})
    replay = Replay(policy, attributes={"acct_a": VERIFIED})
    for ts, chars in ((0.0, 300), (1.0, 600)):  # about 75 and 150 tokens
        raw = dict(event(ts, max_tokens=4096).raw)
        raw["response"] = {"choices": [{"message": {"content": "x" * chars}}]}
        replay.step(parse_event(raw))
    assert replay.accounts["acct_a"].causes == {"cap_max_tokens": 1}


def test_withheld_reasoning_degrades_only_answers_that_had_some(
    policy_of: Callable[..., Policy],
) -> None:
    policy = policy_of(tiers={"standard": {"reasoning": "summary"}}, summary_chars=10)
    replay = Replay(policy, attributes={"acct_a": VERIFIED})
    assert replay.step(event(0.0)) is Verdict.FULL
    assert replay.step(event(1.0, reasoning="short")) is Verdict.FULL  # fits the preview
    assert replay.step(event(2.0, reasoning="a much longer trace")) is Verdict.DEGRADED


def test_throttle_refuses_beyond_the_scaled_rate(policy_of: Callable[..., Policy]) -> None:
    policy = policy_of(
        overrides={"acct_a": {"pin": "watch"}},
        levels=[{"name": "watch", "when": {"min_risk": 0.99}, "actions": {"throttle": 0.5}}],
    )
    replay = Replay(policy, attributes={"acct_a": VERIFIED}, requests_per_min={"standard": 60})
    verdicts = [replay.step(event(i * 0.01)) for i in range(40)]
    assert verdicts.count(Verdict.FULL) == 30 and verdicts.count(Verdict.DENIED) == 10
    assert replay.accounts["acct_a"].causes == {"throttle": 10}
    # A minute later the bucket has refilled.
    assert replay.step(event(70.0)) is Verdict.FULL


def test_group_summary_pools_requests_and_takes_medians() -> None:
    a, b, c = AccountTally(), AccountTally(), AccountTally()
    for _ in range(8):
        a.add(Verdict.FULL, ())
    for _ in range(2):
        a.add(Verdict.DEGRADED, ("cap_n",))
    b.add(Verdict.WATERMARKED, ())
    b.add(Verdict.DENIED, ("verification_required",))
    c.add(Verdict.FULL, ())
    g = summarize("x", [a, b, c])
    assert (g.accounts, g.requests) == (3, 13)
    assert (g.full, g.watermarked, g.degraded, g.denied) == (9 / 13, 1 / 13, 2 / 13, 1 / 13)
    assert g.median_account_full == 0.8  # of 0.8, 0.0, 1.0
    assert g.median_account_unrestricted == 0.8  # of 0.8, 0.5, 1.0
    assert g.accounts_touched == 2
    assert g.carried == 0.0
    b.add(Verdict.DENIED, ("verification_required",), alone=Verdict.WATERMARKED)
    b.add(Verdict.DEGRADED, ("cap_n",), alone=Verdict.DENIED)  # harmed either way
    assert (b.carried, summarize("x", [a, b, c]).carried) == (1, 1 / 15)
