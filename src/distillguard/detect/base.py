"""What every detector sees and returns, and the shape every detector has.

A detector follows river's estimator shape: `update` learns from one observation,
`score` reports evidence in [0, 1] (cheap: called per event), `explain` the
same with its reason in words, `reset` forgets, `to_state`/`from_state` persist and
`merge` combines two accounts' states (campaign evidence is the merged state of its
members). Detectors never do I/O and never read the clock: time is `f.ts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, Self

from distillguard.detect.features import RequestFeatures


class Observation(NamedTuple):
    """One request as an account's detectors see it: its features plus account context.

    A named tuple, as `RequestFeatures` is: immutable, and cheap to build once per event.
    """

    f: RequestFeatures
    novel: bool  # the account had not sent this exact prompt recently
    distance: int  # SimHash distance (0..32) to the nearest of the account's recent prompts
    gap: float  # seconds since the account's previous request; inf for the first


@dataclass(frozen=True, slots=True)
class Signal:
    """A detector's evidence of extraction in [0, 1] and its reason in plain words."""

    detector: str
    score: float
    reason: str


class Detector(Protocol):
    name: str

    def update(self, obs: Observation) -> None: ...

    def score(self) -> float: ...

    def explain(self) -> Signal: ...

    def reset(self) -> None: ...

    def merge(self, other: Self) -> None: ...

    def to_state(self) -> dict[str, Any]: ...

    def load_state(self, state: dict[str, Any]) -> None: ...


def ramp(x: float, lo: float, hi: float) -> float:
    """0 at or below `lo`, 1 at or above `hi`, linear between.

    >>> ramp(5, 0, 10), ramp(-1, 0, 10), ramp(11, 0, 10)
    (0.5, 0.0, 1.0)
    """
    if x <= lo:
        return 0.0
    if x >= hi:
        return 1.0
    return (x - lo) / (hi - lo)


def pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "0%"
