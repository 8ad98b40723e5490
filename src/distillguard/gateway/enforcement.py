"""The policy in the gateway: a lookup on the hot path, bookkeeping off it.

On each request (event loop, no I/O): the account's precomputed `Decision`, then the body as
it allows (parameters stripped or capped, or a refusal), the tier's limits scaled by any
throttle, and for the answer the reasoning it may see. In shadow mode nothing changes, and
the event records what would have.

After each scored event (the recorder's worker thread): `Enforcer.observe` moves the
account's level; a move is written to the audit log, and an escalation into a level with
`case = true` opens (or updates) a case for the account, and for its campaign when it is
linked into one.
Accounts a reviewer dismissed or allowlisted are left alone (an allowlisting until its
end, on the wall clock: replayed event times must not end it early or late). Escalated
levels are saved with the detector state, so a restart keeps them.

Both sides change the levels (a first decision can create an account's state, an
observation can evict another's), so the `Enforcer` takes its one lock in each of its public
methods; this class's own lock only hands introductions from the loop to the recorder.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable
from typing import Any

from distillguard.detect.engine import Analyzer
from distillguard.errors import StoreError
from distillguard.events import Event
from distillguard.gateway.api_errors import ApiError
from distillguard.policy import (
    AccountAttributes,
    Change,
    Decision,
    Enforcer,
    Transition,
    apply_request,
    apply_response,
    default_policy,
    load_policy,
)
from distillguard.policy.replay import fresh_risk
from distillguard.settings import PolicySettings
from distillguard.store import Account, AuditEntry, Store, Tier

log = logging.getLogger("distillguard.gateway.policy")

POLICY_STATE = "#policy"  # the key of saved levels among the detector states
_TRAIL = 64  # (ts, risk) points kept per watched account, for case evidence
_SAMPLES = 5  # recent prompts kept per watched account
_WATCHED = 50_000  # accounts with a trail at most (least recently scored forgotten)
_WATCH_RISK = 0.1


@dataclasses.dataclass(frozen=True, slots=True)
class Applied:
    """What the policy did (or, in shadow mode, would have done) to one request."""

    decision: Decision
    body: dict[str, Any]
    changes: tuple[Change, ...] = ()
    watermark: bool = False
    refusal: ApiError | None = None  # the request must be refused with this error

    def record(self) -> dict[str, Any] | None:
        """The event's `enforcement` field: None when the account is at the base level."""
        if not self.decision.changes_anything:
            return None
        return {
            "level": self.decision.level,
            "shadow": self.decision.shadow,
            "changes": sorted({c.kind.value for c in self.changes}),
        }


def attributes_of(account: Account) -> AccountAttributes:
    """The store's account attributes as the policy reads them (the two share their values)."""
    verification = account.verification.value
    try:
        return AccountAttributes.parse(
            verification, account.org_type or "unknown", account.affiliated_developer
        )
    except ValueError:  # a value the policy does not know: judge the account by the rest
        return AccountAttributes.parse(verification)


