"""One risk score in [0, 1] from an account's detector evidence, with reasons in words.

Evidence combines by noisy-OR: each detector is an independent chance that the
account is extracting, so risk = 1 - prod(1 - s_i). Conversational accounts are
discounted: a distiller gains nothing from deep conversations, products have them.
The flag threshold is not chosen here but by calibration on benign traffic
(`distillguard.detect.calibrate`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from distillguard.detect.base import Detector, Signal
from distillguard.detect.detectors import SessionDetector

DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class Assessment:
    score: float
    reasons: tuple[str, ...]


def risk(detectors: Sequence[Detector]) -> float:
    keep = 1.0
    discount = 1.0
    for d in detectors:
        keep *= 1.0 - d.score()
        if isinstance(d, SessionDetector) and d.n:
            discount = 1.0 - 0.8 * min(1.0, 2.0 * d.deep / d.n)
    return (1.0 - keep) * discount


def assess(detectors: Sequence[Detector], top: int = 3) -> Assessment:
    """The risk and the reasons of the strongest detectors, strongest first."""
    signals: list[Signal] = sorted(
        (d.explain() for d in detectors), key=lambda s: s.score, reverse=True
    )
    reasons = tuple(
        f"{s.reason} [{s.detector} {s.score:.2f}]" for s in signals[:top] if s.score >= 0.05
    )
    return Assessment(risk(detectors), reasons)
