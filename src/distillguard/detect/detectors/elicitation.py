"""Share of an account's new prompts that elicit a kind of output worth distilling."""

from __future__ import annotations

from typing import Literal

from distillguard.detect.base import Observation, Signal, pct, ramp
from distillguard.detect.detectors._state import SlotState

Cue = Literal["cot", "rubric", "agentic"]

_WORDS: dict[Cue, str] = {
    "cot": "ask the model to spell out step-by-step reasoning",
    "rubric": "ask the model to grade or compare answers",
    "agentic": "carry tool definitions or an agent scaffold",
}


class ElicitationDetector(SlotState):
    """Counts new (not repeated) prompts that carry one cue: CoT, rubric grading or tools.

    Only new prompts count, because re-sending the same prompts (an evaluation re-run)
    harvests nothing new. Evidence needs both a high share and enough hits.
    """

    __slots__ = ("_share", "cue", "hits", "name", "novel")
    _state_fields = ("hits", "novel")

    def __init__(self, cue: Cue, share_lo: float = 0.2, share_hi: float = 0.6) -> None:
        self.cue = cue
        self.name = cue
        self._share = (share_lo, share_hi)
        self.reset()

    def reset(self) -> None:
        self.hits = 0
        self.novel = 0

    def update(self, obs: Observation) -> None:
        if not obs.novel:
            return
        self.novel += 1
        if getattr(obs.f, self.cue):
            self.hits += 1

    def score(self) -> float:
        share = self.hits / self.novel if self.novel else 0.0
        return ramp(share, *self._share) * ramp(self.hits, 10, 60)

    def explain(self) -> Signal:
        reason = f"{pct(self.hits, self.novel)} of {self.novel:,} new prompts {_WORDS[self.cue]}"
        return Signal(self.name, self.score(), reason)

    def merge(self, other: ElicitationDetector) -> None:
        self.hits += other.hits
        self.novel += other.novel
