"""Capability concentration: volume focused on a few high-value capability areas."""

from __future__ import annotations

from distillguard.detect.base import Observation, Signal, pct, ramp
from distillguard.detect.detectors._state import SlotState
from distillguard.detect.text import AREA_NAMES

# Areas a distiller pays for: reasoning-heavy output. Support, classification, short
# factual QA and multiple choice (the benchmark format) are what products and
# evaluators send.
_VALUABLE = frozenset({"code", "math", "grading", "writing"})


class ConcentrationDetector(SlotState):
    """Share of new, long-answer prompts in the top valuable capability area."""

    __slots__ = ("areas", "novel")
    _state_fields = __slots__
    name = "concentration"
    CAP = 0.25

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.novel = 0
        self.areas = {name: 0 for name in AREA_NAMES}

    def update(self, obs: Observation) -> None:
        # Only long answers count: that is what a distiller buys in its chosen area.
        if obs.novel and obs.f.completion_tokens + obs.f.reasoning_tokens >= 200:
            self.novel += 1
            self.areas[obs.f.area] = self.areas.get(obs.f.area, 0) + 1

    def top(self) -> tuple[str, int]:
        valuable = [(c, a) for a, c in self.areas.items() if a in _VALUABLE]
        count, name = max(valuable) if valuable else (0, "none")
        return name, count

    def score(self) -> float:
        _, count = self.top()
        share = count / self.novel if self.novel else 0.0
        return self.CAP * ramp(share, 0.5, 0.8) * ramp(count, 100, 500)

    def explain(self) -> Signal:
        name, count = self.top()
        reason = f"{pct(count, self.novel)} of {self.novel:,} new prompts are {name} tasks"
        return Signal(self.name, self.score(), reason)

    def merge(self, other: ConcentrationDetector) -> None:
        self.novel += other.novel
        for area, c in other.areas.items():
            self.areas[area] = self.areas.get(area, 0) + c
