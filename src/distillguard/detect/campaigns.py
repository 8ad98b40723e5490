"""Cross-account linking: accounts that share distinctive content form a campaign.

Each account's fingerprint is a small token set: the prompt templates and system
prompts that carry much of its traffic (content), and its main /24 address ranges
and user agents (infrastructure). Tokens that many accounts hold (a default system
prompt, a popular client library) say nothing and are dropped. Two accounts link
when they share a content token and either share infrastructure too or share several
content tokens, a system prompt among them (content Jaccard >= `min_content_jaccard`): a
hydra runs one harvest through one scaffold from a few address ranges, while sharing only
a NAT and a client library is what one honest organisation's accounts look like.
Templates alone are formats: a public harness's are sent alike by strangers (set after
reading blind4's evaluation vendors, linked with rubric harvesters by a judge template).
An inverted index over content tokens finds the candidate pairs (each token is held by at
most `cap` accounts, so the work stays near-linear), and union-find over the links gives
the campaigns.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Protocol

from distillguard.detect.sketches import hash64

CONTENT_KINDS = frozenset("ts")  # t: template, s: system prompt; n: address range, u: agent
SYSTEM_PROMPT = "s"  # the content kind that is an identity, not a format


class ContentShares(Protocol):
    def content_share(self, token: str) -> float: ...


@dataclass(frozen=True, slots=True)
class LinkConfig:
    # A token held by more than max(min_df_cap, max_df * accounts) accounts is generic.
    max_df: float = 0.25
    min_df_cap: int = 25
    min_content_jaccard: float = 0.5
    min_members: int = 3


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        up = parent.setdefault(x, x)
        while up != x:  # path halving
            parent[x] = up = parent[up]
            x, up = up, parent[up]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


Split = tuple[set[str], set[str]]  # an account's content tokens and the others


def _split(tokens: set[str]) -> Split:
    content = {t for t in tokens if t[0] in CONTENT_KINDS}
    return content, tokens - content


def _linked(a: set[str], b: set[str], min_content_jaccard: float) -> bool:
    return _linked_split(_split(a), _split(b), min_content_jaccard)


def _linked_split(a: Split, b: Split, min_content_jaccard: float) -> bool:
    content_a, content_b = a[0], b[0]
    shared = content_a & content_b
    if not shared:
        return False
    if not a[1].isdisjoint(b[1]):
        return True
    # Without shared infrastructure, one common token is too little: ask for several, and
    # a system prompt among them. Templates are formats: an evaluation harness's prompts
    # (its judge template, its few-shot frame) are public, and unrelated vendors, and
    # whoever copies them, send them alike; a system prompt sent verbatim is an identity.
    if not any(t[0] == SYSTEM_PROMPT for t in shared):
        return False
    return len(shared) >= 2 and len(shared) / len(content_a | content_b) >= min_content_jaccard


def link(fingerprints: Mapping[str, set[str]], config: LinkConfig | None = None) -> list[list[str]]:
    """Groups of at least `min_members` accounts linked by shared distinctive tokens.

    >>> hydra = {f"h{i}": {"s1", f"n{i % 2}", "u1"} for i in range(4)}
    >>> link({**hydra, "solo": {"s2", "n0"}}, LinkConfig(min_df_cap=5))
    [['h0', 'h1', 'h2', 'h3']]
    """
    cfg = config or LinkConfig()
    return link_distinctive(distinctive(fingerprints, cfg), cfg)


def distinctive(fingerprints: Mapping[str, set[str]], config: LinkConfig) -> dict[str, set[str]]:
    """Each account's tokens that at least two, and at most the generic cap of, accounts hold."""
    df = Counter(t for tokens in fingerprints.values() for t in tokens)
    cap = max(config.min_df_cap, config.max_df * len(fingerprints))
    return {a: {t for t in toks if 2 <= df[t] <= cap} for a, toks in fingerprints.items()}


