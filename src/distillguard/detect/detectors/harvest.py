"""Harvesting ratio: long answers bought with short, independent, new prompts."""

from __future__ import annotations

import math

from distillguard.detect.base import Observation, Signal, pct, ramp
from distillguard.detect.detectors._state import SlotState


class HarvestDetector(SlotState):
    """Mean log output/input token ratio over single-shot new prompts, and their share.

    A distiller wants as much model output per prompt as it can get; retrieval,
    few-shot evaluation and batch extraction send long inputs for short outputs.
    """

    __slots__ = ("log_ratio", "n", "out_tokens", "single_new")
    _state_fields = __slots__
    name = "harvest"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.n = 0
        self.single_new = 0
        self.log_ratio = 0.0
        self.out_tokens = 0

    def update(self, obs: Observation) -> None:
        self.n += 1
        f = obs.f
        if f.turns == 1 and obs.novel and f.served:
            self.single_new += 1
            out = f.completion_tokens + f.reasoning_tokens
            self.out_tokens += out
            self.log_ratio += math.log((out + 1) / (f.prompt_tokens + 1))

    def ratio(self) -> float:
        return math.exp(self.log_ratio / self.single_new) if self.single_new else 0.0

    def score(self) -> float:
        share = self.single_new / self.n if self.n else 0.0
        return ramp(self.ratio(), 1.0, 3.0) * ramp(share, 0.5, 0.9) * ramp(self.single_new, 30, 200)

    def explain(self) -> Signal:
        if not self.single_new:
            return Signal(self.name, 0.0, "no single-shot new prompts")
        ratio = self.ratio()
        mean_out = self.out_tokens / self.single_new
        reason = (
            f"{pct(self.single_new, self.n)} of {self.n:,} requests are single-shot new prompts; "
            f"answers {ratio:.1f}x their prompt length ({mean_out:.0f} tokens on average)"
        )
        return Signal(self.name, self.score(), reason)

    def merge(self, other: HarvestDetector) -> None:
        self.n += other.n
        self.single_new += other.single_new
        self.log_ratio += other.log_ratio
        self.out_tokens += other.out_tokens
