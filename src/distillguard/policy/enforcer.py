"""Each account's enforcement level: moved by detection off the hot path, read on it.

    enforcer = Enforcer(policy)
    decision = enforcer.decision(account, tier)          # hot path: one dict lookup
    ...
    transition = enforcer.observe(account, risk, now=event.ts, campaign_risk=..., attrs=...,
                                  tier=..., evidence=reasons)   # after each scored event

`observe` raises an account at once to the highest level whose `when` it meets. It lowers
it only once the account has not met its level's `when`, with thresholds lowered by the
hysteresis, for the level's cooldown (`cooldown_s`), and then to the highest level whose
`when` still holds that way: an account near a threshold, or one whose evidence comes and
goes (a campaign that links and unlinks), does not flap. Time is the event's `ts`, so a
replay decides exactly as the gateway did. State is bounded: at most `max_accounts`
accounts, the least recently observed forgotten first.

The gateway calls `decision` on its event loop and `observe` on the recorder's thread, and
both can add, move or drop accounts' states, so every public method holds the enforcer's one
lock while it touches them (briefly: a lookup, or one account's evaluation).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from distillguard.policy.attributes import UNKNOWN, AccountAttributes
from distillguard.policy.conditions import NO_SLACK, Facts, Slack, explain, matches
from distillguard.policy.decision import (
    Decision,
    Transition,
    base_name,
    compose,
    denial_for,
)
from distillguard.policy.model import BASE_LEVEL, Condition, Level, Policy

HOUR_S = 3600.0
_HOURS = 24


@dataclass(slots=True)
class _State:
    tier: str
    attrs: AccountAttributes
    rank: int
    since: float | None
    decision: Decision
    held: float | None = None  # the last time it met its level's condition (with hysteresis)
    reasons: tuple[str, ...] = ()
    risk: float = 0.0
    campaign_risk: float | None = None
    own_risk: float | None = None  # None until a caller tells it (then `risk` stands in)
    requests: int = 0
    met: dict[int, float] = field(default_factory=dict)  # rank -> since when its `when` holds
    hour: int = -1  # the hour (of stream time) the newest bucket counts
    day: int = 0  # requests in the last 24 hourly buckets
    buckets: list[int] = field(default_factory=lambda: [0] * _HOURS)

    def count(self, now: float) -> None:
        h = int(now // HOUR_S)
        if h > self.hour:
            if self.hour < 0 or h - self.hour >= _HOURS:
                self.buckets = [0] * _HOURS
                self.day = 0
            else:
                for k in range(self.hour + 1, h + 1):
                    self.day -= self.buckets[k % _HOURS]
                    self.buckets[k % _HOURS] = 0
            self.hour = h
        self.buckets[self.hour % _HOURS] += 1  # an event older than the newest counts now
        self.day += 1
        self.requests += 1


class Enforcer:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._states: OrderedDict[str, _State] = OrderedDict()
        self._allow = frozenset(policy.allowlist)
        self._slack = Slack(policy.hysteresis, policy.volume_hysteresis)
        self._base: dict[str, Decision] = {}
        self.evicted = 0  # accounts forgotten to stay within max_accounts
        self._lock = threading.Lock()  # the one lock over _states and _base, for both sides

    # -- the hot path
    def decision(self, account: str, tier: str | None = None) -> Decision:
        """What to do with this account's next request: a precomputed frozen `Decision`."""
        with self._lock:
            return self._decision(account, tier)

    def _decision(self, account: str, tier: str | None) -> Decision:
        st = self._states.get(account)
        if st is not None:
            d = st.decision
            if tier is None or d.tier == tier:
                return d
            self._retier(st, account, tier)
            return st.decision
        tier = tier or self.policy.default_tier
        if account in self.policy.overrides and account not in self._allow:
            return self._new(account, tier, UNKNOWN).decision
        base = self._base.get(tier)
        if base is None:
            base = self._base[tier] = self._decide(None, tier, 0, UNKNOWN, None, ())
        return base

    # -- off the hot path
    def observe(
        self,
        account: str,
        risk: float | None,
        *,
        now: float,
        campaign_risk: float | None = None,
        attrs: AccountAttributes | None = None,
        tier: str | None = None,
        evidence: Sequence[str] = (),
        own_risk: float | None = None,
    ) -> Transition | None:
        """Take one scored request of `account` into account; the level change, if any.

        `risk` is the account's risk as scored after this request (its campaign's
        included), or None when this request was not scored (the last score holds);
        `campaign_risk` its campaign's risk if it is linked into one, `evidence` the
        detectors' reasons (kept with an escalation), `now` the event's ts. A `tier` or
        `attrs` of None keeps what the enforcer knows (the default tier and an unknown
        account's attributes at first). `own_risk` is the risk of its own behaviour alone
        (`Score.own_reading`; None: the last one holds), which `min_own_risk` reads.
        """
        with self._lock:
            st = self._ensure(account, tier, attrs)
            st.count(now)
            if risk is not None:
                st.risk = risk
            if own_risk is not None:
                st.own_risk = own_risk
            st.campaign_risk = campaign_risk
            return self._evaluate(account, st, now, evidence)

    def update_account(
        self,
        account: str,
        *,
        now: float,
        tier: str | None = None,
        attrs: AccountAttributes | None = None,
    ) -> Transition | None:
        """The account's tier and attributes from the store: decide again, before or between
        requests (an unverified account starts on its level from its first request; one that
        completed verification is no longer refused)."""
        with self._lock:
            return self._evaluate(account, self._ensure(account, tier, attrs), now, ())

    def _evaluate(
        self, account: str, st: _State, now: float, evidence: Sequence[str]
    ) -> Transition | None:
        if account in self._allow:
            return None
        ladder = self.policy.ladder(st.tier)
        facts = Facts(
            st.risk, st.campaign_risk, st.attrs, st.day, st.requests, st.tier, st.own_risk
        )
        found, cond = _highest_held(ladder, facts, st.met, now)
        target, forced = self._clamp(account, ladder, found)
        if target > st.rank:
            why = forced or _why(ladder, target, cond, facts, held=True)
            return self._move(account, st, target, (*why, *evidence), now)
        if target == st.rank:
            st.held = now
            return None
        found, cond = _highest(ladder, facts, self._slack)
        stay, forced = self._clamp(account, ladder, found)
        if stay >= st.rank:
            st.held = now
            return None
        level = ladder[st.rank - 1]
        cooldown = self.policy.cooldown_s if level.cooldown_s is None else level.cooldown_s
        if st.held is not None and now - st.held < cooldown:
            return None
        note = (f"has not met level '{level.name}' (less the hysteresis) for {cooldown:,.0f} s",)
        why = forced or _why(ladder, stay, cond, facts)
        return self._move(account, st, stay, (*note, *why), now)

    def restore(
        self,
        account: str,
        level: str,
        *,
        since: float,
        tier: str | None = None,
        attrs: AccountAttributes | None = None,
        reasons: Sequence[str] = (),
    ) -> Decision:
        """Put back a level saved before a restart (or set by a reviewer)."""
        tier = tier or self.policy.default_tier
        ladder = self.policy.ladder(tier)
        names = [BASE_LEVEL, *(lv.name for lv in ladder)]
        if level not in names:
            raise ValueError(f"level {level!r} is not in the ladder of tier {tier!r}: {names}")
        with self._lock:
            st = self._touch(account, tier, attrs or UNKNOWN)
            rank = names.index(level)
            st.rank, st.since, st.held, st.reasons = rank, since, since, tuple(reasons)
            st.decision = self._decide(account, tier, st.rank, st.attrs, since, st.reasons)
            return st.decision

    def escalated(self) -> Iterator[tuple[str, Decision]]:
        """Every account above the base level, with its decision (to save or to show)."""
        with self._lock:  # a snapshot, taken whole: observe may run meanwhile
            found = [(account, st.decision) for account, st in self._states.items() if st.rank]
        yield from found

    def __len__(self) -> int:
        with self._lock:
            return len(self._states)

    # -- internals
    def _ensure(self, account: str, tier: str | None, attrs: AccountAttributes | None) -> _State:
        """The account's state; a tier or attributes of None leave what is known as it is."""
        st = self._states.get(account)
        if st is None:
            return self._new(account, tier or self.policy.default_tier, attrs or UNKNOWN)
        return self._touch(account, tier or st.tier, attrs or st.attrs)

    def _touch(self, account: str, tier: str, attrs: AccountAttributes) -> _State:
        st = self._states.get(account)
        if st is None:
            return self._new(account, tier, attrs)
        self._states.move_to_end(account)
        if st.tier != tier or st.attrs != attrs:
            st.attrs = attrs
            self._retier(st, account, tier)
        return st

    def _new(self, account: str, tier: str, attrs: AccountAttributes) -> _State:
        ladder = self.policy.ladder(tier)
        rank, forced = self._clamp(account, ladder, 0)
        why = forced or ()
        since = None
        st = _State(tier, attrs, rank, since, self._decide(account, tier, rank, attrs, since, why))
        st.reasons = why
        self._states[account] = st
        while len(self._states) > self.policy.max_accounts:
            self._states.popitem(last=False)
            self.evicted += 1
        return st

    def _retier(self, st: _State, account: str, tier: str) -> None:
        st.tier = tier
        st.met.clear()  # its ranks were of the old tier's ladder
        st.rank = min(st.rank, len(self.policy.ladder(tier)))
        st.decision = self._decide(account, tier, st.rank, st.attrs, st.since, st.reasons)

    def _clamp(
        self, account: str, ladder: Sequence[Level], rank: int
    ) -> tuple[int, tuple[str, ...] | None]:
        """The rank an override allows, and the override's reason if it changed anything."""
        o = self.policy.overrides.get(account)
        if o is None:
            return rank, None
        names = [BASE_LEVEL, *(lv.name for lv in ladder)]
        if o.pin is not None:
            return names.index(o.pin), (f"pinned to level '{o.pin}' by an override {o.note}",)
        if o.min_level is not None and rank < names.index(o.min_level):
            return names.index(o.min_level), (f"override: at least '{o.min_level}' {o.note}",)
        if o.max_level is not None and rank > names.index(o.max_level):
            return names.index(o.max_level), (f"override: at most '{o.max_level}' {o.note}",)
        return rank, None

    def _move(
        self, account: str, st: _State, rank: int, reasons: tuple[str, ...], now: float
    ) -> Transition:
        ladder = self.policy.ladder(st.tier)
        before = st.rank
        st.rank, st.since, st.held, st.reasons = rank, now, now, reasons
        st.decision = self._decide(account, st.tier, rank, st.attrs, now, reasons)
        return Transition(
            account=account,
            from_level=base_name(before, ladder),
            to_level=base_name(rank, ladder),
            from_rank=before,
            to_rank=rank,
            risk=st.risk,
            campaign_risk=st.campaign_risk,
            reasons=reasons,
            at=now,
            shadow=st.decision.shadow,
            tier=st.tier,
            case=rank > before and ladder[rank - 1].case,
        )

    def _decide(
        self,
        account: str | None,
        tier: str,
        rank: int,
        attrs: AccountAttributes,
        since: float | None,
        reasons: tuple[str, ...],
    ) -> Decision:
        ladder = self.policy.ladder(tier)
        effect = compose(self.policy.rules(tier), ladder, rank)
        level = base_name(rank, ladder)
        return Decision(
            tier=tier,
            level=level,
            rank=rank,
            effect=effect,
            shadow=self.policy.shadow(tier, account),
            denial=denial_for(effect, attrs, level),
            reasons=reasons,
            since=since,
        )


