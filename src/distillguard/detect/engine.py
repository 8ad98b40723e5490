"""The online analyzer: one event at a time, bounded state per account, no look-ahead.

    analyzer = Analyzer()
    for event in read_events("events.jsonl"):
        analyzer.process(event)
    accounts, campaigns = analyzer.results()

Every decision about an account uses only events up to that moment: its own score
is re-evaluated on each of its events, and campaigns are re-linked every
`link_every_s` seconds of stream time (never wall-clock time).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from distillguard.detect.base import Detector
from distillguard.detect.campaigns import LinkConfig, campaign_id, cohesion, link
from distillguard.detect.features import extract
from distillguard.detect.profile import AccountProfile, default_detectors
from distillguard.detect.scoring import (
    COHESIVE,
    DEFAULT_THRESHOLD,
    assess,
    campaign_risk,
    coordinated_risk,
    member_risk,
    risk,
)
from distillguard.events import Event


@dataclass(frozen=True, slots=True)
class AnalyzerConfig:
    threshold: float = DEFAULT_THRESHOLD
    link_every_s: float = 3600.0
    linking: bool = True
    link: LinkConfig = field(default_factory=LinkConfig)
    detectors: Callable[[], list[Detector]] = default_detectors
    score_every: int = 8
    score_all_first: int = 64  # every one of an account's first requests is scored
    link_min_requests: int = 30  # fewer say too little about an account to link it
    # A campaign raises its members only once they have stayed linked through this many
    # consecutive re-linkings, so a passing coincidence does not leave a sticky flag.
    link_persistence: int = 2


@dataclass(frozen=True, slots=True)
class AccountResult:
    account: str
    score: float
    flagged: bool
    first_flag_index: int | None
    campaign: str | None
    reasons: tuple[str, ...]
    requests: int


@dataclass(frozen=True, slots=True)
class CampaignResult:
    campaign: str
    members: tuple[str, ...]
    score: float
    reasons: tuple[str, ...]
    first_linked_ts: float


@dataclass(slots=True)
class _Track:
    profile: AccountProfile
    max_score: float = 0.0
    first_flag: int | None = None
    campaign: str | None = None
    linked_runs: int = 0  # consecutive re-linkings that found the account in a campaign


# The key of the analyzer's own state among the per-account ones.
CAMPAIGNS = "#campaigns"


def _track_state(track: _Track) -> dict[str, Any]:
    return {
        "profile": track.profile.to_state(),
        "max_score": track.max_score,
        "first_flag": track.first_flag,
        "campaign": track.campaign,
        "linked_runs": track.linked_runs,
    }


def _load_track(state: Mapping[str, Any]) -> _Track:
    return _Track(
        AccountProfile.from_state(state["profile"]),
        state["max_score"],
        state["first_flag"],
        state["campaign"],
        state["linked_runs"],
    )


class Analyzer:
    def __init__(self, config: AnalyzerConfig | None = None) -> None:
        self.config = config or AnalyzerConfig()
        self.tracks: dict[str, _Track] = {}
        self.campaign_scores: dict[str, float] = {}
        self.campaign_members: dict[str, list[str]] = {}
        self.campaign_first_ts: dict[str, float] = {}
        self.cohesive: dict[str, bool] = {}
        self.next_link_ts: float | None = None
        self.events = 0
        self._changed: set[str] = set()  # accounts whose state changed since `take_changes`

    def process(self, event: Event) -> float:
        """Learn from one event; return the account's risk (campaign included).

        The risk is re-scored on each of an account's first `score_all_first` requests and
        then on every `score_every`-th; in between, the latest peak is returned.
        """
        if self.config.linking:
            if self.next_link_ts is None:
                self.next_link_ts = event.ts + self.config.link_every_s
            elif event.ts >= self.next_link_ts:
                self.relink(event.ts)
                self.next_link_ts = event.ts + self.config.link_every_s
        track = self.tracks.get(event.account)
        if track is None:
            track = self.tracks[event.account] = _Track(AccountProfile(self.config.detectors()))
        profile = track.profile
        profile.observe(extract(event))
        self.events += 1
        self._changed.add(event.account)
        # Scoring every detector costs as much as updating them: past the first requests,
        # score every `score_every`-th one (first_flag_index is then exact to that step).
        if profile.n > self.config.score_all_first and profile.n % self.config.score_every:
            return track.max_score
        if track.campaign is not None and track.linked_runs >= self.config.link_persistence:
            cid = track.campaign
            score = member_risk(profile.detectors, self.campaign_scores[cid], self.cohesive[cid])
        else:
            score = risk(profile.detectors)
        self._record(track, score)
        return score

    def _record(self, track: _Track, score: float) -> None:
        if score > track.max_score:
            track.max_score = score
        if track.first_flag is None and score >= self.config.threshold:
            track.first_flag = track.profile.n

    def relink(self, now: float) -> None:
        """Re-form campaigns from current fingerprints and raise members to the campaign risk."""
        prints = {
            a: t.profile.fingerprint()
            for a, t in self.tracks.items()
            if t.profile.n >= self.config.link_min_requests
        }
        groups = link(prints, self.config.link)
        previous = {a for a, t in self.tracks.items() if t.campaign is not None}
        for track in self.tracks.values():
            track.campaign = None
        self.campaign_scores.clear()
        self.campaign_members.clear()
        self.cohesive.clear()
        for members in groups:
            cid = campaign_id(members)
            profiles = [self.tracks[a].profile for a in members]
            merged = profiles[0].merged_detectors(profiles[1:])
            cohesive = cohesion(profiles, [prints[a] for a in members]) >= COHESIVE
            self.cohesive[cid] = cohesive
            score = campaign_risk(merged, cohesive)
            if cohesive:
                score = max(score, coordinated_risk([p.detectors for p in profiles]))
            self.campaign_scores[cid] = score
            self.campaign_members[cid] = members
            self.campaign_first_ts.setdefault(cid, now)
            for a in members:
                track = self.tracks[a]
                track.campaign = cid
                track.linked_runs = track.linked_runs + 1 if a in previous else 1
                if track.linked_runs >= self.config.link_persistence:
                    campaign = self.campaign_scores[cid]
                    score = member_risk(track.profile.detectors, campaign, self.cohesive[cid])
                    self._record(track, score)
        for track in self.tracks.values():
            if track.campaign is None:
                track.linked_runs = 0
        self._changed.update(previous)
        self._changed.update(a for members in groups for a in members)
        # Campaigns that dissolved are forgotten, so a long-running gateway stays bounded.
        self.campaign_first_ts = {
            c: t for c, t in self.campaign_first_ts.items() if c in self.campaign_members
        }

    # -- persistence: a restarted gateway goes on where it stopped
    def take_changes(self) -> dict[str, dict[str, Any]]:
        """JSON-able states of the accounts changed since the last call, and `CAMPAIGNS`."""
        out = {a: _track_state(self.tracks[a]) for a in self._changed if a in self.tracks}
        if out:
            out[CAMPAIGNS] = {
                "events": self.events,
                "next_link_ts": self.next_link_ts,
                "scores": self.campaign_scores,
                "members": self.campaign_members,
                "first_ts": self.campaign_first_ts,
                "cohesive": self.cohesive,
            }
        self._changed.clear()
        return out

    def restore(self, states: Mapping[str, Mapping[str, Any]]) -> None:
        """Load what `take_changes` gave (all of it, merged); replaces the current state."""
        self.tracks = {a: _load_track(s) for a, s in states.items() if a != CAMPAIGNS}
        shared = states.get(CAMPAIGNS)
        if shared is not None:
            self.events = shared["events"]
            self.next_link_ts = shared["next_link_ts"]
            self.campaign_scores = dict(shared["scores"])
            self.campaign_members = {c: list(m) for c, m in shared["members"].items()}
            self.campaign_first_ts = dict(shared["first_ts"])
            self.cohesive = dict(shared["cohesive"])
        self._changed.clear()

    def results(self) -> tuple[list[AccountResult], list[CampaignResult]]:
        accounts = []
        for name in sorted(self.tracks):
            t = self.tracks[name]
            a = assess(t.profile.detectors)
            reasons = a.reasons
            if t.campaign is not None:
                n = len(self.campaign_members[t.campaign])
                cs = self.campaign_scores[t.campaign]
                reasons = (
                    f"member of campaign {t.campaign} ({n} accounts, risk {cs:.2f})",
                    *reasons,
                )
            accounts.append(
                AccountResult(
                    account=name,
                    score=round(t.max_score, 6),
                    flagged=t.first_flag is not None,
                    first_flag_index=t.first_flag,
                    campaign=t.campaign,
                    reasons=reasons,
                    requests=t.profile.n,
                )
            )
        campaigns = []
        for cid, members in sorted(self.campaign_members.items()):
            profiles = [self.tracks[a].profile for a in members]
            merged = assess(profiles[0].merged_detectors(profiles[1:]))
            campaigns.append(
                CampaignResult(
                    cid,
                    tuple(members),
                    round(self.campaign_scores[cid], 6),
                    merged.reasons,
                    self.campaign_first_ts[cid],
                )
            )
        return accounts, campaigns
