"""How much an account asks for the kinds of output worth distilling, across many tasks."""

from __future__ import annotations

from typing import Any, Literal

from distillguard.detect.base import Observation, Signal, pct, ramp
from distillguard.detect.sketches import HyperLogLog

Cue = Literal["cot", "rubric", "agentic"]

_WORDS: dict[Cue, str] = {
    "cot": "ask the model to spell out step-by-step reasoning",
    "rubric": "ask the model to grade or compare answers",
    "agentic": "carry tool definitions or an agent scaffold",
}
# Share of new prompts with the cue in ordinary product traffic; only hits above this
# base rate count as evidence.
_BASE_RATE: dict[Cue, float] = {"cot": 0.05, "rubric": 0.02, "agentic": 0.05}


class ElicitationDetector:
    """New (not repeated) prompts that carry one cue: CoT, rubric grading or tools.

    Three conditions, multiplied: a high share of the account's new prompts; many hits
    above the base rate of ordinary traffic; and the cue spread over many prompt
    templates (in number, and per hit). Re-sent prompts (an evaluation re-run) harvest
    nothing new and do not count, and an evaluation harness asks for reasoning through
    a handful of fixed templates for thousands of questions, where a harvest asks for
    it across many tasks and formats.
    """

    __slots__ = ("_share", "cue", "hits", "name", "novel", "templates")

    def __init__(self, cue: Cue, share_lo: float = 0.05, share_hi: float = 0.25) -> None:
        self.cue = cue
        self.name: str = cue
        self._share = (share_lo, share_hi)
        self.reset()

    def reset(self) -> None:
        self.hits = 0
        self.novel = 0
        self.templates = HyperLogLog(p=6)

    def update(self, obs: Observation) -> None:
        if not obs.novel:
            return
        self.novel += 1
        if getattr(obs.f, self.cue):
            self.hits += 1
            self.templates.add(obs.f.template)

    def excess(self) -> float:
        return self.hits - _BASE_RATE[self.cue] * self.novel

    def score(self) -> float:
        if not self.hits:
            return 0.0
        share = ramp(self.hits / self.novel, *self._share)
        templates = self.templates.count()
        spread = ramp(templates, 3, 20) * ramp(templates / self.hits, 0.05, 0.15)
        return share * ramp(self.excess(), 30, 150) * spread

    def explain(self) -> Signal:
        reason = (
            f"{pct(self.hits, self.novel)} of {self.novel:,} new prompts {_WORDS[self.cue]}, "
            f"across ~{self.templates.count():,.0f} templates"
        )
        return Signal(self.name, self.score(), reason)

    def merge(self, other: ElicitationDetector) -> None:
        self.hits += other.hits
        self.novel += other.novel
        self.templates.merge(other.templates)

    def to_state(self) -> dict[str, Any]:
        return {"hits": self.hits, "novel": self.novel, "templates": self.templates.to_state()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.hits, self.novel = state["hits"], state["novel"]
        self.templates = HyperLogLog.from_state(state["templates"])
