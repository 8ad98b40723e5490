"""Replay an event log through detection and a policy: what would each request have got?

Online and in stream order, as the gateway runs it: a request is judged by the decision
its account had *before* it (detection learns from it only afterwards), then the analyzer
scores it and the enforcer moves the account. Shadow mode is ignored: the replay reports
what enforcing the policy would have done. Each request gets one verdict:

- denied: refused (suspended, verification required, or over a throttled rate limit);
- degraded: something the request asked for or would have received was taken away: a
  logprobs/top_logprobs/logit_bias/n it sent was stripped or capped, its answer was longer
  than a max_tokens cap (judged from the logged usage), or reasoning it got was withheld;
- watermarked: answered in full but watermarked (a distortion-free watermark leaves the
  answer's quality alone, so it is not counted as degrading a benign request; a harvest of
  watermarked answers carries the mark into the student, so it is not a clean harvest);
- full: nothing changed.

"Answered in full" (leakage) counts only `full`; "degraded" (benign impact) counts
`degraded` and `denied`.

A second enforcer follows each account on its own behaviour alone (`Score.own_reading`, no
campaign): a degraded or denied request that it would have let through counts as
*carried*, its campaign's risk the only reason. That is where guilt by association costs
real customers, and what campaign linking must keep small.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from distillguard.detect.engine import Analyzer
from distillguard.events import Event
from distillguard.policy.apply import ChangeKind, apply_request, apply_response
from distillguard.policy.attributes import AccountAttributes
from distillguard.policy.decision import Decision, Transition
from distillguard.policy.enforcer import Enforcer
from distillguard.policy.model import Policy

_SENT = frozenset(
    {
        ChangeKind.STRIP_LOGPROBS,
        ChangeKind.CAP_TOP_LOGPROBS,
        ChangeKind.STRIP_LOGIT_BIAS,
        ChangeKind.CAP_N,
    }
)


class Verdict(StrEnum):
    FULL = "full"
    WATERMARKED = "watermarked"
    DEGRADED = "degraded"
    DENIED = "denied"


_HARMED = frozenset({Verdict.DEGRADED, Verdict.DENIED})


@dataclass(slots=True)
class AccountTally:
    requests: int = 0
    verdicts: dict[Verdict, int] = field(default_factory=lambda: dict.fromkeys(Verdict, 0))
    causes: dict[str, int] = field(default_factory=dict)  # what degraded or denied requests
    carried: int = 0  # degraded or denied only for the account's campaign (see the module)
    transitions: int = 0
    peak_level: int = 0

    def add(self, verdict: Verdict, causes: tuple[str, ...], alone: Verdict | None = None) -> None:
        """One request's verdict, and the one its account's own risk alone would give
        (None: the same)."""
        self.requests += 1
        self.verdicts[verdict] += 1
        if verdict in _HARMED and alone is not None and alone not in _HARMED:
            self.carried += 1
        for c in causes:
            self.causes[c] = self.causes.get(c, 0) + 1

    def share(self, *verdicts: Verdict) -> float:
        return sum(self.verdicts[v] for v in verdicts) / self.requests if self.requests else 0.0


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class Replay:
    """Feed events in order with `step`; per-account tallies in `accounts`."""

    def __init__(
        self,
        policy: Policy,
        *,
        analyzer: Analyzer | None = None,
        tiers: Mapping[str, str] | None = None,
        attributes: Mapping[str, AccountAttributes] | None = None,
        requests_per_min: Mapping[str, int] | None = None,
        keep_transitions: bool = True,
    ) -> None:
        self.policy = policy
        self.analyzer = analyzer or Analyzer()
        self.enforcer = Enforcer(policy)
        self.alone = Enforcer(policy)  # on each account's own risk, campaigns left out
        self.tiers = tiers or {}
        self.attributes = attributes or {}
        self.rpm = requests_per_min or {}  # the tiers' rate limits, which throttle scales
        self.accounts: dict[str, AccountTally] = {}
        self.transitions: list[Transition] = []
        self.keep_transitions = keep_transitions
        self._buckets: dict[str, _Bucket] = {}
        self._alone_buckets: dict[str, _Bucket] = {}

    def step(self, event: Event) -> Verdict:
        account = event.account
        tier = self.tiers.get(account, self.policy.default_tier)
        attrs = self.attributes.get(account)
        tally = self.accounts.get(account)
        if tally is None:  # as the gateway does when it first loads the account
            tally = self.accounts[account] = AccountTally()
            self._note(
                tally, self.enforcer.update_account(account, now=event.ts, tier=tier, attrs=attrs)
            )
            self.alone.update_account(account, now=event.ts, tier=tier, attrs=attrs)
        verdict, causes = self.judge(event, self.enforcer.decision(account, tier))
        alone, _ = self._judge(event, self.alone.decision(account, tier), self._alone_buckets)
        tally.add(verdict, causes, alone)
        score = self.analyzer.process(event)
        t = self.enforcer.observe(
            account,
            score.reading,  # None between scorings: the enforcer keeps the last
            now=event.ts,
            campaign_risk=score.campaign_risk,
            attrs=attrs,
            tier=tier,
            own_risk=score.own_reading,
        )
        self._note(tally, t)
        self.alone.observe(account, score.own_reading, now=event.ts, attrs=attrs, tier=tier)
        return verdict

    def _note(self, tally: AccountTally, t: Transition | None) -> None:
        if t is None:
            return
        tally.transitions += 1
        tally.peak_level = max(tally.peak_level, t.to_rank)
        if self.keep_transitions:
            self.transitions.append(t)

    def judge(self, event: Event, decision: Decision) -> tuple[Verdict, tuple[str, ...]]:
        """The verdict of one request under `decision` (enforced), and what caused it."""
        return self._judge(event, decision, self._buckets)

    def _judge(
        self, event: Event, decision: Decision, buckets: dict[str, _Bucket]
    ) -> tuple[Verdict, tuple[str, ...]]:
        if decision.denial is not None:
            return Verdict.DENIED, (decision.denial.code,)
        if decision.effect.throttle < 1.0 and not self._admit(event, decision, buckets):
            return Verdict.DENIED, ("throttle",)
        if not decision.changes_anything:
            return Verdict.FULL, ()
        causes: list[str] = []
        out = apply_request(event.raw.get("request", {}), decision, event.endpoint)
        for c in out.changes:
            if c.kind in _SENT or (c.kind is ChangeKind.CAP_MAX_TOKENS and _cut(event, c.after)):
                causes.append(c.kind.value)
        raw_response = event.raw.get("response")
        if isinstance(raw_response, Mapping):
            got = apply_response(raw_response, decision, self.policy.summary_chars)
            causes += sorted({c.kind.value for c in got.changes})
        if causes:
            return Verdict.DEGRADED, tuple(dict.fromkeys(causes))
        if out.watermark:
            return Verdict.WATERMARKED, ()
        return Verdict.FULL, ()

    def _admit(self, event: Event, decision: Decision, buckets: dict[str, _Bucket]) -> bool:
        """A token bucket at the throttled share of the tier's requests per minute."""
        base = self.rpm.get(decision.tier, 0)
        if base <= 0:  # an unlimited tier stays unlimited, whatever the factor
            return True
        rate = base * decision.effect.throttle / 60.0
        b = buckets.get(event.account)
        if b is None:
            b = buckets[event.account] = _Bucket(rate * 60.0, event.ts)
        b.tokens = min(rate * 60.0, b.tokens + (event.ts - b.at) * rate)
        b.at = event.ts
        if b.tokens < 1.0:
            return False
        b.tokens -= 1.0
        return True


