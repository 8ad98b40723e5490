"""Coverage growth: how fast an account keeps exploring new regions of prompt space.

A PRADA-flavoured statistic (Juuti et al. 2019): the SimHash distance of each new
prompt to the nearest of the account's recent prompts. Organic traffic revisits
its neighbourhood; a harvest keeps landing far from everything it sent before.
"""

from __future__ import annotations

from distillguard.detect.base import Observation, Signal, pct, ramp
from distillguard.detect.detectors._state import SlotState


class NoveltyDetector(SlotState):
    __slots__ = ("_far", "far", "n", "novel")
    _state_fields = ("far", "n", "novel")
    name = "novelty"

    def __init__(self, far: int = 11) -> None:
        self._far = far
        self.reset()

    def reset(self) -> None:
        self.n = 0
        self.novel = 0
        self.far = 0

    def update(self, obs: Observation) -> None:
        self.n += 1
        if obs.novel:
            self.novel += 1
            if obs.distance >= self._far:
                self.far += 1

    def score(self) -> float:
        share = self.far / self.n if self.n else 0.0
        return ramp(share, 0.6, 0.9) * ramp(self.far, 100, 600)

    def explain(self) -> Signal:
        reason = (
            f"{pct(self.far, self.n)} of {self.n:,} requests explore prompt space far from the "
            f"account's recent prompts; {pct(self.novel, self.n)} are new prompts"
        )
        return Signal(self.name, self.score(), reason)

    def merge(self, other: NoveltyDetector) -> None:
        self.n += other.n
        self.novel += other.novel
        self.far += other.far
