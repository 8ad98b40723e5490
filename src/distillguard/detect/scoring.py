"""One risk score in [0, 1] per account, from its behaviour relative to its peers.

The risk is the weighted mean of the account's population percentiles on the
behaviour statistics (`detect.behaviour`), shrunk toward the median while the account
has sent little, and mapped so that an account at its peers' median scores 0 and one
at the top of every statistic scores 1. A logit-bias sweep (`detectors.probing`) is
evidence in absolute terms (no product needs hundreds of biased token ids) and counts
by itself.

Reasons name the statistics that sit furthest from the peers, with the account's
number and the peers' median, on both sides: what looks like extraction and what
speaks against it (re-runs, follow-ups, short answers), so a reviewer sees why a
benign twin came out clean.

The baselines (`detect.baselines`) keep the older shape: noisy-OR of their detectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from distillguard.detect import behaviour
from distillguard.detect.base import Detector, Signal, ramp
from distillguard.detect.detectors.probing import ProbeDetector
from distillguard.detect.detectors.usage import UsageDetector
from distillguard.detect.population import Population, Ranks

# From `distillguard calibrate` on the benign accounts of the tuning families
# (benchmarks/detection, which recomputes it on every run).
DEFAULT_THRESHOLD = 0.35
# Pseudo-requests at the median: an account of SHRINK requests counts for half.
SHRINK = 15.0
# Mean percentile mapped to risk 0 and to risk 1.
FLOOR, CEILING = 0.5, 0.95
# The weaker of the purpose percentiles (new prompts, single-shot) that gates to 0 and 1.
PURPOSE_LO, PURPOSE_HI = 0.25, 0.5
# Share of new prompts below which an account is not walking a prompt source, and above
# which it fully is.
NEW_LO, NEW_HI = 0.5, 0.85
_WEIGHTS = tuple(s.weight for s in behaviour.STATISTICS)


@dataclass(frozen=True, slots=True)
class Assessment:
    score: float
    reasons: tuple[str, ...]
    # Named inputs of the score (percentiles, probe), for review models and consoles.
    evidence: tuple[tuple[str, float], ...] = ()


def risk(detectors: Sequence[Detector]) -> float:
    """Noisy-OR of the detectors' own scores (the baselines' scorer)."""
    keep = 1.0
    for d in detectors:
        keep *= 1.0 - d.score()
    return 1.0 - keep


def usage_of(detectors: Sequence[Detector]) -> UsageDetector | None:
    return next((d for d in detectors if isinstance(d, UsageDetector)), None)


def probe_of(detectors: Sequence[Detector]) -> ProbeDetector | None:
    return next((d for d in detectors if isinstance(d, ProbeDetector)), None)


def ranks_for(usage: UsageDetector, population: Population) -> Ranks | None:
    if usage.n < behaviour.MIN_REQUESTS:
        return None
    return population.rank(behaviour.segment(usage), behaviour.vector(usage))


def purpose(usage: UsageDetector, ranks: Ranks) -> float:
    """1 when the account takes new prompts single-shot as often as most peers, else less.

    Re-sending prompts is also judged on its own: a harvest has no use for the same
    prompt twice, so an account that repeats much of its traffic (an evaluation across
    models and temperatures, a bot answering the same questions) is not harvesting,
    whatever its peers do.
    """
    weakest = min(ranks.percentiles[i] for i in behaviour.PURPOSE)
    return ramp(weakest, PURPOSE_LO, PURPOSE_HI) * ramp(usage.share(usage.new), NEW_LO, NEW_HI)


def behaviour_risk(usage: UsageDetector, ranks: Ranks | None) -> float:
    if ranks is None:
        return 0.0
    shrunk = 0.5 + (mean_percentile(ranks) - 0.5) * usage.n / (usage.n + SHRINK)
    return ramp(shrunk, FLOOR, CEILING) * purpose(usage, ranks)


def account_risk(detectors: Sequence[Detector], population: Population) -> float:
    usage = usage_of(detectors)
    probe = probe_of(detectors)
    own = behaviour_risk(usage, ranks_for(usage, population)) if usage else 0.0
    return max(own, probe.score() if probe else 0.0)


def assess(
    detectors: Sequence[Detector], population: Population | None = None, top: int = 3
) -> Assessment:
    """The risk, the reasons in words (strongest first) and the evidence behind them."""
    usage = usage_of(detectors)
    probe = probe_of(detectors)
    if usage is None:  # a baseline's detectors
        signals = sorted((d.explain() for d in detectors), key=lambda s: -s.score)
        words = tuple(f"{s.reason} [{s.detector} {s.score:.2f}]" for s in signals[:top])
        return Assessment(risk(detectors), tuple(w for w in words if w))
    ranks = ranks_for(usage, population) if population is not None else None
    own = behaviour_risk(usage, ranks)
    probe_signal = probe.explain() if probe else Signal("probe", 0.0, "")
    score = max(own, probe_signal.score)
    reasons: list[str] = []
    evidence: list[tuple[str, float]] = [("behaviour", round(own, 4))]
    if probe_signal.score >= 0.05:
        reasons.append(f"{probe_signal.reason} [probe {probe_signal.score:.2f}]")
    evidence.append(("probe", round(probe_signal.score, 4)))
    if ranks is None:
        reasons.append(_cold(usage, population))
    else:
        reasons.extend(_ranked_reasons(usage, ranks, top))
        evidence.extend(
            (f"pct_{name}", round(p, 4))
            for name, p in zip(behaviour.NAMES, ranks.percentiles, strict=True)
        )
    return Assessment(score, tuple(reasons), tuple(evidence))


def _cold(usage: UsageDetector, population: Population | None) -> str:
    if usage.n < behaviour.MIN_REQUESTS:
        return f"too few requests to rank among peers ({usage.n} of {behaviour.MIN_REQUESTS})"
    peers = len(population) if population is not None else 0
    return f"no population to rank against yet ({peers} ranked accounts; needs 20)"


def _ranked_reasons(usage: UsageDetector, ranks: Ranks, top: int) -> list[str]:
    """The statistics furthest above the peers, then those furthest below."""
    rows = list(zip(behaviour.STATISTICS, ranks.percentiles, ranks.medians, strict=True))
    high = sorted((r for r in rows if r[1] >= 0.75), key=lambda r: -r[1] * r[0].weight)
    low = sorted((r for r in rows if r[1] <= 0.25), key=lambda r: r[1] / r[0].weight)
    out = [
        f"{stat.high(usage, median)} [{stat.name}: above {100 * p:.0f}% of "
        f"{ranks.peers} {ranks.segment} peers]"
        for stat, p, median in high[:top]
    ]
    out.extend(
        f"against extraction: {stat.low(usage, median)} [{stat.name}: below "
        f"{100 * (1 - p):.0f}% of peers]"
        for stat, p, median in low[:2]
    )
    return out


def mean_percentile(ranks: Ranks) -> float:
    """The account's weighted mean percentile among its peers, unshrunk."""
    return sum(w * p for w, p in zip(_WEIGHTS, ranks.percentiles, strict=True)) / sum(_WEIGHTS)


