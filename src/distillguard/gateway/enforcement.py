"""The policy in the gateway: a lookup on the hot path, bookkeeping off it.

On each request (event loop, no I/O): the account's precomputed `Decision`, then the body as
it allows (parameters stripped or capped, or a refusal), the tier's limits scaled by any
throttle, and for the answer the reasoning it may see. In shadow mode nothing changes, and
the event records what would have.

Off the hot path, the `CaseKeeper` (pipeline/case_keeper.py) moves levels from scores,
audits each move and opens cases. With detection in this process it shares this class's
`Enforcer`; with detection in a worker process the gateway instead follows the decisions the
workers publish (`follow_decisions`, one indexed query a second, applied between requests).
Accounts a reviewer dismissed or allowlisted are left alone (an allowlisting until its
end, on the wall clock: replayed event times must not end it early or late).

Both sides change the levels (a first decision can create an account's state, an
observation can evict another's), so the `Enforcer` takes its one lock in each of its public
methods.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterable
from typing import Any

from distillguard.detect.engine import Analyzer, Score
from distillguard.events import Event
from distillguard.gateway.api_errors import ApiError
from distillguard.pipeline.allowlist import Allowlist
from distillguard.pipeline.case_keeper import CaseKeeper
from distillguard.policy import (
    AccountAttributes,
    Change,
    Decision,
    Enforcer,
    apply_request,
    apply_response,
    default_policy,
    load_policy,
)
from distillguard.settings import PolicySettings
from distillguard.store import Account, Store, Tier
from distillguard.store.detector_state import decode

log = logging.getLogger("distillguard.gateway.policy")


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
        self.allowlist = Allowlist(store)
        self._throttled: dict[tuple[str, float], Tier] = {}
        self._introduced: set[str] = set()
        self.keeper = CaseKeeper(self.enforcer, store, self.is_allowed)
        self._decisions_seen = 0  # the version of the last published decision applied

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
        self.keeper.introduce(who.id, now=now, tier=tier, attrs=attributes_of(who))
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

    # -- detection in another process: its decisions, read from the store
    def follow_decisions(self) -> int:
        """Apply the decisions workers published since the last call; how many."""
        rows = self._store.decisions_since(self._decisions_seen)
        for account, blob, version in rows:
            self._decisions_seen = version
            try:
                d = decode(blob)
                attrs = AccountAttributes(**d["attrs"]) if d.get("attrs") else None
                self.enforcer.restore(
                    account,
                    d["level"],
                    since=d["since"] or 0.0,
                    tier=d["tier"],
                    attrs=attrs,
                    reasons=d["reasons"],
                )
            except (ValueError, KeyError, TypeError) as err:  # another version's, or policy's
                log.warning("decision for %s not applied: %s", account, err)
        return len(rows)

    # -- off the hot path: the case keeper's (pipeline/case_keeper.py)
    def observe(self, event: Event, score: Score, analyzer: Analyzer, meta: dict[str, Any]) -> None:
        self.keeper.observe(event, score, analyzer, meta)

    def saved(self) -> dict[str, Any]:
        return self.keeper.saved()

    def flush(self) -> None:
        self.keeper.flush()

    def restore(self, saved: dict[str, Any]) -> None:
        self.keeper.restore(saved)
        self.refresh_allowed()

    # -- the allowlist (pipeline/allowlist.py)
    @property
    def allowed(self) -> dict[str, float | None]:
        return self.allowlist.allowed

    def is_allowed(self, account: str) -> bool:
        return self.allowlist.is_allowed(account)

    def allow(self, accounts: Iterable[str], until: float | None = None) -> None:
        self.allowlist.allow(accounts, until)

    def disallow(self, accounts: Iterable[str]) -> None:
        self.allowlist.disallow(accounts)

    def refresh_allowed(self) -> None:
        self.allowlist.refresh()
