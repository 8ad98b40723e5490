"""Behavioural linking: accounts that behave alike, with the same client habits, form a group.

Coordinated accounts can each have their own address range, system prompt and framing,
and never share a prompt; what they cannot easily vary is what the operation is for and
the code that runs it. Two accounts are linked when they use the same sampling set-up
(model, temperature, top_p, seed, effort and max_tokens behind most of their requests)
and sit close in behaviour space: within `max_distance` of each other's population
percentile on every core statistic (single linkage, so a network whose members drift
apart a little stays one group). Shared public content plays no part.

Only accounts whose own behaviour leans toward extraction are linked at all: a member
that shows no evidence of its own would never inherit a campaign's risk, and leaving
the others out keeps a campaign's pooled evidence from being diluted by strangers.
A network may be a quarter of a provider's accounts, so no group is too large; the
distance in behaviour space keeps strangers with the same default client apart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from distillguard.detect import behaviour
from distillguard.detect.campaigns import LinkConfig, PairLink, UnionFind, shared_links
from distillguard.detect.detectors.usage import UsageDetector
from distillguard.detect.population import Population
from distillguard.detect.scoring import level
from distillguard.detect.walks import WalkLinkConfig, walk_pairs

CORE = ("new", "single", "capped", "length", "ratio", "breadth")
_CORE_INDEX = tuple(behaviour.NAMES.index(name) for name in CORE)


@dataclass(frozen=True, slots=True)
class BehaviourLinkConfig:
    min_members: int = 3
    max_distance: float = 0.25  # in percentile, on each core statistic
    max_bucket: int = 2000  # accounts compared pairwise within one set-up
    min_lean: float = 0.35  # evidence level (`scoring.level`) of an account to be linked
    same_setup: bool = True  # link only accounts whose dominant sampling set-up is one


Row = tuple[str, tuple[float, ...]]  # an account and its core percentiles
# Where a linkable account is compared: its segment and dominant set-up, and its row.
Placed = tuple[tuple[str, int], Row]


def behaviour_links(
    usages: Mapping[str, UsageDetector],
    population: Population,
    config: BehaviourLinkConfig | None = None,
    placed: Mapping[str, Placed | None] | None = None,
) -> list[list[str]]:
    """Groups of at least `min_members` accounts with one set-up and one behaviour region.

    `placed`: what `placements` gave for these accounts, so a re-linking ranks each once.
    """
    cfg = config or BehaviourLinkConfig()
    groups: list[list[str]] = []
    for bucket in _buckets(usages, population, cfg, placed):
        groups.extend(_close_groups(bucket[: cfg.max_bucket], cfg.max_distance))
    return sorted((g for g in groups if len(g) >= cfg.min_members), key=lambda g: g[0])


def behaviour_pairs(
    usages: Mapping[str, UsageDetector],
    population: Population,
    config: BehaviourLinkConfig | None = None,
    placed: Mapping[str, Placed | None] | None = None,
) -> list[tuple[str, str]]:
    """The pairs `behaviour_links` joins directly (one set-up, within `max_distance` on every
    core statistic): call it with one campaign's members, as it is quadratic in them."""
    cfg = config or BehaviourLinkConfig()
    pairs: list[tuple[str, str]] = []
    for rows in _buckets(usages, population, cfg, placed):
        for i, (a, va) in enumerate(rows):
            pairs.extend((a, b) for b, vb in rows[i + 1 :] if _close(va, vb, cfg.max_distance))
    return sorted(pairs)


def placements(
    usages: Mapping[str, UsageDetector],
    population: Population,
    config: BehaviourLinkConfig | None = None,
) -> dict[str, Placed | None]:
    """Each account's bucket and row, None for one that is not linked at all."""
    cfg = config or BehaviourLinkConfig()
    return {account: _place(account, usage, population, cfg) for account, usage in usages.items()}


def _buckets(
    usages: Mapping[str, UsageDetector],
    population: Population,
    cfg: BehaviourLinkConfig,
    placed: Mapping[str, Placed | None] | None,
) -> list[list[Row]]:
    """The linkable accounts, by behaviour segment and dominant sampling set-up."""
    buckets: dict[tuple[str, int], list[Row]] = defaultdict(list)
    for account in sorted(usages):
        if placed is not None and account in placed:
            where = placed[account]
        else:
            where = _place(account, usages[account], population, cfg)
        if where is not None:
            buckets[where[0]].append(where[1])
    return list(buckets.values())


def _place(
    account: str, usage: UsageDetector, population: Population, cfg: BehaviourLinkConfig
) -> Placed | None:
    if usage.n < behaviour.MIN_REQUESTS:
        return None
    ranks = population.rank(behaviour.segment(usage), behaviour.vector(usage))
    if ranks is None:
        return None
    pcts = ranks.percentiles
    lean = level(usage, ranks)
    setup = usage.setup() if cfg.same_setup else 0
    if lean < cfg.min_lean or setup is None:
        return None
    core = tuple(pcts[i] for i in _CORE_INDEX)
    return (ranks.segment, setup), (account, core)


def _close(va: tuple[float, ...], vb: tuple[float, ...], distance: float) -> bool:
    return max(abs(x - y) for x, y in zip(va, vb, strict=True)) <= distance


def _close_groups(rows: list[Row], distance: float) -> list[list[str]]:
    """Single-linkage groups of rows within `distance` on every coordinate."""
    uf = UnionFind()
    for i, (a, va) in enumerate(rows):
        uf.find(a)
        for b, vb in rows[i + 1 :]:
            if _close(va, vb, distance):
                uf.union(a, b)
    groups: dict[str, list[str]] = defaultdict(list)
    for a, _ in rows:
        groups[uf.find(a)].append(a)
    return [sorted(g) for g in groups.values()]


def pair_links(
    drawn: list[str],
    kept: Mapping[str, set[str]],
    usages: Mapping[str, UsageDetector],
    placed: Mapping[str, Placed | None],
    population: Population,
    link: LinkConfig,
    behaviour_link: BehaviourLinkConfig,
    walk_link: WalkLinkConfig | None,
) -> tuple[PairLink, ...]:
    """Which of a campaign's `drawn` members are linked to which, and by what: shared
    fingerprints, behaviour, and (`walk_link` given: a walk network) walking alike."""
    links = shared_links(kept, drawn, link)
    near = {a: usages[a] for a in drawn if a in usages}
    pairs = behaviour_pairs(near, population, behaviour_link, placed)
    links.extend(PairLink(a, b, "behaviour") for a, b in pairs)
    if walk_link is not None:
        links.extend(PairLink(a, b, "walk") for a, b in walk_pairs(near, walk_link))
    return tuple(links)
