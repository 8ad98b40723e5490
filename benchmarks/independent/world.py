"""What every persona shares: the pools, the wire, the clock, and sampling helpers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import arrivals
import numpy as np
from corpus import Pools
from wire import Account, Wire

# What people type after an answer. Generic on purpose: benign users and scripted posers both
# send such lines, so the words alone say little.
FOLLOW_UPS = [
    "Can you explain that more simply?",
    "Can you give me an example?",
    "Shorter please.",
    "Can you put that in a table?",
    "Thanks! Can you go into more detail on the second point?",
    "Why is that?",
    "Are you sure? That doesn't look right.",
    "Can you rewrite it to sound more professional?",
    "What would be the downside of that approach?",
    "ok, and what should I do next?",
    "Summarise that in three bullet points.",
    "Can you translate your answer into Spanish?",
]
SUPPORT_FOLLOW_UPS = [
    "That didn't work.",
    "I already tried that.",
    "Can I talk to a human?",
    "ok thanks",
    "How long will that take?",
    "It says my card was declined again.",
    "Where do I find that in the app?",
]
TUTOR_FOLLOW_UPS = [
    "I don't understand the second step.",
    "Can you give me a similar practice problem?",
    "Why did you multiply there?",
    "Can you check my answer? I got a different number.",
    "Can you explain it like I'm 12?",
    "What formula should I memorise for this?",
]
CODE_FOLLOW_UPS = [
    "That throws an IndexError on an empty list. Can you fix it?",
    "Add type hints and a couple of unit tests.",
    "Can you make it faster? The input can have a million items.",
    "Explain what the second loop does.",
    "Rewrite it without using recursion.",
    "It fails with a TypeError when I pass None.",
]


@dataclass
class World:
    pools: Pools
    wire: Wire
    t0: float
    days: float
    variant: str  # base | twins
    rng: np.random.Generator
    src: dict[str, list[str]] = field(default_factory=dict)  # prompt pools by name (text only)
    code_set: set[str] = field(default_factory=set)
    math_set: set[str] = field(default_factory=set)
    _popular: dict[str, np.ndarray] = field(default_factory=dict)

    def starts(self, a: Account, volume: float | None = None) -> np.ndarray:
        return arrivals.starts(a.cues, a.rng, self.t0, self.days, a.start_s, volume)

    def end(self) -> float:
        return self.t0 + self.days * arrivals.DAY_S

    def pick(self, a: Account, name: str, pool: list, shared: float = 0.0):
        """An item of pool; with probability `shared`, a popular one (the same popularity
        order for every account, so different apps see the same hot questions)."""
        if self._popular.get(name) is None:
            self._popular[name] = self.rng.permutation(len(pool))
        if a.rng.random() < shared:
            rank = min(int(a.rng.zipf(1.3)) - 1, len(pool) - 1)
            return pool[int(self._popular[name][rank])]
        return pool[int(a.rng.integers(len(pool)))]

    def mix(self, a: Account, weights: dict[str, float], shared: float = 0.0) -> tuple[str, str]:
        """(source name, prompt) from a weighted mixture of the named pools."""
        names = list(weights)
        p = np.array([weights[n] for n in names], dtype=float)
        name = names[int(a.rng.choice(len(names), p=p / p.sum()))]
        return name, self.pick(a, name, self.src[name], shared)

    def length(self, a: Account, median: float, sigma: float = 0.6) -> int:
        return max(1, int(a.rng.lognormal(np.log(median), sigma)))

    def chat_length(self, a: Account, scale: float = 1.0) -> int:
        """Answer length drawn from the real Azure 2023 conversation trace."""
        lens = self.pools.azure_conv
        return max(1, int(lens[int(a.rng.integers(len(lens)))] * scale))

    def walk(self, rng: np.random.Generator, pool: list) -> Iterator:
        """The pool in a random order, without repeats (then again, reshuffled, if exhausted)."""
        while True:
            for i in rng.permutation(len(pool)):
                yield pool[int(i)]
