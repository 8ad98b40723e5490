"""Cross-account linking: accounts that share distinctive fingerprints form a campaign.

Each account's fingerprint is a small token set (heavy templates, system prompts,
/24 address ranges, user agents). Tokens that many accounts share (a default system
prompt, a popular client library) say nothing and are dropped. MinHash LSH finds
candidate pairs in sub-quadratic time; a pair links when its exact Jaccard is high
enough and the shared tokens span at least two kinds (say, templates and addresses),
so two products that merely share a system prompt stay apart, and at least one
of the kinds must be content (template or system prompt). Union-find over the
links gives the campaigns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

from distillguard.detect.sketches import hash64

# Token kinds: t template, s system prompt, n address range, u user agent. A link
# needs shared content (t or s): sharing only a NAT and a client library is what the
# accounts of one honest organisation look like.
_CONTENT_KINDS = frozenset("ts")


@dataclass(frozen=True, slots=True)
class LinkConfig:
    # A token held by more than max(min_df_cap, max_df * accounts) accounts is generic
    # (a default system prompt, a popular client) and says nothing about coordination.
    max_df: float = 0.15
    min_df_cap: int = 25
    min_jaccard: float = 0.3
    min_kinds: int = 2
    min_members: int = 3
    num_perm: int = 64


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _minhash(tokens: set[str], num_perm: int) -> MinHash:
    m = MinHash(num_perm=num_perm, seed=7)
    m.update_batch([t.encode() for t in sorted(tokens)])
    return m


def link(fingerprints: Mapping[str, set[str]], config: LinkConfig | None = None) -> list[list[str]]:
    """Groups of at least `min_members` accounts linked by shared distinctive tokens."""
    cfg = config or LinkConfig()
    df = Counter(t for tokens in fingerprints.values() for t in tokens)
    cap = max(cfg.min_df_cap, cfg.max_df * len(fingerprints))
    kept = {a: {t for t in toks if df[t] <= cap and df[t] >= 2} for a, toks in fingerprints.items()}
    kept = {a: toks for a, toks in kept.items() if len(toks) >= cfg.min_kinds}
    lsh = MinHashLSH(threshold=cfg.min_jaccard, num_perm=cfg.num_perm)
    for account in sorted(kept):
        lsh.insert(account, _minhash(kept[account], cfg.num_perm))
    uf = UnionFind()
    for account in sorted(kept):
        mine = kept[account]
        for other in lsh.query(_minhash(mine, cfg.num_perm)):
            if other <= account:
                continue
            shared = mine & kept[other]
            jaccard = len(shared) / len(mine | kept[other])
            kinds = {t[0] for t in shared}
            if (
                jaccard >= cfg.min_jaccard
                and len(kinds) >= cfg.min_kinds
                and kinds & _CONTENT_KINDS
            ):
                uf.union(account, other)
    groups: dict[str, list[str]] = {}
    for account in kept:
        if account in uf.parent:
            groups.setdefault(uf.find(account), []).append(account)
    return sorted(
        (sorted(g) for g in groups.values() if len(g) >= cfg.min_members), key=lambda g: g[0]
    )


def campaign_id(members: list[str]) -> str:
    """A stable name for a campaign: the same first member gives the same id."""
    return f"cmp_{hash64(members[0]):016x}"[:12]
