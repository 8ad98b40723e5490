"""How a persona chooses its next prompt: walk a selection, or return to popular ones.

- `Walk` visits the items of its pools without repeats, as a harvester working through a
  data set does (and as a batch labeller does with ever-new payloads). Its order is an
  affine permutation per pool (`Order`), so its state is two integers a pool whatever
  the pool's size. A pool walked to its end starts a new *round*: each item comes back
  reworded (`VARIATIONS`), the way harvesters augment a small data set, so that even
  then no prompt is sent twice.
- `Popular` keeps a working set drawn from a walk and samples it with Zipf weights:
  the FAQs, homework questions and saved prompts that real users send again and again,
  with a share of fresh prompts on top.
- One `Walk` may be shared by many accounts (a coordinated network): the whole network
  then sends no prompt twice.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Sequence
from typing import Protocol

from distillguard.sim.families.sources import Item, Pool

VARIATIONS = (
    "{x}\n\nAnswer as if explaining to a newcomer.",
    "Rephrase the task below, then complete it.\n\n{x}",
    "{x}\n\nGive two different approaches.",
    "{x}\n\nRespond in Spanish.",
    "For an expert audience: {x}",
    "{x}\n\nInclude a worked example.",
    "{x}\n\nAnswer in French.",
    "Consider this carefully. {x}",
    "{x}\n\nThen list common mistakes.",
    "{x}\n\nFormat the answer as a FAQ.",
    "{x}\n\nWrite the answer in German.",
    "Here is a task from a textbook. {x}",
)


class Picker(Protocol):
    def next(self, rng: random.Random) -> Item: ...


class Order:
    """A permutation of range(n) as i -> (a*i + b) mod n, with a coprime to n."""

    def __init__(self, n: int, rng: random.Random) -> None:
        self.n = max(n, 1)
        a = rng.randrange(1, self.n) if self.n > 2 else 1
        while math.gcd(a, self.n) != 1:
            a = a % (self.n - 1) + 1
        self.a, self.b, self.i = a, rng.randrange(self.n), 0

    def next(self) -> tuple[int, int]:
        """The next index and the round it belongs to (0 on the first pass)."""
        k, self.i = self.i, self.i + 1
        return (self.a * (k % self.n) + self.b) % self.n, k // self.n

    @property
    def exhausted(self) -> bool:
        return self.i >= self.n


def varied(item: Item, rnd: int) -> Item:
    """The item reworded for round `rnd` (>= 1) of a walk; never equal to another round."""
    v = VARIATIONS[(rnd - 1) % len(VARIATIONS)]
    text = v.format(x=item.text)
    if rnd > len(VARIATIONS):
        text += f" (version {rnd // len(VARIATIONS) + 1})"
    return Item(text, item.ref, "", item.source)


class Walk:
    """No repeats: each pool in a random affine order; exhausted pools lose their weight."""

    def __init__(self, pools: Sequence[Pool], weights: Sequence[float], rng: random.Random):
        self.pools = list(pools)
        self.weights = [max(w, 1e-6) for w in weights]
        self.orders = [Order(len(p.items), rng) for p in self.pools]
        self.sent = 0

    def next(self, rng: random.Random) -> Item:
        live = [
            w if not o.exhausted else w * 1e-3
            for w, o in zip(self.weights, self.orders, strict=True)
        ]
        j = rng.choices(range(len(self.pools)), live)[0] if len(self.pools) > 1 else 0
        idx, rnd = self.orders[j].next()
        self.sent += 1
        item = self.pools[j].items[idx]
        return varied(item, rnd) if rnd else item


class Popular:
    """A Zipf-weighted working set of `size` items, plus `fresh` new ones from a walk.

    Ranks are filled from the walk the first time they are drawn: the same law as
    drawing the whole set up front, at the cost of what is used.
    """

    def __init__(
        self,
        pools: Sequence[Pool],
        weights: Sequence[float],
        rng: random.Random,
        size: int,
        zipf_s: float,
        fresh: float,
    ) -> None:
        self.walk = Walk(pools, weights, rng)
        n = max(1, min(size, sum(len(p.items) for p in pools)))
        self.cum = list(itertools.accumulate(1.0 / (r + 1) ** zipf_s for r in range(n)))
        self.items: dict[int, Item] = {}
        self.fresh = fresh

    def next(self, rng: random.Random) -> Item:
        if rng.random() < self.fresh:
            return self.walk.next(rng)
        k = min(bisect.bisect_left(self.cum, rng.random() * self.cum[-1]), len(self.cum) - 1)
        item = self.items.get(k)
        if item is None:
            item = self.items[k] = self.walk.next(rng)
        return item


class Cycle:
    """A fixed list, in order, again and again (an evaluation suite)."""

    def __init__(self, items: Sequence[Item]) -> None:
        self.items = list(items)
        self.i = 0

    def next(self, rng: random.Random) -> Item:
        item = self.items[self.i % len(self.items)]
        self.i += 1
        return item


def weights(rng: random.Random, n: int, concentration: float = 1.0) -> list[float]:
    """Random mixture weights (a Dirichlet draw): some pools dominate, others trickle."""
    return [rng.gammavariate(concentration, 1.0) + 1e-3 for _ in range(n)]


def pick_pools(rng: random.Random, pools: Sequence[Pool], lo: int, hi: int) -> list[Pool]:
    """A random subset of `lo`..`hi` pools (all of them when fewer exist)."""
    k = min(len(pools), rng.randint(lo, hi))
    return rng.sample(list(pools), max(1, k))
