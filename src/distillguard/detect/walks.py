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

Single linkage chains: one bridging walker joins a broad product, or a second network,
to a network. So a network keeps only the members near its core's area mix, unless a
member's counts are too few to tell (`cohesive`); those it drops may form a network of
their own. And a network needs `min_members` customers, not accounts: the accounts of
one organisation the provider knows are one customer, whose staff may well walk one
mix of questions in the open (`customers`); a network hides behind accounts that look
unrelated.

The thresholds were set on the families scenarios and on the independent traces of
`benchmarks/independent`, so those traces are no longer unseen for them: `min_single`
0.95 caught 18% of a network that covers its walk with follow-ups, 0.5 caught 82%;
`min_breadth` 0.5 cut the calibration scenario's network from 88% to 63% caught, 0.35
kept it. Members inherit past `scoring.FLOOR`; at `MIN_OWN_LEAN` the independent
networks were caught 66% / 40% instead of 86% / 82%. The core and the customer count
came after reading walk networks of both detector-blind generators (blind2's chained in
two benign rubric graders; the independent one's joined an enterprise's 16 accounts to
the low-and-slow network), so neither is unseen for them. `min_members` went from 5 to
12 after reading blind3's and blind4's walk networks: every benign or mixed one held 5-15
accounts, every network of one operation 22-51; at 10 the 10- and 11-account ones of
blind4 still linked, so that figure is set on them too.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from distillguard.detect.campaigns import UnionFind
from distillguard.detect.detectors.usage import UsageDetector
from distillguard.detect.text import AREA_NAMES


@dataclass(frozen=True, slots=True)
class WalkLinkConfig:
    # Customers, not accounts (`customers`). A network splits its walk to keep each account
    # small, so it has many; a handful of products of one kind (RAG apps, an enterprise's
    # teams, evaluation vendors) each walking new questions over a broad mix have alike
    # mixes by construction. At 5, groups of 5-11 such products linked on two
    # detector-blind generators (blind3, blind4) and inherited a pooled harvest value.
    min_members: int = 12
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
    # A member stays in its network only while its mix is near the network's core
    # (`cohesive`), unless its own counts are too few to tell (a G-test against the
    # core's mix at `max_p`): single linkage alone chains a broad product, or a second
    # network, in through one bridging walker.
    min_cohesion: float = 0.85
    max_p: float = 1e-3


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
    usages: Mapping[str, UsageDetector],
    config: WalkLinkConfig | None = None,
    orgs: Mapping[str, str] | None = None,
) -> list[list[str]]:
    """Groups of walkers from at least `min_members` customers whose area mixes are alike.

    `orgs`: the provider's organisation of each account that has one. The accounts of one
    organisation are one customer (`customers`), so an organisation's staff walking its
    own mix of questions is that customer's traffic, judged by the other linkers as one
    pooled account, and not a network hidden behind many accounts.
    """
    cfg = config or WalkLinkConfig()
    orgs = orgs or {}
    rows = _walkers(usages, cfg)
    found: list[list[str]] = []
    # A network's outsiders may form a network of their own: a few rounds find it.
    for _ in range(3):
        left: list[tuple[str, tuple[float, ...]]] = []
        for group in _linked(rows, cfg):
            kept = cohesive({a: usages[a] for a in group}, cfg)
            if customers(kept, orgs) >= cfg.min_members:
                found.append(kept)
            dropped = set(group).difference(kept)
            left.extend(r for r in rows if r[0] in dropped)
        if len(left) < cfg.min_members or len(left) == len(rows):
            break
        rows = left
    return sorted(found, key=lambda g: g[0])


def customers(members: list[str], orgs: Mapping[str, str]) -> int:
    """How many customers the accounts are: one per organisation, one per account without."""
    known = {orgs[a] for a in members if orgs.get(a)}
    return len(known) + sum(1 for a in members if not orgs.get(a))


def _linked(rows: list[tuple[str, tuple[float, ...]]], cfg: WalkLinkConfig) -> list[list[str]]:
    """Single-linkage groups of at least `min_members` rows, each sorted."""
    uf = UnionFind()
    for a, b in _alike(rows, cfg.min_cosine):
        uf.union(a, b)
    groups: dict[str, list[str]] = defaultdict(list)
    for a, _ in rows:
        groups[uf.find(a)].append(a)
    return [sorted(g) for g in groups.values() if len(g) >= cfg.min_members]


def cohesive(members: Mapping[str, UsageDetector], cfg: WalkLinkConfig) -> list[str]:
    """The members whose area mix belongs with the network's core, sorted.

    One network drawing from one selection has alike mixes; a product chained in has
    another, and so has a second network joined through a bridge. The core starts at the
    member with the most near neighbours (cosine at least `min_cohesion`) and is the
    mean mix of the members near it, taken again until it settles. A member stays if it
    is near the core or if its own counts cannot tell (G-test p at least `max_p`).
    """
    import numpy as np  # as in `_alike`: only when there are walk groups

    names = sorted(members)
    counts = np.array([[members[a].areas.get(k, 0) for k in AREA_NAMES] for a in names], float)
    units = counts / np.maximum(np.linalg.norm(counts, axis=1, keepdims=True), 1e-12)
    near = np.zeros(len(names))
    for start in range(0, len(names), 1024):
        near[start : start + 1024] = (
            units[start : start + 1024] @ units.T >= cfg.min_cohesion
        ).sum(1)
    core = units @ units[int(np.argmax(near))] >= cfg.min_cohesion
    keep = core
    for _ in range(5):
        centre = units[core].mean(axis=0)
        cos = units @ (centre / max(float(np.linalg.norm(centre)), 1e-12))
        core_now = cos >= cfg.min_cohesion
        keep = core_now | (_g_test_p(counts, counts[core_now].sum(axis=0)) >= cfg.max_p)
        if (core_now == core).all() or not core_now.any():
            break
        core = core_now
    return [a for a, k in zip(names, keep, strict=True) if k]


def _g_test_p(counts: Any, pooled: Any) -> Any:
    """Per row, the p-value of its counts as a draw from the pooled mix (half a count of
    smoothing per area, so an area the pool never asked stays possible)."""
    import numpy as np

    share = (pooled + 0.5) / (pooled.sum() + 0.5 * len(pooled))
    expected = share[None, :] * counts.sum(axis=1, keepdims=True)
    g = 2.0 * np.where(counts > 0, counts * np.log(np.maximum(counts, 1e-12) / expected), 0.0)
    return np.array([_chi2_sf(float(x), counts.shape[1] - 1) for x in g.sum(axis=1)])


def _chi2_sf(x: float, dof: int) -> float:
    """Upper tail of the chi-square distribution (Wilson-Hilferty; ample for a cut-off)."""
    if x <= 0.0:
        return 1.0
    c = 2.0 / (9.0 * dof)
    z = ((x / dof) ** (1.0 / 3.0) - (1.0 - c)) / math.sqrt(c)
    return 0.5 * math.erfc(z / math.sqrt(2.0))


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
