"""What one linker, seeing every partition's accounts, says of them: campaigns and peers.

With accounts partitioned across detection workers, each worker sees 1/P of them: two
members of one hydra that hash to different partitions are never linked, and every account
is ranked against its own partition's peers only. A `PartitionLinker` (`detect.partitions`)
reads the accounts of all partitions, builds the population and links campaigns over all of
them, and hands the result to each worker as a `LinkedView`; `Analyzer.adopt` takes it.

A view is a value: it crosses the process boundary as `to_state` (JSON-able) and back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from distillguard.detect.campaigns import PairLink
from distillguard.detect.population import Population


@dataclass(frozen=True, slots=True)
class LinkedCampaign:
    members: tuple[str, ...]  # of every partition
    score: float  # the campaign's risk, from all its members' merged detectors
    walk: bool  # a walk network (`detect.walks`)
    first_ts: float  # stream time it was first linked
    links: tuple[PairLink, ...] = ()  # among its first members, as `Analyzer.campaign_links`


@dataclass(frozen=True, slots=True)
class LinkedView:
    """Campaigns and the population over every partition, as linked at stream time `ts`."""

    ts: float
    population: Population
    campaigns: Mapping[str, LinkedCampaign]
    # Per account in a campaign: consecutive linkings that found it in one (persistence).
    linked_runs: Mapping[str, int]
    accounts: int = 0  # accounts the linker knew, of all partitions
    _of: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for cid, camp in self.campaigns.items():
            for member in camp.members:
                self._of[member] = cid

    def campaign_of(self, account: str) -> str | None:
        return self._of.get(account)

    def to_state(self) -> dict[str, Any]:
        return {
            "ts": self.ts,
            "accounts": self.accounts,
            "population": self.population.to_state(),
            "campaigns": {
                cid: {
                    "members": list(c.members),
                    "score": c.score,
                    "walk": c.walk,
                    "first_ts": c.first_ts,
                    "links": [p.to_state() for p in c.links],
                }
                for cid, c in self.campaigns.items()
            },
            "linked_runs": dict(self.linked_runs),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> LinkedView:
        """Raises ValueError naming the field when the state is not a view this writes."""
        try:
            campaigns = {
                str(cid): LinkedCampaign(
                    members=tuple(str(m) for m in c["members"]),
                    score=float(c["score"]),
                    walk=bool(c["walk"]),
                    first_ts=float(c["first_ts"]),
                    links=tuple(PairLink.from_state(p) for p in c["links"]),
                )
                for cid, c in state["campaigns"].items()
            }
            return cls(
                ts=float(state["ts"]),
                population=Population.from_state(state["population"]),
                campaigns=campaigns,
                linked_runs={str(a): int(n) for a, n in state["linked_runs"].items()},
                accounts=int(state.get("accounts", 0)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ValueError(f"linked view unreadable: {type(err).__name__}: {err}") from err
