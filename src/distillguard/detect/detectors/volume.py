"""Volume and rate against the account's own history: decayed short and long rates."""

from __future__ import annotations

import math

from distillguard.detect.base import Observation, Signal, ramp
from distillguard.detect.detectors._state import SlotState

_SHORT_S = 3600.0
_LONG_S = 86400.0


class VolumeDetector(SlotState):
    """Requests per hour over an exponentially decayed hour and day, and their ratio.

    A sustained rate far above the account's own daily baseline is weak evidence by
    itself (launches and batch jobs do it), so the score is capped.
    """

    __slots__ = ("last_ts", "long", "n", "peak_ratio", "short")
    _state_fields = __slots__
    name = "volume"
    CAP = 0.15

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.n = 0
        self.short = 0.0
        self.long = 0.0
        self.last_ts = -1.0
        self.peak_ratio = 0.0

    def update(self, obs: Observation) -> None:
        ts = obs.f.ts
        if self.last_ts >= 0:
            dt = max(0.0, ts - self.last_ts)
            self.short *= math.exp(-dt / _SHORT_S)
            self.long *= math.exp(-dt / _LONG_S)
        self.short += 1.0
        self.long += 1.0
        self.last_ts = ts
        self.n += 1
        if self.n >= 200:
            self.peak_ratio = max(self.peak_ratio, self.ratio())

    def per_hour(self) -> tuple[float, float]:
        return self.short * 3600 / _SHORT_S, self.long * 3600 / _LONG_S

    def ratio(self) -> float:
        short, long = self.per_hour()
        return short / long if long > 0 else 0.0

    def score(self) -> float:
        return self.CAP * ramp(self.peak_ratio, 15, 40)

    def explain(self) -> Signal:
        short, long = self.per_hour()
        reason = (
            f"{short:,.0f} requests/hour now against {long:,.0f}/hour over the last day "
            f"(peak burst {self.peak_ratio:.1f}x its own baseline)"
        )
        return Signal(self.name, self.score(), reason)

    def merge(self, other: VolumeDetector) -> None:
        self.n += other.n
        self.short += other.short
        self.long += other.long
        self.last_ts = max(self.last_ts, other.last_ts)
        self.peak_ratio = max(self.peak_ratio, other.peak_ratio)
