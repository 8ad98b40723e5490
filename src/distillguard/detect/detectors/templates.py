"""Template reuse: the prompt skeletons that carry an account's traffic.

Keeps the heaviest skeletons (SpaceSaving) and how many distinct ones there are
(HyperLogLog). It scores nothing: reusing a template is what batch jobs, evaluations
and harvests all do. Its heavy hitters are content fingerprints for campaign linking
(`AccountProfile.fingerprint`), where one scaffold shared by many accounts counts.
"""

from __future__ import annotations

from typing import Any

from distillguard.detect.base import Observation, Signal
from distillguard.detect.sketches import HyperLogLog, SpaceSaving

_CAPACITY = 24


class TemplateDetector:
    __slots__ = ("distinct", "heavy", "n", "systems")
    name = "templates"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.n = 0
        self.heavy = SpaceSaving(_CAPACITY)
        self.distinct = HyperLogLog(p=7)
        self.systems = HyperLogLog(p=6)

    def update(self, obs: Observation) -> None:
        f = obs.f
        self.n += 1
        self.distinct.add(f.template)
        if f.system:
            self.systems.add(f.system)
        self.heavy.add(f.template)

    def top_share(self) -> float:
        """Share of the account's requests carried by its eight heaviest templates."""
        return sum(c for _, c in self.heavy.top(8)) / self.n if self.n else 0.0

    def score(self) -> float:
        return 0.0

    def explain(self) -> Signal:
        reason = (
            f"~{self.distinct.count():,.0f} distinct templates, the top 8 carry "
            f"{100 * self.top_share():.0f}% of {self.n:,} requests; "
            f"~{self.systems.count():,.0f} system prompts"
        )
        return Signal(self.name, 0.0, reason)

    def merge(self, other: TemplateDetector) -> None:
        self.n += other.n
        self.heavy.merge(other.heavy)
        self.distinct.merge(other.distinct)
        self.systems.merge(other.systems)

    def copy(self) -> TemplateDetector:
        """What `copy.deepcopy` gives, without its bookkeeping (a campaign's merge)."""
        d = TemplateDetector.__new__(TemplateDetector)
        d.n, d.heavy = self.n, self.heavy.copy()
        d.distinct, d.systems = self.distinct.copy(), self.systems.copy()
        return d

    def to_state(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "heavy": self.heavy.to_state(),
            "distinct": self.distinct.to_state(),
            "systems": self.systems.to_state(),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.n = state["n"]
        self.heavy = SpaceSaving.from_state(state["heavy"])
        self.distinct = HyperLogLog.from_state(state["distinct"])
        self.systems = HyperLogLog.from_state(state["systems"])
