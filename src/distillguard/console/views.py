"""What the account, case and campaign pages show, gathered from the store, the analyzer and
the policy. Blocking: call these in a worker thread. Pure reads; nothing here changes state."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from distillguard.console.campaign import (
    CampaignView,
    MemberRow,
    graph,
    hours_plot,
    link_rows,
    shared_tokens,
    timing_line,
)
from distillguard.console.overview import Overview, overview
from distillguard.console.plot import bar_plot, risk_plot
from distillguard.detect.campaigns import PairLink
from distillguard.errors import NotFoundError
from distillguard.gateway.enforcement import Enforcement
from distillguard.gateway.recorder import EventRecorder
from distillguard.settings import Settings
from distillguard.store import Account, AuditEntry, Case, Store

LEVEL_ACTIONS = ("level_change", "shadow_level_change")


@dataclass(frozen=True, slots=True)
class Sample:
    """One sample request: its metadata always, its text only where the settings allow."""

    chars: int
    digest: str  # the first 12 hex digits of its SHA-256, to match it in the event log
    text: str | None


@dataclass(frozen=True, slots=True)
class Detection:
    risk: float
    peak: float
    requests: int
    flagged: bool
    campaign: str | None
    reasons: tuple[str, ...]  # in words, each with its number and the peers' median


@dataclass(frozen=True, slots=True)
class AccountView:
    account: Account
    detection: Detection | None
    plot: Markup
    cases: tuple[Case, ...]
    history: tuple[AuditEntry, ...]
    samples: tuple[Sample, ...]
    policy_line: str
    volume: Markup
    volume_line: str
    daily: Markup  # requests per calendar day, as the event recorder counts them
    plot_points: int  # risk scores from the case history the plot draws
    allowed: bool = False  # allowlisted, or dismissed as benign: a reviewer may end it early


class Views:
    def __init__(
        self, settings: Settings, store: Store, recorder: EventRecorder, enforcement: Enforcement
    ) -> None:
        self._show_prompts = settings.console.show_prompts
        self._store = store
        self._recorder = recorder
        self._enforcement = enforcement

    def account(self, account_id: str) -> AccountView:
        account = self._store.get_account(account_id)
        cases = self._store.cases_about(account_id)
        history = self._store.audit_log(account_id, 500)
        points = sorted(
            (float(ts), float(r))
            for c in cases
            if c.kind == "account"
            for ts, r in c.evidence.get("points", [])
        )
        marks = [
            (e.at, str(e.detail.get("to", "?")) + (" (shadow)" if e.detail.get("shadow") else ""))
            for e in history
            if e.action in LEVEL_ACTIONS
        ]
        detection = self.detection(account_id)
        threshold = self.threshold()
        texts = [s for c in cases if c.kind == "account" for s in c.evidence.get("samples", [])]
        return AccountView(
            account,
            detection,
            risk_plot(points, marks, threshold),
            tuple(cases),
            tuple(reversed(history)),
            tuple(self._sample(t) for t in texts[-10:]),
            self.policy_line(account_id),
            *self.volume(account_id),
            self.daily(account_id),
            len(points),
            allowed=self._enforcement.is_allowed(account_id),
        )

    def overview(self) -> Overview:
        return overview(self._store, self._recorder, self._enforcement)

    def detection(self, account_id: str) -> Detection | None:
        analyzer = self._recorder.analyzer
        if analyzer is None or account_id not in analyzer.tracks:
            return None
        with self._recorder.lock:
            track = analyzer.tracks[account_id]
            reasons = analyzer.assessment(account_id)
            return Detection(
                round(track.score, 4),
                round(track.max_score, 4),
                track.profile.n,
                track.over >= analyzer.config.flag_after,
                track.campaign,
                reasons,
            )

    def volume(self, account_id: str) -> tuple[Markup, str]:
        """Requests by hour of day, and per active day: what the analyzer's usage detector
        keeps (the calendar of days is the recorder's: see `daily`)."""
        analyzer = self._recorder.analyzer
        if analyzer is None or account_id not in analyzer.tracks:
            return Markup(""), "No requests scored since the detector state began."
        with self._recorder.lock:
            found = [d for d in analyzer.tracks[account_id].profile.detectors if d.name == "usage"]
            if not found:
                return Markup(""), "No usage recorded."
            u: Any = found[0]
            hours, n, days, first, last = list(u.hours), u.n, u.days, u.first_ts, u.last_ts
        plot = bar_plot(
            [f"{h:02d}:00 UTC" for h in range(24)],
            [("requests", hours)],
            "Requests by hour of day (UTC)",
        )
        line = (
            f"{n:,} requests on {days} active day(s), {n / max(days, 1):,.0f} per active day; "
            f"first {_day(first)}, last {_day(last)}."
        )
        return plot, line

    def daily(self, account_id: str) -> Markup:
        """Requests per UTC day, the 30 days up to the account's latest request."""
        days = self._recorder.requests_per_day(account_id)
        return bar_plot(
            [_date(d) for d, _ in days],
            [("requests", [n for _, n in days])],
            "Requests per day (UTC)",
        )

    def threshold(self) -> float | None:
        analyzer = self._recorder.analyzer
        return analyzer.config.threshold if analyzer is not None else None

    def policy_line(self, account_id: str) -> str:
        """The account's level, and in shadow mode what the policy would have done."""
        decision = self._enforcement.enforcer.decision(account_id)
        if self._enforcement.is_allowed(account_id):
            until = self._enforcement.allowed.get(account_id)
            when = "for good" if until is None else "until " + _day(until)
            return f"Allowlisted by a reviewer {when}: the policy leaves this account alone."
        if decision.level == "none":
            return "Policy level: none (nothing restricted)."
        done = _effects(decision.effect, decision.denial is not None)
        if decision.shadow:
            return f"Shadow mode, level {decision.level}: the policy would have {done}."
        return f"Enforcing level {decision.level}: the policy {done}."

    def campaign(self, case: Case) -> CampaignView:
        analyzer = self._recorder.analyzer
        risk, reasons = case.risk, tuple(case.evidence.get("reasons", []))
        links: tuple[PairLink, ...] = ()
        hours: dict[str, tuple[int, ...]] = {}
        if analyzer is not None:
            with self._recorder.lock:
                risk = analyzer.campaign_scores.get(case.subject, risk)
                links = analyzer.campaign_links.get(case.subject, ())
                hours = {m: _hours(analyzer, m) for m in case.members}
        rows = [self._member(m, hours.get(m, ())) for m in case.members]
        return CampaignView(
            case.subject,
            risk,
            reasons,
            tuple(rows),
            link_rows(links),
            shared_tokens(links),
            graph(case.subject, rows, links),
            hours_plot(rows),
            timing_line(rows),
        )

    def _member(self, member: str, hours: tuple[int, ...]) -> MemberRow:
        try:
            account = self._store.get_account(member)
            name, status = account.name, account.status.value
        except NotFoundError:  # a member the store no longer has: still listed
            name, status = "?", "?"
        found = self.detection(member)
        level = self._enforcement.enforcer.decision(member).level
        return MemberRow(member, name, status, found.risk if found else None, level, hours)

    def _sample(self, text: str) -> Sample:
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        return Sample(len(text), digest, text if self._show_prompts else None)


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _date(day: int) -> str:
    return datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%d")


def _effects(effect: Any, denied: bool) -> str:
    said = []
    if denied or effect.suspend:
        said.append("refused its requests")
    if not effect.logprobs:
        said.append("stripped logprobs")
    if not effect.logit_bias:
        said.append("stripped logit_bias")
    if effect.n_max is not None:
        said.append(f"capped n at {effect.n_max}")
    if effect.max_tokens_max is not None:
        said.append(f"capped max_tokens at {effect.max_tokens_max}")
    if effect.reasoning != "full":
        said.append(f"shown reasoning: {effect.reasoning}")
    if effect.throttle < 1.0:
        said.append(f"throttled to {effect.throttle:.0%} of the tier's rate")
    if effect.watermark:
        said.append("watermarked its answers")
    return ", ".join(said) or "changed nothing"


def _hours(analyzer: Any, account: str) -> tuple[int, ...]:
    """An account's requests by hour of day, as its usage detector keeps them (call locked)."""
    track = analyzer.tracks.get(account)
    found = [d for d in track.profile.detectors if d.name == "usage"] if track else []
    return tuple(int(n) for n in getattr(found[0], "hours", ())) if found else ()
