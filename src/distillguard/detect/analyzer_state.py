"""The one codec of the analyzer's shared state (its `CAMPAIGNS` key): campaigns, the
population, prompt owners and the stream-time marks, as `take_changes` saves them.

Every field added later is read with a default, so a state saved by an older version loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from distillguard.detect.campaigns import PairLink
from distillguard.detect.popularity import PromptOwners
from distillguard.detect.population import Population

if TYPE_CHECKING:
    from distillguard.detect.engine import Analyzer


def shared_state(a: Analyzer) -> dict[str, Any]:
    return {
        "events": a.events,
        "next_link_ts": a.next_link_ts,
        "scores": a.campaign_scores,
        "members": a.campaign_members,
        "walks": sorted(a.walks),
        "first_ts": a.campaign_first_ts,
        "links": {c: [p.to_state() for p in ps] for c, ps in a.campaign_links.items()},
        "population": a.population.to_state(),
        "owners": a.owners.to_state(),
        "rankable": a.rankable,
        "built_with": a.built_with,
        "view_ts": a.view_ts,
    }


def load_shared(a: Analyzer, shared: Mapping[str, Any]) -> None:
    a.events = shared["events"]
    a.next_link_ts = shared["next_link_ts"]
    a.campaign_scores = dict(shared["scores"])
    a.campaign_members = {c: list(m) for c, m in shared["members"].items()}
    a.campaign_first_ts = dict(shared["first_ts"])
    a.walks = set(shared.get("walks", ()))  # none in states saved before walks
    saved = shared.get("links", {})  # states saved before links were kept have none
    a.campaign_links = {c: tuple(PairLink.from_state(p) for p in ps) for c, ps in saved.items()}
    if "population" in shared:
        a.population = Population.from_state(shared["population"])
    if "owners" in shared:
        a.owners = PromptOwners.from_state(shared["owners"])
    a.view_ts = shared.get("view_ts")  # none before linkers
