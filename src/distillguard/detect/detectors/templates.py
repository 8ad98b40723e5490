"""Template reuse with slot variation, and extraction streams hidden inside mixed traffic.

Keeps, for the heaviest prompt skeletons of an account (SpaceSaving), how many of
their requests were new prompts and how many carried an elicitation cue. A skeleton
filled with ever-new content and nearly always asking for reasoning, grading or tool
use is a harvesting template. An evaluation suite runs a few such templates; many are a
harvest, whether it is the whole account or a slice of a reseller's traffic mixed with
real customers.
"""

from __future__ import annotations

from typing import Any

from distillguard.detect.base import Observation, Signal, pct, ramp
from distillguard.detect.sketches import HyperLogLog, SpaceSaving

_CAPACITY = 24


class TemplateDetector:
    __slots__ = ("cued", "distinct", "heavy", "n", "systems")
    name = "templates"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.n = 0
        self.heavy = SpaceSaving(_CAPACITY)
        self.cued: dict[int, int] = {}  # skeleton -> new prompts with a cue, for heavy ones
        self.distinct = HyperLogLog(p=7)
        self.systems = HyperLogLog(p=6)

    def update(self, obs: Observation) -> None:
        f = obs.f
        self.n += 1
        self.distinct.add(f.template)
        if f.system:
            self.systems.add(f.system)
        self.heavy.add(f.template)
        if obs.novel and (f.cot or f.rubric or f.agentic):
            self.cued[f.template] = self.cued.get(f.template, 0) + 1
        if len(self.cued) > 2 * _CAPACITY:
            self.cued = {k: c for k, c in self.cued.items() if k in self.heavy.counts}

    def _harvest_templates(self) -> tuple[int, int]:
        """How many heavy skeletons are mostly cued, and how many requests they carry."""
        found = carried = 0
        for key, count in self.heavy.counts.items():
            if count >= 20 and self.cued.get(key, 0) >= 0.7 * count:
                found += 1
                carried += count
        return found, carried

    def score(self) -> float:
        found, carried = self._harvest_templates()
        return ramp(found, 4, 10) * ramp(carried, 20, 150)

    def explain(self) -> Signal:
        found, carried = self._harvest_templates()
        reason = (
            f"{found} reused templates with ever-new content carry {carried:,} cued requests "
            f"({pct(carried, self.n)} of {self.n:,}); ~{self.distinct.count():,.0f} distinct "
            f"templates, ~{self.systems.count():,.0f} system prompts"
        )
        return Signal(self.name, self.score(), reason)

    def merge(self, other: TemplateDetector) -> None:
        self.n += other.n
        self.heavy.merge(other.heavy)
        for key, c in other.cued.items():
            self.cued[key] = self.cued.get(key, 0) + c
        self.distinct.merge(other.distinct)
        self.systems.merge(other.systems)

    def to_state(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "heavy": self.heavy.to_state(),
            "cued": [list(kv) for kv in self.cued.items()],
            "distinct": self.distinct.to_state(),
            "systems": self.systems.to_state(),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.n = state["n"]
        self.heavy = SpaceSaving.from_state(state["heavy"])
        self.cued = {int(k): int(c) for k, c in state["cued"]}
        self.distinct = HyperLogLog.from_state(state["distinct"])
        self.systems = HyperLogLog.from_state(state["systems"])
