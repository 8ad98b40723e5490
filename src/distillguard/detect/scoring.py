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

from distillguard.detect.base import Detector, Signal, ramp
from distillguard.detect.detectors import ElicitationDetector, HarvestDetector, SessionDetector

# From `distillguard calibrate` on the benign accounts of a simulated calibration
# scenario that no evaluation uses (seed 100, 400 accounts, 2 days): the peak score
# that at most 0.5% of 272 benign accounts reached (0.298), plus a 0.05 margin.
# benchmarks/detection recomputes it on every run.
DEFAULT_THRESHOLD = 0.35


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


# Evidence that extraction is the purpose. The other detectors (volume, rhythm,
# sessions, harvest shape, novelty, concentration) describe how much and how; they add
# up across the accounts of any busy organisation, so a campaign's risk ignores them.
PRIMARY = frozenset({"cot", "rubric", "agentic", "probe", "templates", "streams"})
# A member inherits its campaign's risk only if it shows some of that evidence itself:
# linked colleagues of a lab do not become a harvest by adding up their requests. A
# hydra member sends too little for its own evidence to count, so its shape counts:
# most of its new prompts carry the cue...
MIN_OWN_PRIMARY = 0.05
MIN_OWN_CUE_SHARE = 0.5
MIN_OWN_NEW_PROMPTS = 10
# ... over several templates: an evaluation harness asking for reasoning through one
# fixed few-shot template is not the shape of a harvest, even when linked to one.
MIN_OWN_CUE_TEMPLATES = 3
MIN_OWN_CUE_SPREAD = 0.05


def primary(detectors: Sequence[Detector]) -> float:
    """The strongest purpose evidence among the detectors."""
    return max((d.score() for d in detectors if d.name in PRIMARY), default=0.0)


# A cohesive campaign runs (nearly) all of each member's traffic through one shared
# scaffold: one harvest split across accounts. Then harvesting itself is the purpose
# evidence, and a member that looks like a harvest inherits the campaign's risk.
COHESIVE = 0.8
MIN_OWN_HARVEST_SHAPE = 0.5


def campaign_risk(detectors: Sequence[Detector], cohesive: bool = False) -> float:
    """Risk of a campaign from its members' merged detectors: purpose evidence only."""
    keep = 1.0
    for d in detectors:
        if d.name in PRIMARY or (cohesive and d.name == "harvest"):
            keep *= 1.0 - d.score()
    return 1.0 - keep


def shows_purpose(detectors: Sequence[Detector]) -> bool:
    """Whether an account's own traffic has the shape of extraction, however small."""
    if primary(detectors) >= MIN_OWN_PRIMARY:
        return True
    return any(
        isinstance(d, ElicitationDetector)
        and d.novel >= MIN_OWN_NEW_PROMPTS
        and d.hits >= MIN_OWN_CUE_SHARE * d.novel
        and d.templates.count() >= MIN_OWN_CUE_TEMPLATES
        and d.templates.count() >= MIN_OWN_CUE_SPREAD * d.hits
        for d in detectors
    )


def coordinated_risk(members: Sequence[Sequence[Detector]]) -> float:
    """Risk of a cohesive campaign whose members each show the shape of extraction.

    Merged counts hide a hydra that runs one scaffold: its few templates over thousands
    of prompts look like an evaluation suite. Counting members instead, most of them
    asking for the cue over several templates (or harvesting) is the coordination.
    """
    if not members:
        return 0.0
    showing = sum(shows_purpose(d) or looks_like_harvest(d) for d in members)
    requests = sum(d.n for m in members for d in m if isinstance(d, SessionDetector))
    return ramp(showing / len(members), 0.5, 0.8) * ramp(requests, 200, 1000)


def looks_like_harvest(detectors: Sequence[Detector]) -> bool:
    return any(
        isinstance(d, HarvestDetector) and d.shape() >= MIN_OWN_HARVEST_SHAPE for d in detectors
    )


def member_risk(detectors: Sequence[Detector], campaign: float, cohesive: bool = False) -> float:
    """An account's risk given its own detectors and its campaign's risk."""
    own = risk(detectors)
    if own >= campaign:
        return own
    inherits = shows_purpose(detectors) or (cohesive and looks_like_harvest(detectors))
    return campaign if inherits else own


def assess(detectors: Sequence[Detector], top: int = 3) -> Assessment:
    """The risk and the reasons of the strongest detectors, strongest first."""
    signals: list[Signal] = sorted(
        (d.explain() for d in detectors), key=lambda s: s.score, reverse=True
    )
    reasons = tuple(
        f"{s.reason} [{s.detector} {s.score:.2f}]" for s in signals[:top] if s.score >= 0.05
    )
    return Assessment(risk(detectors), reasons)
