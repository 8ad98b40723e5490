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

A walker must also spread over the capability areas (`min_breadth`): two products of
one domain have alike mixes by construction, so without it RAG tenants that never repeat
a question would link (a reviewer's case, now a test).

The thresholds were set on the families scenarios and on the independent traces of
`benchmarks/independent`, so those traces are no longer unseen for them: `min_single`
0.95 caught 18% of a network that covers its walk with follow-ups, 0.5 caught 82%;
`min_breadth` 0.5 cut the calibration scenario's network from 88% to 63% caught, 0.35
kept it. Members inherit past `scoring.FLOOR`; at `MIN_OWN_LEAN` the independent
networks were caught 66% / 40% instead of 86% / 82%.
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
    # Spread over the capability areas (normalised entropy, `UsageDetector.breadth`): a
    # product's users stay in its domain, so two single-domain products always have alike
    # mixes; only a walk over a broad selection says that many accounts share one source.
    min_breadth: float = 0.35
    # Walkers compared pairwise, as one matrix product in blocks: 20,000 walkers are
    # ~2e8 multiply-adds a relinking.
    max_walkers: int = 20000


def is_walker(usage: UsageDetector, cfg: WalkLinkConfig) -> bool:
    """No prompt twice, mostly single-shot, no tool loop: an account that walks a source."""
    return (
        usage.new >= cfg.min_requests
        and usage.new_share() >= cfg.min_new
        and usage.single_share() >= cfg.min_single
        and usage.toolloop == 0
        and usage.breadth() >= cfg.min_breadth
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
    rows = _walkers(usages, cfg)
    uf = UnionFind()
    for a, b in _alike(rows, cfg.min_cosine):
        uf.union(a, b)
    groups: dict[str, list[str]] = defaultdict(list)
    for a, _ in rows:
        groups[uf.find(a)].append(a)
    found = [sorted(g) for g in groups.values() if len(g) >= cfg.min_members]
    return sorted(found, key=lambda g: g[0])


def walk_pairs(
    usages: Mapping[str, UsageDetector], config: WalkLinkConfig | None = None
) -> list[tuple[str, str]]:
    """The pairs `walk_links` joins directly: call it with one network's members."""
    cfg = config or WalkLinkConfig()
    return _alike(_walkers(usages, cfg), cfg.min_cosine)


def _walkers(
    usages: Mapping[str, UsageDetector], cfg: WalkLinkConfig
) -> list[tuple[str, tuple[float, ...]]]:
    rows: list[tuple[str, tuple[float, ...]]] = []
    for account in sorted(usages):
        usage = usages[account]
        mix = area_mix(usage) if is_walker(usage, cfg) else None
        if mix is not None:
            rows.append((account, mix))
    return rows[: cfg.max_walkers]


def _alike(rows: list[tuple[str, tuple[float, ...]]], min_cosine: float) -> list[tuple[str, str]]:
    """Pairs of rows whose unit vectors' dot product reaches `min_cosine`."""
    if len(rows) < 2:
        return []
    import numpy as np  # only when there are walkers: `analyze --help` stays light

    names = [a for a, _ in rows]
    x = np.array([v for _, v in rows], dtype=np.float64)
    pairs: list[tuple[str, str]] = []
    for start in range(0, len(rows), 1024):
        block = x[start : start + 1024] @ x.T
        for i, j in zip(*np.nonzero(block >= min_cosine), strict=True):
            if start + int(i) < int(j):
                pairs.append((names[start + int(i)], names[int(j)]))
    return pairs


def with_walks(
    groups: list[list[str]], walks: list[list[str]], min_members: int
) -> list[list[str]]:
    """The walk groups, and the other linkers' groups without the walkers in them.

    A walk network's risk is its members' pooled behaviour; an evaluation or a product
    that a shared address or system prompt links to one member would dilute it (its
    re-runs and follow-ups pooled with the walk), so a walker belongs to its walk.
    """
    walking = {a for g in walks for a in g}
    rest = [[a for a in g if a not in walking] for g in groups]
    return sorted([*walks, *(g for g in rest if len(g) >= min_members)], key=lambda g: g[0])