def link_distinctive(kept: Mapping[str, set[str]], cfg: LinkConfig) -> list[list[str]]:
    """`link` on tokens `distinctive` already kept."""
    holders: dict[str, list[str]] = defaultdict(list)
    for account in sorted(kept):
        for token in kept[account]:
            if token[0] in CONTENT_KINDS:
                holders[token].append(account)
    uf = UnionFind()
    find = uf.find
    checked: set[tuple[str, str]] = set()
    split = {a: _split(tokens) for a, tokens in kept.items()}  # once, not once per pair
    # Every pair of every token's holders: tens of thousands a re-linking, so lean.
    for accounts in holders.values():
        for pair in combinations(accounts, 2):
            if pair in checked:
                continue
            a, b = pair
            if find(a) == find(b):
                continue
            checked.add(pair)
            if _linked_split(split[a], split[b], cfg.min_content_jaccard):
                uf.union(a, b)
    groups: dict[str, list[str]] = defaultdict(list)
    for account in uf.parent:
        groups[uf.find(account)].append(account)
    return sorted(
        (sorted(g) for g in groups.values() if len(g) >= cfg.min_members), key=lambda g: g[0]
    )


@dataclass(frozen=True, slots=True)
class PairLink:
    """Why two members of a campaign are linked: `kind` is "shared" (fingerprint tokens,
    each kind-prefixed as in `AccountProfile.fingerprint`) or "behaviour"."""

    a: str
    b: str
    kind: str
    tokens: tuple[str, ...] = ()

    def to_state(self) -> list[Any]:
        return [self.a, self.b, self.kind, list(self.tokens)]

    @classmethod
    def from_state(cls, p: Sequence[Any]) -> PairLink:
        return cls(p[0], p[1], p[2], tuple(p[3]) if len(p) > 3 else ())


def shared_links(
    kept: Mapping[str, set[str]], members: Sequence[str], cfg: LinkConfig
) -> list[PairLink]:
    """The pairs among `members` that `link` joins, each with the tokens they share.

    `link` stops testing a pair once union-find has joined it some other way, so the
    pairwise links are found again here, for a campaign's members only (quadratic in them).

    >>> kept = {"a": {"s1", "n1"}, "b": {"s1", "n1"}, "c": {"s1", "n2"}}
    >>> [(p.a, p.b, p.tokens) for p in shared_links(kept, ["a", "b", "c"], LinkConfig())]
    [('a', 'b', ('n1', 's1'))]
    """
    links = []
    split = {a: _split(kept.get(a, set())) for a in members}
    for a, b in combinations(sorted(members), 2):
        if _linked_split(split[a], split[b], cfg.min_content_jaccard):
            ta, tb = kept.get(a, set()), kept.get(b, set())
            links.append(PairLink(a, b, "shared", tuple(sorted(ta & tb))))
    return links


def cohesion(profiles: Sequence[ContentShares], prints: Sequence[set[str]]) -> float:
    """Median share of a member's traffic carried by content most members share.

    Near 1 when one harvest runs through one scaffold across all accounts; colleagues
    who share a prompt now and then sit far lower.
    """
    counts = Counter(t for p in prints for t in p if t[0] in CONTENT_KINDS)
    shared = [t for t, c in counts.items() if c >= len(prints) / 2]
    if not shared:
        return 0.0
    return statistics.median(max(p.content_share(t) for t in shared) for p in profiles)


def campaign_id(members: list[str]) -> str:
    """A stable name for a campaign: the same first member gives the same id."""
    return f"cmp_{hash64(members[0]):016x}"[:12]


def merge_groups(*sources: list[list[str]]) -> list[list[str]]:
    """Union of overlapping groups from several linkers."""
    owner: dict[str, int] = {}
    groups: list[set[str]] = []
    for source in sources:
        for members in source:
            hits = sorted({owner[a] for a in members if a in owner})
            if not hits:
                groups.append(set(members))
                idx = len(groups) - 1
            else:
                idx = hits[0]
                for other in hits[1:]:
                    groups[idx] |= groups[other]
                    groups[other] = set()
                groups[idx] |= set(members)
            for a in groups[idx]:
                owner[a] = idx
    return sorted((sorted(g) for g in groups if g), key=lambda g: g[0])