def _highest(ladder: Sequence[Level], facts: Facts, slack: Slack) -> tuple[int, Condition | None]:
    """The rank of the highest level one of whose conditions holds, and that condition."""
    for i in range(len(ladder) - 1, -1, -1):
        cond = _met_by(ladder[i], facts, slack)
        if cond is not None:
            return i + 1, cond
    return 0, None


def _met_by(level: Level, facts: Facts, slack: Slack) -> Condition | None:
    """The first of the level's conditions that holds, if any."""
    return next((c for c in level.when if matches(c, facts, slack)), None)


def _highest_held(
    ladder: Sequence[Level], facts: Facts, met: dict[int, float], now: float
) -> tuple[int, Condition | None]:
    """`_highest` among levels whose `when` has held for their `hold_s`; notes in `met`
    since when each level's `when` has held (a level that does not hold now is dropped)."""
    best: tuple[int, Condition | None] = (0, None)
    for rank, level in enumerate(ladder, start=1):
        cond = _met_by(level, facts, NO_SLACK)
        if cond is None:
            met.pop(rank, None)
        elif now - met.setdefault(rank, now) >= level.hold_s:
            best = (rank, cond)
    return best


def _why(
    ladder: Sequence[Level],
    rank: int,
    cond: Condition | None,
    facts: Facts,
    *,
    held: bool = False,
) -> tuple[str, ...]:
    if cond is None or rank == 0:
        return ()
    level = ladder[rank - 1]
    slack = "" if matches(cond, facts) else " (within the hysteresis)"
    hold = f", held for {level.hold_s:,.0f} s" if held and level.hold_s else ""
    return (f"level '{level.name}': {explain(cond, facts)}{slack}{hold}",)
