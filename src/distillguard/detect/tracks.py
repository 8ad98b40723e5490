"""One account's place in the analyzer: its detectors and what the analyzer keeps of it.

Also the one codec of that state (`track_state`, `load_track`), which the analyzer's
persistence and `forensics.evidence` share.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from distillguard.detect.detectors.probing import ProbeDetector
from distillguard.detect.detectors.usage import UsageDetector
from distillguard.detect.profile import AccountProfile
from distillguard.detect.scoring import probe_of, usage_of


@dataclass(slots=True)
class Track:
    profile: AccountProfile
    max_score: float = 0.0
    first_flag: int | None = None
    campaign: str | None = None
    linked_runs: int = 0  # consecutive re-linkings that found the account in a campaign
    score: float = 0.0  # the latest risk
    over: int = 0  # consecutive scorings at or over the threshold
    recent: list[float] = field(default_factory=list)  # the last `flag_after` scorings
    held: float = 0.0  # the lowest of them (`Score.held`)
    own_recent: list[float] = field(default_factory=list)  # the same, campaigns left out
    own_held: float = 0.0  # `Score.own_held`
    # The profile's usage and probe detectors (None for a baseline's), found once rather
    # than on each of the several lookups an event makes.
    usage: UsageDetector | None = field(init=False, repr=False, compare=False)
    probe: ProbeDetector | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.usage = usage_of(self.profile.detectors)
        self.probe = probe_of(self.profile.detectors)


TRACK_FIELDS = (
    "max_score",
    "first_flag",
    "campaign",
    "linked_runs",
    "score",
    "over",
    "recent",
    "held",
    "own_recent",
    "own_held",
)


def track_state(track: Track) -> dict[str, Any]:
    out: dict[str, Any] = {"profile": track.profile.to_state()}
    out.update({name: getattr(track, name) for name in TRACK_FIELDS})
    return out


def load_track(state: Mapping[str, Any]) -> Track:
    track = Track(AccountProfile.from_state(state["profile"]))
    for name in TRACK_FIELDS:
        if name in state:  # states saved before a field existed keep its default
            setattr(track, name, state[name])
    return track
