"""The online analyzer: one event at a time, bounded state per account, no look-ahead.

    analyzer = Analyzer()
    for event in read_events("events.jsonl"):
        score = analyzer.process(event)  # a `Score`: risk, fresh, campaign, campaign_risk
    accounts, campaigns = analyzer.results()

Every decision about an account uses only events up to that moment. Its risk is its
behaviour ranked against the population of accounts seen so far (`detect.population`):
the population is rebuilt every `link_every_s` seconds of stream time (never the wall
clock), and sooner while it is young (whenever the number of rankable accounts has
doubled), then campaigns are re-linked and every account re-scored. In between, an
account is re-scored on its own events against the last population.

An account is flagged while its last `flag_after` consecutive scorings reached the
threshold, so a single noisy ranking of a young account does not count, and an account
whose later traffic clears it (an evaluation's first pass over a benchmark looks like a
harvest until it re-runs) is no longer flagged; `first_flag_index` keeps when it first
was, and the policy's hysteresis decides what enforcement does meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from distillguard.detect import behaviour
from distillguard.detect.analyzer_state import load_shared, shared_state
from distillguard.detect.base import Detector
from distillguard.detect.campaigns import (
    LinkConfig,
    PairLink,
    campaign_id,
    distinctive,
    link_distinctive,
    merge_groups,
)
from distillguard.detect.detectors.probing import ProbeDetector
from distillguard.detect.detectors.usage import UsageDetector
from distillguard.detect.features import extract
from distillguard.detect.linked import LinkedView
from distillguard.detect.linking import (
    BehaviourLinkConfig,
    Placed,
    behaviour_links,
    pair_links,
    placements,
)
from distillguard.detect.popularity import PromptOwners
from distillguard.detect.population import Population, refresh_due
from distillguard.detect.profile import AccountProfile, default_detectors
from distillguard.detect.scoring import (
    DEFAULT_THRESHOLD,
    assess,
    campaign_risk,
    inherited_risk,
    plain_mean_rank,
    ranked_risk,
    risk,
)
from distillguard.detect.tracks import Track, load_track, track_state
from distillguard.detect.walks import WalkLinkConfig, walk_links, with_walks
from distillguard.events import Event


@dataclass(frozen=True, slots=True)
class AnalyzerConfig:
    threshold: float = DEFAULT_THRESHOLD
    link_every_s: float = 3600.0
    linking: bool = True
    link: LinkConfig = field(default_factory=LinkConfig)
    behaviour_link: BehaviourLinkConfig = field(default_factory=BehaviourLinkConfig)
    walk_link: WalkLinkConfig = field(default_factory=WalkLinkConfig)
    detectors: Callable[[], list[Detector]] = default_detectors
    # "population": behaviour ranked among peers; "detectors": noisy-OR of the detectors;
    # "meanrank": the plain mean of the population percentiles (a baseline).
    scorer: str = "population"
    phrasing: bool = False  # cue and SimHash features (the PRADA baseline reads them)
    score_every: int = 8
    score_all_first: int = 64  # every one of an account's first requests is scored
    link_min_requests: int = 5  # fewer say too little about an account to link it
    # A campaign raises its members only once they have stayed linked through this many
    # consecutive re-linkings, so a passing coincidence does not leave a sticky flag.
    link_persistence: int = 2
    flag_after: int = 2  # consecutive scorings at or over the threshold


@dataclass(frozen=True, slots=True)
class Score:
    """What `Analyzer.process` says of an account after learning from one of its requests."""

    risk: float  # the account's latest risk, its campaign's included
    fresh: bool  # scored on this request; if not, `risk` is the last scoring's: no new reading
    campaign: str | None  # the account's campaign id, as of the last re-linking
    campaign_risk: float | None
    # The lowest of the last `flag_after` scorings (0 before there are that many): the
    # risk that has held, as flagging reads it. One noisy ranking of a young account
    # moves neither the flag nor the policy.
    held: float = 0.0
    # `held` of the account's own behaviour, its campaign's risk left out: what the policy
    # would read of the account alone (`policy test` splits out what campaigns carried).
    own_held: float = 0.0

    @property
    def reading(self) -> float | None:
        """The risk the policy takes from this request: the held risk when it was scored,
        None between scorings (no new reading: the last one stands)."""
        return self.held if self.fresh else None

    @property
    def own_reading(self) -> float | None:
        """`reading` of the account's own behaviour alone."""
        return self.own_held if self.fresh else None


