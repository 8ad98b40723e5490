"""Linking across partitions: one linker over the accounts of every detection worker.

    linker = PartitionLinker()
    linker.update(states)          # account states (`Analyzer.take_changes`), any partition
    if linker.due(now):            # now: the stream time every partition has reached
        view = linker.link(now)    # a `LinkedView`; each worker's `Analyzer.adopt` takes it

The linker keeps one track per account of every partition, as the workers last saved it,
and does what a single analyzer's refresh does over all of them: it builds the population
and links campaigns. Linking is the part of detection that does not partition, so its
memory is every account's track, as its worker saved it, in one process. It says each
account's campaign and how many linkings in a row found it in one; the workers' own
counts are not read back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from distillguard.detect import behaviour
from distillguard.detect.engine import Analyzer, AnalyzerConfig
from distillguard.detect.linked import LinkedCampaign, LinkedView
from distillguard.detect.population import refresh_due
from distillguard.detect.tracks import load_track


class PartitionLinker:
    def __init__(self, config: AnalyzerConfig | None = None) -> None:
        self._analyzer = Analyzer(config)
        self.config = self._analyzer.config
        self.last_ts: float | None = None  # stream time of the last view
        self.first_ts: float | None = None  # the first stream time `due` was asked about
        self.built_with = 0  # rankable accounts when it last linked

    def update(self, states: Mapping[str, Mapping[str, Any]]) -> None:
        """Take accounts' saved states; shared keys ("#campaigns", ...) are skipped. An
        account's campaign and run count stay the linker's own: it is what says them."""
        tracks = self._analyzer.tracks
        for account, state in states.items():
            if account.startswith("#"):
                continue
            track = load_track(state)
            old = tracks.get(account)
            if old is not None:
                track.campaign, track.linked_runs = old.campaign, old.linked_runs
            tracks[account] = track

    @property
    def accounts(self) -> int:
        return len(self._analyzer.tracks)

    def __contains__(self, account: object) -> bool:
        return account in self._analyzer.tracks

    @property
    def rankable(self) -> int:
        return sum(t.profile.n >= behaviour.MIN_REQUESTS for t in self._analyzer.tracks.values())

    def due(self, now: float, rankable: int | None = None) -> bool:
        """When a single analyzer would refresh: a link period of stream time after the last
        view (or after the linker started), or sooner while the population is young (the
        rankable accounts have doubled since it last linked). `rankable`: the count of the
        caller, when it knows one newer than the states the linker was given."""
        if self.first_ts is None:
            self.first_ts = now
        rankable = self.rankable if rankable is None else rankable
        since = self.first_ts if self.last_ts is None else self.last_ts
        return refresh_due(now, since + self.config.link_every_s, rankable, self.built_with)

    def resume(self, view: LinkedView) -> None:
        """Go on from a view saved before a restart: its time, its population's size and
        when each of its campaigns was first linked (so a campaign keeps its age)."""
        self.last_ts = view.ts
        self.built_with = len(view.population)  # as `Analyzer.restore` counts it
        self._analyzer.campaign_first_ts = {c: v.first_ts for c, v in view.campaigns.items()}

    def link(self, now: float) -> LinkedView:
        """Build the population and link campaigns over every account known now."""
        a = self._analyzer
        if a.config.scorer != "detectors":
            a.rebuild_population()
        if a.config.linking:
            a.relink(now)
        self.last_ts, self.built_with = now, self.rankable
        campaigns = {
            cid: LinkedCampaign(
                members=tuple(members),
                score=a.campaign_scores[cid],
                walk=cid in a.walks,
                first_ts=a.campaign_first_ts[cid],
                links=a.campaign_links.get(cid, ()),
            )
            for cid, members in a.campaign_members.items()
        }
        runs = {acc: t.linked_runs for acc, t in a.tracks.items() if t.campaign is not None}
        return LinkedView(now, a.population, campaigns, runs, accounts=len(a.tracks))
