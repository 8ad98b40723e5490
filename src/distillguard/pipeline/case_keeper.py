"""The policy off the hot path: after each scored event, move the account's level, audit
the move, open cases, and publish the decision for gateways in other processes.

The hot path (gateway/enforcement.py) only looks an account's decision up. In one process
the two share one `Enforcer`; with detection in its own process (`distillguard worker`),
the worker's keeper publishes each move to the store's decisions table and the gateways
read it from there (`Enforcement.follow_decisions`).

Accounts a reviewer dismissed or allowlisted are left alone. Escalated levels are saved with
the detector state (`saved`, `restore`), so a restart keeps them.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from typing import Any

from distillguard.detect.engine import Analyzer, Score
from distillguard.errors import StoreError
from distillguard.events import Event
from distillguard.policy import AccountAttributes, Enforcer, Transition
from distillguard.store import AuditEntry, CaseOpening, Store
from distillguard.store.detector_state import encode

log = logging.getLogger("distillguard.gateway.policy")

POLICY_STATE = "#policy"  # the key of saved levels among the detector states
_TRAIL = 64  # (ts, risk) points kept per watched account, for case evidence
_SAMPLES = 5  # recent prompts kept per watched account
_WATCHED = 50_000  # accounts with a trail at most (least recently scored forgotten)
_WATCH_RISK = 0.1


class CaseKeeper:
    def __init__(
        self,
        enforcer: Enforcer,
        store: Store,
        is_allowed: Callable[[str], bool],
        *,
        publish: bool = False,
    ) -> None:
        self.enforcer = enforcer
        self._store = store
        self._is_allowed = is_allowed
        self.publish = publish  # write each move to the decisions table
        self._lock = threading.Lock()  # over _pending: the hot path adds, the keeper takes
        self._pending: list[Transition] = []
        self._trails: OrderedDict[str, tuple[deque[list[float]], deque[str]]] = OrderedDict()
        self._audit: list[AuditEntry] = []  # moves not written yet
        self._decisions: dict[str, bytes] = {}
        self._cases: list[CaseOpening] = []  # opened or updated at the next flush

    def introduce(self, account: str, *, now: float, tier: str, attrs: AccountAttributes) -> None:
        """An account's level from its attributes alone (the hot path calls this for an
        account it has not seen): a move it makes is audited by `observe`, off that path."""
        with self._lock:
            t = self.enforcer.update_account(account, now=now, tier=tier, attrs=attrs)
            if t is not None:
                self._pending.append(t)

    def observe(self, event: Event, score: Score, analyzer: Analyzer, meta: dict[str, Any]) -> None:
        account = event.account
        if self._is_allowed(account):
            return
        self._trail(account, event, score.risk)
        attrs = meta.get("attrs")
        with self._lock:  # an introduction's move is queued before this one is made
            pending: Sequence[Transition] = ()
            if self._pending:  # rare: most events find none, and need no new list
                pending, self._pending = self._pending, []
            transition = self.enforcer.observe(
                account,
                score.reading,  # None between scorings: the enforcer keeps the last
                now=event.ts,
                campaign_risk=score.campaign_risk,
                attrs=attrs,
                tier=meta.get("tier"),
                own_risk=score.own_reading,
            )
        for t in pending:
            self._transition(t, t.at, analyzer, attrs)
        if transition is not None:
            self._transition(transition, transition.at, analyzer, attrs)

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
        rounded = round(risk, 4)
        if not points or points[-1][1] != rounded:
            points.append([event.ts, rounded])
        prompt = event.request.last_user
        if prompt:
            samples.append(prompt[:300])

    def _transition(
        self, t: Transition, ts: float, analyzer: Analyzer, attrs: AccountAttributes | None
    ) -> None:
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
        # Moves and cases are written a batch at a time (`flush`): a commit each would cost
        # more than detecting the events between them.
        self._audit.append(entry)
        if self.publish:
            self._decisions[t.account] = self._decision_blob(t, attrs)
        if t.case:  # written after the moves of its flush, so the audit log reads in order
            self._cases.extend(self._openings(t, ts, reasons, analyzer))

    def flush(self) -> None:
        """Write what moved since the last flush: the audit log, then the cases and the
        decisions. What the store refuses is kept, in order, and tried again next time;
        refused cases do not hold back the decisions gateways enforce."""
        if not self._write_audit():
            return
        self._write_cases()
        if not self._decisions:
            return
        try:
            self._store.publish_decisions(self._decisions)
        except StoreError as err:
            log.error("%d policy decisions not published yet: %s", len(self._decisions), err)
            return
        self._decisions = {}

    def _write_cases(self) -> None:
        if not self._cases:
            return
        try:
            self._store.open_cases(self._cases)
        except StoreError as err:  # detection goes on; the next flush tries again
            log.error("%d cases not opened yet: %s", len(self._cases), err)
            return
        except Exception:  # a batch the store can never take must not block the ones after
            log.exception("%d cases dropped: the store cannot take them", len(self._cases))
        self._cases = []

    def _write_audit(self) -> bool:
        """Write the audit entries of the moves since the last flush; False if that failed
        (they are kept, and tried again at the next flush)."""
        if not self._audit:
            return True
        try:
            self._store.record_audit(self._audit)
        except StoreError as err:
            log.error("%d policy moves not stored yet: %s", len(self._audit), err)
            return False
        self._audit = []
        return True

    def _decision_blob(self, t: Transition, attrs: AccountAttributes | None) -> bytes:
        d = self.enforcer.decision(t.account, t.tier)
        return encode(
            {
                "level": d.level,
                "since": d.since,
                "tier": d.tier,
                "reasons": list(d.reasons),
                "attrs": dataclasses.asdict(attrs) if attrs is not None else None,
            }
        )

    def _openings(
        self, t: Transition, ts: float, reasons: list[str], analyzer: Analyzer
    ) -> list[CaseOpening]:
        """The account's case, and its campaign's if it is linked into one."""
        points, samples = self._trails.get(t.account, ((), ()))
        evidence = {"reasons": reasons, "points": list(points), "samples": list(samples)}
        out = [CaseOpening("account", t.account, (t.account,), t.to_level, t.risk, evidence, ts)]
        track = analyzer.tracks.get(t.account)
        cid = track.campaign if track is not None else None
        if cid is not None and t.campaign_risk is not None:
            members = tuple(analyzer.campaign_members.get(cid, [t.account]))
            campaign = {"reasons": reasons, "points": [[ts, t.campaign_risk]]}
            out.append(
                CaseOpening("campaign", cid, members, t.to_level, t.campaign_risk, campaign, ts)
            )
        return out

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