@dataclass(frozen=True, slots=True)
class AccountResult:
    account: str
    score: float
    flagged: bool
    first_flag_index: int | None
    campaign: str | None
    reasons: tuple[str, ...]
    requests: int
    peak: float = 0.0
    evidence: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CampaignResult:
    campaign: str
    members: tuple[str, ...]
    score: float
    reasons: tuple[str, ...]
    first_linked_ts: float


# The key of the analyzer's own state among the per-account ones.
CAMPAIGNS = "#campaigns"
# A campaign's pairwise links are kept among its first members only: at most 276 pairs each.
MAX_LINKED_MEMBERS = 24
# What a campaign's risk reads of its members' merged detectors (`scoring.account_risk`).
CAMPAIGN_DETECTORS = frozenset({UsageDetector.name, ProbeDetector.name})


def _held(recent: list[float], score: float, k: int) -> tuple[list[float], float]:
    """The last `k` scorings with `score`, and the lowest of them (0 before there are `k`)."""
    recent = [*recent[-(k - 1) :], score] if k > 1 else [score]
    return recent, min(recent) if len(recent) >= k else 0.0


class Analyzer:
    def __init__(self, config: AnalyzerConfig | None = None) -> None:
        self.config = config or AnalyzerConfig()
        self.tracks: dict[str, Track] = {}
        self.population = Population()
        self.owners = PromptOwners()
        self.campaign_scores: dict[str, float] = {}
        self.campaign_members: dict[str, list[str]] = {}
        self.walks: set[str] = set()  # campaigns that are walk networks (`detect.walks`)
        self.campaign_first_ts: dict[str, float] = {}
        self.campaign_links: dict[str, tuple[PairLink, ...]] = {}  # as of the last re-linking
        self.next_link_ts: float | None = None
        self.events = 0
        self.rankable = 0  # accounts with enough requests to be ranked
        self.built_with = 0  # rankable accounts when the population was last built
        self.view_ts: float | None = None  # stream time of the linker's view adopted last
        self.last_ts: float | None = None  # of the latest event
        self._changed: set[str] = set()  # accounts whose state changed since `take_changes`

    def process(self, event: Event) -> Score:
        """Learn from one event; return the account's `Score` (campaign included).

        The risk is re-scored on each of an account's first `score_all_first` requests and
        then on every `score_every`-th; in between, the latest score is returned, not fresh.
        """
        self._maybe_refresh(event.ts)
        self.last_ts = event.ts
        track = self.tracks.get(event.account)
        if track is None:
            track = self.tracks[event.account] = Track(AccountProfile(self.config.detectors()))
        profile = track.profile
        obs = profile.observe(extract(event, self.config.phrasing))
        self._popularity(event.account, track, obs.f.content)
        self.events += 1
        self._changed.add(event.account)
        if profile.n == behaviour.MIN_REQUESTS:
            self.rankable += 1
        # Scoring costs as much as updating: past the first requests, score every
        # `score_every`-th one (first_flag_index is then exact to that step).
        n, c = profile.n, self.config
        fresh = n <= c.score_all_first or n % c.score_every == 0
        latest = self._score(track) if fresh else track.score
        cid = track.campaign
        camp = None if cid is None else self.campaign_scores.get(cid)
        return Score(latest, fresh, cid, camp, track.held, track.own_held)

    def _popularity(self, account: str, track: Track, content: int) -> None:
        """Count prompts another account sent too, on both accounts (`detect.popularity`)."""
        usage = track.usage
        if usage is None or not usage.was_new:
            return
        shared, owner = self.owners.claim(content, account)
        if shared:
            usage.shared += 1
        if owner is not None and owner in self.tracks:
            first = self.tracks[owner].usage
            if first is not None:
                first.shared += 1
                self._changed.add(owner)

    def _maybe_refresh(self, ts: float) -> None:
        if self.next_link_ts is None:
            self.next_link_ts = ts + self.config.link_every_s
        if self.view_ts is not None and ts < self.view_ts + 2 * self.config.link_every_s:
            return  # a linker's view of every partition stands (see `adopt`)
        if refresh_due(ts, self.next_link_ts, self.rankable, self.built_with):
            self.refresh(ts)
            self.next_link_ts = ts + self.config.link_every_s

    def _score(self, track: Track) -> float:
        detectors = track.profile.detectors
        if self.config.scorer == "detectors":
            score = own = risk(detectors)
        elif self.config.scorer == "meanrank":
            score = own = plain_mean_rank(detectors, self.population)
        else:
            own, lvl = ranked_risk(track.usage, track.probe, self.population)
            score = own
            cid = track.campaign
            if cid is not None and track.linked_runs >= self.config.link_persistence:
                score = inherited_risk(lvl, self.campaign_scores[cid], own, cid in self.walks)
        self._record(track, score, own)
        return score

    def _record(self, track: Track, score: float, own: float) -> None:
        track.score = score
        track.max_score = max(track.max_score, score)
        track.over = track.over + 1 if score >= self.config.threshold else 0
        k = self.config.flag_after
        track.recent, track.held = _held(track.recent, score, k)
        track.own_recent, track.own_held = _held(track.own_recent, own, k)
        if track.first_flag is None and track.over >= self.config.flag_after:
            track.first_flag = track.profile.n

    def refresh(self, now: float) -> None:
        """Rebuild the population, re-form campaigns, and re-score every account."""
        if self.config.scorer != "detectors":
            self.rebuild_population()
        if self.config.linking:
            self.relink(now)
        self._rescore()

    def rebuild_population(self) -> None:
        rows = {}
        for account, t in self.tracks.items():
            usage = t.usage
            if usage is not None and usage.n >= behaviour.MIN_REQUESTS:
                rows[account] = (behaviour.segment(usage), behaviour.vector(usage))
        self.population = Population.build(rows)
        self.built_with = self.rankable

    def _rescore(self) -> None:
        if self.config.scorer != "detectors":
            for track in self.tracks.values():
                if track.profile.n >= behaviour.MIN_REQUESTS:
                    self._score(track)
            self._changed.update(self.tracks)

    def adopt(self, view: LinkedView) -> None:
        """Take the population and campaigns a linker found over every partition (its
        members of other partitions included), and re-score. The view stands instead of this
        analyzer's own refreshes until it is two link periods old in stream time (then the
        linker is taken to be gone, and the analyzer links its own accounts again). A view
        no newer than the one adopted last is ignored."""
        if self.view_ts is not None and view.ts <= self.view_ts:
            return
        stale = view.ts + 2 * self.config.link_every_s
        if self.last_ts is not None and stale <= self.last_ts:
            return  # this analyzer is two link periods past it: it links its own accounts
        self.view_ts = view.ts
        self.population = view.population
        self.built_with = self.rankable
        mine = {
            cid: c for cid, c in view.campaigns.items() if any(m in self.tracks for m in c.members)
        }
        previous = {a for a, t in self.tracks.items() if t.campaign is not None}
        self.campaign_scores = {cid: c.score for cid, c in mine.items()}
        self.campaign_members = {cid: list(c.members) for cid, c in mine.items()}
        self.walks = {cid for cid, c in mine.items() if c.walk}
        self.campaign_first_ts = {cid: c.first_ts for cid, c in mine.items()}
        self.campaign_links = {cid: c.links for cid, c in mine.items()}
        for account, track in self.tracks.items():
            track.campaign = view.campaign_of(account)
            track.linked_runs = view.linked_runs.get(account, 1) if track.campaign else 0
        self._changed.update(previous)
        self._changed.update(a for c in mine.values() for a in c.members if a in self.tracks)
        self._rescore()

    def relink(self, now: float) -> None:
        """Re-form campaigns from shared fingerprints and from behaviour, and score them."""
        eligible = {
            a: t for a, t in self.tracks.items() if t.profile.n >= self.config.link_min_requests
        }
        kept = distinctive(
            {a: t.profile.fingerprint() for a, t in eligible.items()}, self.config.link
        )
        groups = link_distinctive(kept, self.config.link)
        self.walks = set()  # re-found below, or none (another scorer)
        usages: dict[str, UsageDetector] = {}
        placed: dict[str, Placed | None] = {}
        if self.config.scorer == "population":
            usages = {a: t.usage for a, t in eligible.items() if t.usage is not None}
            # Ranked once here, for the groups and then each campaign's pairs.
            placed = placements(usages, self.population, self.config.behaviour_link)
            found = behaviour_links(usages, self.population, self.config.behaviour_link, placed)
            orgs = {a: eligible[a].profile.org for a in usages}
            walks = walk_links(usages, self.config.walk_link, orgs)
            groups = with_walks(merge_groups(groups, found), walks, self.config.link.min_members)
            self.walks = {campaign_id(g) for g in walks}
        previous = {a for a, t in self.tracks.items() if t.campaign is not None}
        for track in self.tracks.values():
            track.campaign = None
        self.campaign_scores.clear()
        self.campaign_members.clear()
        self.campaign_links.clear()
        for members in groups:
            cid = campaign_id(members)
            profiles = [self.tracks[a].profile for a in members]
            merged = profiles[0].merged_detectors(profiles[1:], CAMPAIGN_DETECTORS)
            self.campaign_scores[cid] = campaign_risk(merged, self.population, cid in self.walks)
            self.campaign_members[cid] = members
            self.campaign_first_ts.setdefault(cid, now)
            self.campaign_links[cid] = pair_links(
                members[:MAX_LINKED_MEMBERS],
                kept,
                usages,
                placed,
                self.population,
                self.config.link,
                self.config.behaviour_link,
                self.config.walk_link if cid in self.walks else None,
            )
            for a in members:
                track = self.tracks[a]
                track.campaign = cid
                track.linked_runs = track.linked_runs + 1 if a in previous else 1
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
        out = {a: track_state(self.tracks[a]) for a in self._changed if a in self.tracks}
        if out:
            out[CAMPAIGNS] = shared_state(self)
        self._changed.clear()
        return out

    def restore(self, states: Mapping[str, Mapping[str, Any]]) -> None:
        """Load what `take_changes` gave (all of it, merged); replaces the current state."""
        self.tracks = {a: load_track(s) for a, s in states.items() if a != CAMPAIGNS}
        shared = states.get(CAMPAIGNS)
        if shared is not None:
            load_shared(self, shared)
        self.rankable = sum(t.profile.n >= behaviour.MIN_REQUESTS for t in self.tracks.values())
        self.built_with = len(self.population)
        self._changed.clear()

    def results(self) -> tuple[list[AccountResult], list[CampaignResult]]:
        accounts = [self._result(name) for name in sorted(self.tracks)]
        campaigns = []
        for cid, members in sorted(self.campaign_members.items()):
            # A linker's campaign has members of other partitions: their profiles are there.
            profiles = [self.tracks[a].profile for a in members if a in self.tracks]
            merged = assess(profiles[0].merged_detectors(profiles[1:]), self.population)
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

    def assessment(self, account: str) -> tuple[str, ...]:
        """An account's reasons now, in words (its campaign first)."""
        return self._result(account).reasons

    def _result(self, name: str) -> AccountResult:
        t = self.tracks[name]
        a = assess(t.profile.detectors, self.population)
        reasons = a.reasons
        if t.campaign is not None:
            n = len(self.campaign_members[t.campaign])
            cs = self.campaign_scores[t.campaign]
            what = "walk network" if t.campaign in self.walks else "campaign"
            reasons = (f"member of {what} {t.campaign} ({n} accounts, risk {cs:.2f})", *reasons)
        return AccountResult(
            account=name,
            score=round(t.score, 6),
            flagged=t.over >= self.config.flag_after,
            first_flag_index=t.first_flag,
            campaign=t.campaign,
            reasons=reasons,
            requests=t.profile.n,
            peak=round(t.max_score, 6),
            evidence=dict(a.evidence),
        )
