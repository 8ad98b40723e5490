"""Walk networks: many accounts that together walk one selection of prompts.

A low-and-slow network gives each account its own subnet, system prompt, framing and
sampling set-up, so neither shared content nor a shared set-up links it. What it cannot
hide is what the operation is: each member walks (no prompt twice, mostly single-shot,
no tool loop; a cover of follow-ups on half the requests does not hide it), and since
all of them draw from one selection, the mix of capabilities in their prompts is the
same. Products do not look like that: their users repeat popular questions and follow
up, and each product stays in its own domain.

Two walkers link when the cosine of their capability-area mixes reaches `min_cosine`
(single linkage). Shared content plays no part, and an account that repeats prompts or
mostly holds conversations is never a walker, so an evaluation (it re-runs) or a
tutoring app (it follows up) cannot be drawn in. A walk network's risk is its pooled
harvest value (`scoring.campaign_risk`), so a set of labellers walking their data sets
for short answers links but scores nothing.

The thresholds were set once, on the families scenarios and on the independent traces
of `benchmarks/independent` (`min_single` 0.95 caught 18% of a network that covers its
walk with follow-ups, 0.5 caught 82%), so those traces are no longer unseen for them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from distillguard.detect.campaigns import UnionFind
from distillguard.detect.detectors.usage import UsageDetector
from distillguard.detect.text import AREA_NAMES


@dataclass(frozen=True, slots=True)
class WalkLinkConfig:
    min_members: int = 5
    min_requests: int = 10  # fewer new prompts say too little about an area mix
    min_new: float = 0.97  # share of new prompts: a walk never sends a prompt twice
    min_single: float = 0.5  # share of single-shot requests: a cover of follow-ups at most
    min_cosine: float = 0.9
    # Walkers compared pairwise (the earliest accounts by name): a relinking stays
    # bounded at ~max_walkers^2 / 2 dot products of len(AREA_NAMES) numbers.
    max_walkers: int = 1500


def is_walker(usage: UsageDetector, cfg: WalkLinkConfig) -> bool:
    """No prompt twice, mostly single-shot, no tool loop: an account that walks a source."""
    return (
        usage.new >= cfg.min_requests
        and usage.new_share() >= cfg.min_new
        and usage.share(usage.single) >= cfg.min_single
        and usage.toolloop == 0
    )


def area_mix(usage: UsageDetector) -> tuple[float, ...] | None:
    """The account's new prompts over the capability areas, as a unit vector."""
    counts = [float(usage.areas.get(name, 0)) for name in AREA_NAMES]
    norm = math.sqrt(sum(c * c for c in counts))
    return tuple(c / norm for c in counts) if norm else None


def walk_links(
    usages: Mapping[str, UsageDetector], config: WalkLinkConfig | None = None
) -> list[list[str]]:
    """Groups of at least `min_members` walkers whose area mixes are alike."""
    cfg = config or WalkLinkConfig()
    rows: list[tuple[str, tuple[float, ...]]] = []
    for account in sorted(usages):
        usage = usages[account]
        mix = area_mix(usage) if is_walker(usage, cfg) else None
        if mix is not None:
            rows.append((account, mix))
    rows = rows[: cfg.max_walkers]
    uf = UnionFind()
    for i, (a, va) in enumerate(rows):
        uf.find(a)
        for b, vb in rows[i + 1 :]:
            if sum([x * y for x, y in zip(va, vb, strict=True)]) >= cfg.min_cosine:
                uf.union(a, b)
    groups: dict[str, list[str]] = defaultdict(list)
    for a, _ in rows:
        groups[uf.find(a)].append(a)
    found = [sorted(g) for g in groups.values() if len(g) >= cfg.min_members]
    return sorted(found, key=lambda g: g[0])


def with_walks(
    groups: list[list[str]], walks: list[list[str]], min_members: int = 3
) -> list[list[str]]:
    """The walk groups, and the other linkers' groups without the walkers in them.

    A walk network's risk is its members' pooled behaviour; an evaluation or a product
    that a shared address or system prompt links to one member would dilute it (its
    re-runs and follow-ups pooled with the walk), so a walker belongs to its walk.
    """
    walking = {a for g in walks for a in g}
    rest = [[a for a in g if a not in walking] for g in groups]
    return sorted([*walks, *(g for g in rest if len(g) >= min_members)], key=lambda g: g[0])
