"""How an account chooses what to send: the semantic heart of the simulation.

* ``walk``: each item once, in a shuffled order, optionally one shard of an order shared by a
  whole campaign (``stride`` interleaves accounts, ``block`` gives each a contiguous slice);
  coverage without repetition is what someone building a training set wants.
* ``popular``: a product's own narrow slice of the pool, drawn with Zipf popularity, so the same
  questions come back from different end users.
* ``ordered``: a benchmark in its published order, pass after pass.
"""

from __future__ import annotations

import numpy as np

from .data import Item, Pools

# Which kind of answer each pool's prompts call for.
OUT_KIND = {
    "gsm8k": "chat",
    "mmlu": "short",
    "humaneval": "code",
    "code_alpaca": "code",
    "code_seeds": "code",
    "nq": "short",
    "clinc": "chat",
    "banking": "chat",
    "bitext": "chat",
    "alpaca": "chat",
    "t0": "short",
    "vicuna": "long",
    "mtbench": "long",
    "awesome": "long",
}


def pool(pools: Pools, name: str) -> list[Item]:
    return getattr(pools, name)


def refs(
    pools: Pools,
    names: tuple[str, ...] | list[str],
    limit: int | None = None,
    tags: set[str] | None = None,
) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for name in names:
        items = pool(pools, name)
        idx = (
            range(len(items))
            if tags is None
            else [i for i, it in enumerate(items) if it.tag in tags]
        )
        out.extend((name, i) for i in idx[:limit])
    return out


class Source:
    """Yields ``(pool_name, Item)`` according to one selection mode."""

    def __init__(
        self,
        pools: Pools,
        rng: np.random.Generator,
        items: list[tuple[str, int]],
        mode: str = "walk",
        *,
        order: np.ndarray | None = None,
        shard: int = 0,
        n_shards: int = 1,
        layout: str = "stride",
        size: int = 200,
        zipf_a: float = 1.05,
    ) -> None:
        self.pools, self.items, self.mode = pools, items, mode
        n = len(items)
        if mode == "popular":
            k = max(1, min(size, n))
            self.idx = rng.choice(n, size=k, replace=False)
            w = 1.0 / np.arange(1, k + 1) ** zipf_a
            self.cdf = np.cumsum(w / w.sum())
        elif mode == "ordered":
            self.idx = np.arange(n)
        else:
            perm = order if order is not None else rng.permutation(n)
            if layout == "block":
                per = int(np.ceil(n / n_shards))
                self.idx = perm[shard * per : (shard + 1) * per]
            else:
                self.idx = perm[shard::n_shards]
            if self.idx.size == 0:
                self.idx = perm[:1]
        self.pos = 0
        self.passes = 0

    def next(self, rng: np.random.Generator) -> tuple[str, Item]:
        if self.mode == "popular":
            j = int(self.idx[int(np.searchsorted(self.cdf, rng.random()))])
        else:
            j = int(self.idx[self.pos])
            self.pos += 1
            if self.pos >= self.idx.size:
                self.pos, self.passes = 0, self.passes + 1
        name, i = self.items[j]
        return name, pool(self.pools, name)[i]


def chunks(rng: np.random.Generator, pools: Pools, k: int) -> list[str]:
    """``k`` context passages for a retrieval prompt (T0 passages and help-centre articles)."""
    out = []
    for _ in range(k):
        if rng.random() < 0.5:
            it = pools.t0[int(rng.integers(len(pools.t0)))]
            out.append(it.prompt[:1600])
        else:
            it = pools.bitext[int(rng.integers(len(pools.bitext)))]
            out.append(it.ref or it.prompt)
    return out


def perturb_gsm8k(rng: np.random.Generator, text: str) -> str:
    """Change every number in a word problem (a new item that is no longer the benchmark's)."""
    out, num = [], ""
    for ch in text + " ":
        if ch.isdigit():
            num += ch
            continue
        if num:
            v = int(num)
            out.append(str(max(1, v + int(rng.integers(-max(2, v // 3), max(3, v // 3 + 1))))))
            num = ""
        out.append(ch)
    return "".join(out).rstrip()


def shuffle_mc(rng: np.random.Generator, body: str) -> str:
    lines = body.split("\n")
    stem, opts = lines[:-4], [x[3:] for x in lines[-4:]]
    order = rng.permutation(4)
    return "\n".join(stem + [f"{'ABCD'[i]}. {opts[int(j)]}" for i, j in enumerate(order)])
