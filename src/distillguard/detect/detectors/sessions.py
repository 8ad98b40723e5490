"""Session structure: independent single-shot prompts versus conversations that go on."""

from __future__ import annotations

from distillguard.detect.base import Observation, Signal, pct, ramp
from distillguard.detect.detectors._state import SlotState


class SessionDetector(SlotState):
    """Share of requests that open a fresh one-turn exchange, and the deepest conversation.

    Harvests fire independent prompts; people and products continue conversations.
    Weak alone, and also read by the scorer to discount conversational accounts.
    """

    __slots__ = ("deep", "max_turns", "n", "single")
    _state_fields = __slots__
    name = "sessions"
    CAP = 0.1

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.n = 0
        self.single = 0
        self.deep = 0
        self.max_turns = 0

    def update(self, obs: Observation) -> None:
        self.n += 1
        turns = obs.f.turns
        if turns == 1:
            self.single += 1
        elif turns >= 3:
            self.deep += 1
        self.max_turns = max(self.max_turns, turns)

    def single_share(self) -> float:
        return self.single / self.n if self.n else 0.0

    def score(self) -> float:
        return self.CAP * ramp(self.single_share(), 0.9, 0.99) * ramp(self.n, 100, 500)

    def explain(self) -> Signal:
        reason = (
            f"{pct(self.single, self.n)} of {self.n:,} requests are independent single-shot "
            f"prompts; deepest conversation {self.max_turns} turns"
        )
        return Signal(self.name, self.score(), reason)

    def merge(self, other: SessionDetector) -> None:
        self.n += other.n
        self.single += other.single
        self.deep += other.deep
        self.max_turns = max(self.max_turns, other.max_turns)
