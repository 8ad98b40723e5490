"""Two simple baselines, run through the same engine so the gain of the full set is visible.

- `rate`: the peak request rate (decayed over an hour), the threshold every API has.
- `prada`: PRADA (Juuti et al. 2019) per account: the distribution of each new query's
  distance to the nearest earlier one turns non-normal under extraction; the score
  is 1 - W of a Shapiro-Wilk test over the most recent distances.
"""

from __future__ import annotations

import math
from typing import Any

from distillguard.detect.base import Detector, Observation, Signal
from distillguard.detect.campaigns import LinkConfig
from distillguard.detect.engine import AnalyzerConfig


class RateBaseline:
    __slots__ = ("last_ts", "peak", "rate")
    name = "rate"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.rate = 0.0
        self.peak = 0.0
        self.last_ts = -1.0

    def update(self, obs: Observation) -> None:
        if self.last_ts >= 0:
            self.rate *= math.exp(-max(0.0, obs.f.ts - self.last_ts) / 3600.0)
        self.rate += 1.0
        self.last_ts = obs.f.ts
        self.peak = max(self.peak, self.rate)

    def score(self) -> float:
        return 1.0 - math.exp(-self.peak / 2000.0)

    def explain(self) -> Signal:
        return Signal(self.name, self.score(), f"peak {self.peak:,.0f} requests/hour")

    def merge(self, other: RateBaseline) -> None:
        self.peak = max(self.peak, other.peak)

    def to_state(self) -> dict[str, Any]:
        return {"rate": self.rate, "peak": self.peak, "last_ts": self.last_ts}

    def load_state(self, state: dict[str, Any]) -> None:
        self.rate, self.peak, self.last_ts = state["rate"], state["peak"], state["last_ts"]


class PradaBaseline:
    __slots__ = ("distances", "n", "w")
    name = "prada"
    WINDOW = 100
    EVERY = 25

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.distances: list[int] = []
        self.n = 0
        self.w = 1.0

    def update(self, obs: Observation) -> None:
        if not obs.novel:
            return
        self.distances.append(obs.distance)
        if len(self.distances) > self.WINDOW:
            del self.distances[0]
        self.n += 1
        if self.n % self.EVERY == 0 and len(self.distances) >= 20:
            # Slow to import (scipy a second): only for PRADA's test, never on `analyze`'s
            # way to the full detector.
            import numpy as np
            from scipy.stats import shapiro

            d = np.asarray(self.distances, dtype=float)

            self.w = 1.0 if d.std() == 0 else float(shapiro(d).statistic)

    def score(self) -> float:
        return max(0.0, min(1.0, 1.0 - self.w))

    def explain(self) -> Signal:
        return Signal(self.name, self.score(), f"Shapiro-Wilk W {self.w:.3f} over distances")

    def merge(self, other: PradaBaseline) -> None:
        self.distances = (self.distances + other.distances)[-self.WINDOW :]
        self.n += other.n

    def to_state(self) -> dict[str, Any]:
        return {"distances": list(self.distances), "n": self.n, "w": self.w}

    def load_state(self, state: dict[str, Any]) -> None:
        self.distances, self.n, self.w = list(state["distances"]), state["n"], state["w"]


def _only(detector: type[RateBaseline] | type[PradaBaseline]) -> list[Detector]:
    return [detector()]


BASELINES: dict[str, AnalyzerConfig] = {
    # The mean of an account's population percentiles on the behaviour statistics, with
    # no weights, purpose gate, shrinkage or linking: what the full scorer must beat.
    "meanrank": AnalyzerConfig(threshold=0.7, linking=False, scorer="meanrank", flag_after=1),
    "rate": AnalyzerConfig(
        threshold=0.5,
        linking=False,
        detectors=lambda: _only(RateBaseline),
        scorer="detectors",
        flag_after=1,
    ),
    "prada": AnalyzerConfig(
        threshold=0.1,
        linking=False,
        link=LinkConfig(),
        detectors=lambda: _only(PradaBaseline),
        scorer="detectors",
        phrasing=True,
        flag_after=1,
    ),
}
