"""Rhythm: arrivals spread evenly over all 24 hours, and machine-regular inter-arrival gaps."""

from __future__ import annotations

import math

from distillguard.detect.base import Observation, Signal, ramp
from distillguard.detect.detectors._state import SlotState


class RhythmDetector(SlotState):
    """Normalised entropy of the hour-of-day histogram and the CV of inter-arrival gaps.

    Both are weak alone (batch jobs run 24/7 too), so the score is capped low; it
    adds weight to other evidence rather than flagging on its own.
    """

    __slots__ = ("first_ts", "gap_n", "gap_sq", "gap_sum", "hours", "last_ts")
    _state_fields = __slots__
    name = "rhythm"
    CAP = 0.15

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.hours = [0.0] * 24
        self.first_ts = -1.0
        self.last_ts = -1.0
        self.gap_n = 0
        self.gap_sum = 0.0
        self.gap_sq = 0.0

    def update(self, obs: Observation) -> None:
        ts = obs.f.ts
        self.hours[int(ts // 3600) % 24] += 1.0
        if self.first_ts < 0:
            self.first_ts = ts
        if math.isfinite(obs.gap) and obs.gap < 3600:
            self.gap_n += 1
            self.gap_sum += obs.gap
            self.gap_sq += obs.gap * obs.gap
        self.last_ts = ts

    def entropy(self) -> float:
        total = sum(self.hours)
        if not total:
            return 0.0
        h = -sum(c / total * math.log(c / total) for c in self.hours if c)
        return h / math.log(24)

    def gap_cv(self) -> float:
        if self.gap_n < 10:
            return math.inf
        mean = self.gap_sum / self.gap_n
        var = max(0.0, self.gap_sq / self.gap_n - mean * mean)
        return math.sqrt(var) / mean if mean > 0 else math.inf

    def _flat(self) -> float:
        span_h = (self.last_ts - self.first_ts) / 3600 if self.first_ts >= 0 else 0.0
        return ramp(self.entropy(), 0.9, 0.98) * ramp(span_h, 20, 40)

    def score(self) -> float:
        if self.gap_n < 50:
            return 0.0
        regular = ramp(1.0 - min(self.gap_cv(), 1.0), 0.5, 0.9) * ramp(self.gap_n, 50, 200)
        return self.CAP * max(self._flat(), regular)

    def explain(self) -> Signal:
        cv = self.gap_cv()
        spread = "uniform" if self._flat() > 0.5 else "uneven"
        reason = f"arrivals {spread} over 24 h (entropy {self.entropy():.2f}); gap CV {cv:.2f}"
        return Signal(self.name, self.score(), reason)

    def merge(self, other: RhythmDetector) -> None:
        self.hours = [a + b for a, b in zip(self.hours, other.hours, strict=True)]
        firsts = [t for t in (self.first_ts, other.first_ts) if t >= 0]
        self.first_ts = min(firsts) if firsts else -1.0
        self.last_ts = max(self.last_ts, other.last_ts)
        self.gap_n += other.gap_n
        self.gap_sum += other.gap_sum
        self.gap_sq += other.gap_sq