class Enforcement:
    def __init__(self, settings: PolicySettings, store: Store) -> None:
        self.policy = load_policy(settings.file) if settings.file else default_policy()
        self.enforcer = Enforcer(self.policy)
        self.settings = settings
        self._store = store
        # Accounts reviewers dismissed or allowlisted -> the allowlisting's end (None: never).
        self.allowed: dict[str, float | None] = {}
        self._throttled: dict[tuple[str, float], Tier] = {}
        self._lock = threading.Lock()  # over _pending: the loop adds, the recorder takes
        self._introduced: set[str] = set()
        self._pending: list[Transition] = []
        self._trails: OrderedDict[str, tuple[deque[list[float]], deque[str]]] = OrderedDict()

    # -- the hot path
    def on_request(
        self, who: Account, tier: str, body: dict[str, Any], endpoint: str, now: float
    ) -> Applied:
        account = who.id
        if account not in self._introduced:
            self.introduce(who, tier, now)
        if self.is_allowed(account):
            return Applied(self.enforcer.decision("", tier), body)
        decision = self.enforcer.decision(account, tier)
        if not decision.changes_anything:
            return Applied(decision, body)
        out = apply_request(body, decision, endpoint)
        refusal = None
        if out.denied:
            assert out.denial is not None
            d = out.denial
            refusal = ApiError(d.status, d.message, type="permission_error", code=d.code)
        watermark = out.watermark and out.applied
        return Applied(decision, dict(out.body), out.changes, watermark, refusal)

    def introduce(self, who: Account, tier: str, now: float) -> None:
        """An account's level from its attributes alone, before any of its requests is
        scored (an unverified account starts on probation); again when they change."""
        with self._lock:
            t = self.enforcer.update_account(who.id, now=now, tier=tier, attrs=attributes_of(who))
            if t is not None:
                self._pending.append(t)  # audited by the recorder's thread, off this path
        self._introduced.add(who.id)

    def limits(self, tier: Tier, decision: Decision) -> Tier:
        """The tier's rate limits scaled by a throttle (never an unlimited one)."""
        factor = decision.effect.throttle
        if decision.shadow or factor >= 1.0:
            return tier
        key = (tier.name, factor)
        scaled = self._throttled.get(key)
        if scaled is None:
            scaled = self._throttled[key] = dataclasses.replace(
                tier,
                requests_per_min=math.ceil(tier.requests_per_min * factor),
                tokens_per_min=math.ceil(tier.tokens_per_min * factor),
            )
        return scaled

    def on_response(
        self, decision: Decision, response: dict[str, Any]
    ) -> tuple[dict[str, Any], tuple[Change, ...]]:
        out = apply_response(response, decision, self.policy.summary_chars)
        return dict(out.body), out.changes

    # -- off the hot path (the recorder's worker thread)
    def observe(self, event: Event, risk: float, analyzer: Analyzer, meta: dict[str, Any]) -> None:
        account = event.account
        if self.is_allowed(account):
            return
        track = analyzer.tracks[account]
        cid = track.campaign
        campaign_risk = analyzer.campaign_scores.get(cid) if cid is not None else None
        self._trail(account, event, risk)
        with self._lock:
            pending, self._pending = self._pending, []
            transition = self.enforcer.observe(
                account,
                fresh_risk(analyzer, account, risk),  # None between scorings: no new score
                now=event.ts,
                campaign_risk=campaign_risk,
                attrs=meta.get("attrs"),
                tier=meta.get("tier"),
            )
        for t in [*pending, transition]:
            if t is not None:
                self._transition(t, t.at, analyzer)

    def _trail(self, account: str, event: Event, risk: float) -> None:
        trail = self._trails.get(account)
        if trail is None:
            if risk < _WATCH_RISK:
                return
            if len(self._trails) >= _WATCHED:
                self._trails.popitem(last=False)
            trail = self._trails[account] = (deque(maxlen=_TRAIL), deque(maxlen=_SAMPLES))
        self._trails.move_to_end(account)
        points, samples = trail
        if not points or points[-1][1] != round(risk, 4):
            points.append([event.ts, round(risk, 4)])
        prompt = event.request.last_user
        if prompt:
            samples.append(prompt[:300])

    def _transition(self, t: Transition, ts: float, analyzer: Analyzer) -> None:
        track = analyzer.tracks.get(t.account)
        reasons = list(t.reasons)
        if not reasons and track is not None:
            reasons = list(analyzer.assessment(t.account))
        entry = AuditEntry(
            ts,
            "system:policy",
            "shadow_level_change" if t.shadow else "level_change",
            t.account,
            "; ".join(reasons[:4]),
            {
                "from": t.from_level,
                "to": t.to_level,
                "risk": round(t.risk, 4),
                "campaign_risk": t.campaign_risk,
                "shadow": t.shadow,
            },
        )
        try:
            self._store.record_audit([entry])
            if t.case:
                self._open_cases(t, ts, reasons, analyzer)
        except StoreError as err:  # detection goes on; the next transition tries again
            log.error("policy transition of %s not stored: %s", t.account, err)

    def _open_cases(self, t: Transition, ts: float, reasons: list[str], analyzer: Analyzer) -> None:
        points, samples = self._trails.get(t.account, ((), ()))
        evidence = {"reasons": reasons, "points": list(points), "samples": list(samples)}
        self._store.open_case(
            "account",
            t.account,
            members=[t.account],
            level=t.to_level,
            risk=t.risk,
            evidence=evidence,
            at=ts,
        )
        track = analyzer.tracks.get(t.account)
        cid = track.campaign if track is not None else None
        if cid is not None and t.campaign_risk is not None:
            members = analyzer.campaign_members.get(cid, [t.account])
            self._store.open_case(
                "campaign",
                cid,
                members=members,
                level=t.to_level,
                risk=t.campaign_risk,
                evidence={"reasons": reasons, "points": [[ts, t.campaign_risk]]},
                at=ts,
            )

    # -- across restarts
    def saved(self) -> dict[str, Any]:
        return {
            account: {"level": d.level, "since": d.since, "tier": d.tier, "reasons": d.reasons}
            for account, d in self.enforcer.escalated()
        }

    def restore(self, saved: dict[str, Any]) -> None:
        for account, s in saved.items():
            try:
                self.enforcer.restore(
                    account,
                    s["level"],
                    since=s["since"] or 0.0,
                    tier=s["tier"],
                    reasons=s["reasons"],
                )
            except (ValueError, KeyError) as err:  # the policy changed since: start over
                log.warning("level of %s not restored: %s", account, err)
        self.refresh_allowed()

    # -- the allowlist (kept in the store: store.allowlist_account, dismiss_case)
    def is_allowed(self, account: str) -> bool:
        if account not in self.allowed:
            return False
        until = self.allowed[account]
        return until is None or until > time.time()

    def allow(self, accounts: Iterable[str], until: float | None = None) -> None:
        """What the store was just told, here at once; elsewhere at the next refresh."""
        self.allowed.update(dict.fromkeys(accounts, until))

    def disallow(self, accounts: Iterable[str]) -> None:
        """An allowlisting the store just ended, here at once; elsewhere at the next refresh."""
        for account in accounts:
            self.allowed.pop(account, None)

    def refresh_allowed(self) -> None:
        """Reviewers' dismissals and allowlistings, from the store (another replica or the CLI
        may have made them); the ended ones are gone."""
        self.allowed = self._store.allowlisted()