def _cut(event: Event, cap: object) -> bool:
    """Whether the logged answer was longer than a max_tokens cap (so the cap would cut it)."""
    r = event.response
    if r is None or not isinstance(cap, int):
        return False
    per_choice = r.answer_tokens()[0] / max(1, len(r.choices))
    return per_choice > cap


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """Verdict shares of a group of accounts (a label, a persona or a strategy)."""

    name: str
    accounts: int
    requests: int
    full: float
    watermarked: float
    degraded: float
    denied: float
    median_account_full: float  # the median over accounts of each one's share in full
    median_account_unrestricted: float  # ... answered in full or only watermarked
    accounts_touched: int  # accounts with at least one degraded or denied request
    carried: float = 0.0  # share of requests degraded or denied only for a campaign


def summarize(name: str, tallies: list[AccountTally]) -> GroupSummary:
    n = sum(t.requests for t in tallies)

    def pooled(v: Verdict) -> float:
        return sum(t.verdicts[v] for t in tallies) / n if n else 0.0

    return GroupSummary(
        name=name,
        accounts=len(tallies),
        requests=n,
        full=pooled(Verdict.FULL),
        watermarked=pooled(Verdict.WATERMARKED),
        degraded=pooled(Verdict.DEGRADED),
        denied=pooled(Verdict.DENIED),
        median_account_full=_median([t.share(Verdict.FULL) for t in tallies]),
        median_account_unrestricted=_median(
            [t.share(Verdict.FULL, Verdict.WATERMARKED) for t in tallies]
        ),
        accounts_touched=sum(
            1 for t in tallies if t.verdicts[Verdict.DEGRADED] + t.verdicts[Verdict.DENIED]
        ),
        carried=sum(t.carried for t in tallies) / n if n else 0.0,
    )


def _median(values: list[float]) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