# A member inherits its campaign's risk only if its own behaviour leans the same way:
# membership never lifts an account that shows no evidence of its own.
MIN_OWN_LEAN = 0.6


def leans(detectors: Sequence[Detector], population: Population) -> bool:
    usage = usage_of(detectors)
    ranks = ranks_for(usage, population) if usage is not None else None
    return ranks is not None and mean_percentile(ranks) >= MIN_OWN_LEAN


def campaign_risk(merged: Sequence[Detector], population: Population) -> float:
    """A campaign's risk: its members' pooled behaviour ranked among single accounts.

    Pooling is what a campaign adds: twenty accounts of thirty requests each say as much
    as one of six hundred, so the shrinkage that holds a small account back is lifted.
    """
    return account_risk(merged, population)


def member_risk(
    detectors: Sequence[Detector], population: Population, campaign: float, own: float
) -> float:
    """An account's risk given its own and its campaign's."""
    if campaign <= own or not leans(detectors, population):
        return own
    return campaign


def plain_mean_rank(detectors: Sequence[Detector], population: Population) -> float:
    """The plain label-free baseline: the unweighted mean of the percentiles, nothing else."""
    usage = usage_of(detectors)
    ranks = ranks_for(usage, population) if usage is not None else None
    return sum(ranks.percentiles) / len(ranks.percentiles) if ranks is not None else 0.0
