"""Harvesting ratio: long answers bought with short, independent, new prompts."""

from __future__ import annotations

import math
from typing import Any

from distillguard.detect.base import Observation, Signal, pct, ramp
from distillguard.detect.sketches import HyperLogLog


class HarvestDetector:
    """Mean log output/input token ratio over single-shot new prompts, and their share.

    A distiller wants as much model output per prompt as it can get; retrieval,
    few-shot evaluation and batch extraction send long inputs for short outputs.
    People ask short questions and read long answers too, and evaluation suites send
    hundreds of code and essay prompts, so below a few hundred prompts the score stays
    at or under 0.25; only thousands of such prompts over many different templates
    (broad instruction coverage) take it higher.
    """

    __slots__ = ("log_ratio", "n", "out_tokens", "single_new", "templates")
    name = "harvest"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.n = 0
        self.single_new = 0
        self.log_ratio = 0.0
        self.out_tokens = 0
        self.templates = HyperLogLog(p=6)

    def update(self, obs: Observation) -> None:
        self.n += 1
        f = obs.f
        if f.turns == 1 and obs.novel and f.served:
            self.single_new += 1
            out = f.completion_tokens + f.reasoning_tokens
            self.out_tokens += out
            self.log_ratio += math.log((out + 1) / (f.prompt_tokens + 1))
            self.templates.add(f.template)

    def ratio(self) -> float:
        return math.exp(self.log_ratio / self.single_new) if self.single_new else 0.0

    def shape(self) -> float:
        """How harvest-like the account's traffic is, whatever its volume (0 before 20)."""
        if self.single_new < 20:
            return 0.0
        spread = self.templates.count() / self.single_new
        return (
            ramp(self.ratio(), 1.0, 3.0)
            * ramp(self.single_new / self.n, 0.5, 0.9)
            * ramp(spread, 0.05, 0.2)
        )

    def score(self) -> float:
        if not self.single_new:
            return 0.0
        shape = ramp(self.ratio(), 1.0, 3.0) * ramp(self.single_new / self.n, 0.5, 0.9)
        if not shape:
            return 0.0
        spread = self.templates.count() / self.single_new
        # A few templates for hundreds of prompts is an evaluation suite or a batch job;
        # a harvest of instructions keeps changing its wording and format.
        varied = ramp(spread, 0.1, 0.25)
        broad = ramp(spread, 0.05, 0.2)
        amount = 0.25 * varied * ramp(self.single_new, 50, 400) + 0.7 * broad * ramp(
            self.single_new, 500, 3000
        )
        return shape * amount

    def explain(self) -> Signal:
        if not self.single_new:
            return Signal(self.name, 0.0, "no single-shot new prompts")
        mean_out = self.out_tokens / self.single_new
        reason = (
            f"{pct(self.single_new, self.n)} of {self.n:,} requests are single-shot new prompts "
            f"over ~{self.templates.count():,.0f} templates; answers {self.ratio():.1f}x their "
            f"prompt length ({mean_out:.0f} tokens on average)"
        )
        return Signal(self.name, self.score(), reason)

    def merge(self, other: HarvestDetector) -> None:
        self.n += other.n
        self.single_new += other.single_new
        self.log_ratio += other.log_ratio
        self.out_tokens += other.out_tokens
        self.templates.merge(other.templates)

    def to_state(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "single_new": self.single_new,
            "log_ratio": self.log_ratio,
            "out_tokens": self.out_tokens,
            "templates": self.templates.to_state(),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.n, self.single_new = state["n"], state["single_new"]
        self.log_ratio, self.out_tokens = state["log_ratio"], state["out_tokens"]
        self.templates = HyperLogLog.from_state(state["templates"])
