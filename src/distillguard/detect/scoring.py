"""One risk score in [0, 1] per account, from its behaviour relative to its peers.

An account's evidence level is purpose times value, both read from its population
percentiles on the behaviour statistics (`detect.behaviour`): purpose is the weaker of
its `new` and `single` percentiles (a harvest takes new prompts single-shot; an
evaluation re-runs, a tutoring app follows up), times its own share of new prompts;
value is the weighted mean of the harvest-value percentiles (answer length, output per
prompt, capability spread, answers at the cap). The product is the conjunction: long
answers alone are a writing app, fresh single-shot prompts alone a batch labeller. The
level is mapped to a risk in [0, 1] (0 at the neutral level: an account at its peers'
median on everything). A logit-bias sweep (`detectors.probing`) is
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

# Above the 1%-FPR threshold of the benchmark's calibration scenario (~0.1 on the
# `tune` prompt sources), because benign accounts of the `test` sources sit higher: at
# 0.35, benign FPR is 0% / 1.4% / 0.7% on calibration / test1 / test2
# (benchmarks/detection). A provider should calibrate on its own traffic.
DEFAULT_THRESHOLD = 0.35
# The level of an account at its peers' median on everything (0.5 x 0.5), mapped to risk
# 0, and the level mapped to risk 1.
FLOOR, CEILING = 0.25, 0.75
# An account of SHRINK requests counts for half of its own level above FLOOR, one of
# 3 x SHRINK for three quarters: a dozen requests place an account among its peers only
# roughly, and a harvest of a dozen answers is worth nothing to anyone. Benign accounts of
# 9-46 requests (content generators) at the top of long answers and new prompts were the
# flagged benign accounts on detector-blind traces. Only an account's own risk is shrunk:
# a campaign member still inherits by its unshrunk level, and a campaign's pooled
# counters are large. (An earlier shrinkage of the percentiles toward the median, at 15,
# cost the families benchmark AUROC, 0.925 -> 0.943 without it.)
SHRINK = 20.0
# Share of new prompts below which an account is not walking a prompt source, and above
# which it fully is.
NEW_LO, NEW_HI = 0.3, 0.8
_WEIGHTS = tuple(s.weight for s in behaviour.STATISTICS)
_VALUE_WEIGHT = sum(_WEIGHTS[i] for i in behaviour.VALUE)
# How many statistics, from the first, a score reads (`scored_level`): purpose and value.
SCORED = max(*behaviour.PURPOSE, *behaviour.VALUE) + 1


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


def ranks_for(
    usage: UsageDetector, population: Population, tolerances: Sequence[float] = behaviour.TOLERANCES
) -> Ranks | None:
    if usage.n < behaviour.MIN_REQUESTS:
        return None
    return population.rank(behaviour.segment(usage), behaviour.vector(usage), tolerances)


def purpose(usage: UsageDetector, ranks: Ranks) -> float:
    """How far the account takes new prompts single-shot, among its peers, in [0, 1].

    The weaker of the two percentiles counts (an evaluation re-runs, a tutoring app
    follows up: either alone clears the account), and re-sending prompts is also judged
    on its own, since a harvest has no use for the same prompt twice whatever the peers
    do.
    """
    return _purpose(usage, ranks.percentiles)


def _purpose(usage: UsageDetector, pcts: Sequence[float]) -> float:
    weakest = min([pcts[i] for i in behaviour.PURPOSE])
    return weakest * ramp(usage.new_share(), NEW_LO, NEW_HI)


def value(ranks: Ranks) -> float:
    """The weighted mean of the harvest-value percentiles, in [0, 1]."""
    return _value(ranks.percentiles)


def _value(pcts: Sequence[float]) -> float:
    return sum([_WEIGHTS[i] * pcts[i] for i in behaviour.VALUE]) / _VALUE_WEIGHT


def level(usage: UsageDetector, ranks: Ranks) -> float:
    """Purpose times value: how far the account looks like a harvest among its peers."""
    return purpose(usage, ranks) * value(ranks)


def behaviour_risk(usage: UsageDetector, ranks: Ranks | None) -> float:
    if ranks is None:
        return 0.0
    return _level_risk(shrunk(level(usage, ranks), usage.n))


def shrunk(lvl: float, requests: int) -> float:
    """The level above FLOOR, held back by how few requests it rests on (`SHRINK`)."""
    if lvl <= FLOOR:
        return lvl
    return FLOOR + (lvl - FLOOR) * requests / (requests + SHRINK)


def _level_risk(lvl: float) -> float:
    # The small linear term keeps accounts under FLOOR ordered (for ranking and review).
    return min(1.0, ramp(lvl, FLOOR, CEILING) + 0.01 * lvl)


def account_risk(detectors: Sequence[Detector], population: Population) -> float:
    return ranked_risk(usage_of(detectors), probe_of(detectors), population)[0]


def scored_level(usage: UsageDetector, population: Population) -> float | None:
    """`level(usage, ranks_for(usage, population))`, or None where there are no ranks.

    Only the statistics that purpose and value read are computed and ranked: a scoring
    runs on many of an account's requests, and the rest (context, as the hours of day)
    matter only to the reasons and evidence that `assess` gives.
    """
    if usage.n < behaviour.MIN_REQUESTS:
        return None
    values = behaviour.vector(usage, SCORED)
    pcts = population.percentiles(behaviour.segment(usage), values)
    return None if pcts is None else _purpose(usage, pcts) * _value(pcts)


def ranked_risk(
    usage: UsageDetector | None, probe: ProbeDetector | None, population: Population
) -> tuple[float, float | None]:
    """`account_risk` of an account's usage and probe detectors, and the `scored_level`
    behind it, which `inherited_risk` takes: a campaign member is ranked once a scoring."""
    lvl = scored_level(usage, population) if usage else None
    own = 0.0 if lvl is None or usage is None else _level_risk(shrunk(lvl, usage.n))
    return max(own, probe.score() if probe else 0.0), lvl


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
        if usage.n < 3 * SHRINK and level(usage, ranks) > FLOOR:
            reasons.append(
                f"against extraction: few requests to judge by: {usage.n:,} (one of "
                f"{SHRINK:.0f} counts for half its lean)"
            )
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
    """The statistics furthest above the peers, then what speaks against extraction:
    first the purpose statistics that hold the score back, then the furthest below."""
    rows = list(zip(behaviour.STATISTICS, ranks.percentiles, ranks.medians, strict=True))
    high = sorted((r for r in rows if r[1] >= 0.75), key=lambda r: -r[1] * max(r[0].weight, 0.5))
    gating = [rows[i] for i in behaviour.PURPOSE if rows[i][1] < 0.5]
    if usage.new_share() < NEW_HI and rows[behaviour.PURPOSE[0]] not in gating:
        gating.insert(0, rows[behaviour.PURPOSE[0]])
    low = gating + sorted(
        (r for r in rows if r[1] <= 0.25 and r not in gating),
        key=lambda r: r[1] / max(r[0].weight, 0.5),
    )
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


# A member inherits its campaign's risk only if its own behaviour leans the same way:
# membership never lifts an account that shows no evidence of its own.
MIN_OWN_LEAN = 0.35


def leans(detectors: Sequence[Detector], population: Population) -> bool:
    usage = usage_of(detectors)
    if usage is None:
        return False
    ranks = ranks_for(usage, population)
    return ranks is not None and level(usage, ranks) >= MIN_OWN_LEAN


def campaign_risk(merged: Sequence[Detector], population: Population, walk: bool = False) -> float:
    """A campaign's risk: its members' pooled behaviour ranked among single accounts.

    Pooling is what a campaign adds: twenty accounts of thirty requests each say as much
    as one of six hundred, so the shrinkage that holds a small account back is lifted.
    For a walk network (`detect.walks`) the purpose is not in doubt: each member only
    walks, and together they walk one selection, which is what no set of products does.
    Its level is the pooled harvest value alone, so a network of short-answer labellers
    stays at 0 and one that harvests long answers does not.
    """
    if not walk:
        return account_risk(merged, population)
    usage = usage_of(merged)
    if usage is None or usage.n < behaviour.MIN_REQUESTS:
        return 0.0
    pcts = population.percentiles(behaviour.segment(usage), behaviour.vector(usage, SCORED))
    return 0.0 if pcts is None else _level_risk(_value(pcts))


def member_risk(
    detectors: Sequence[Detector], population: Population, campaign: float, own: float
) -> float:
    """An account's risk given its own and its campaign's.

    A member inherits the campaign's pooled risk only when its own behaviour leans the
    same way (`leans`): pooling speaks for the data a small member lacks, and an account
    that shows no evidence of its own is never lifted.
    """
    if campaign <= own or not leans(detectors, population):
        return own
    return inherit(campaign, own)


def inherited_risk(level: float | None, campaign: float, own: float, walk: bool = False) -> float:
    """`member_risk` given the member's `scored_level` (from `ranked_risk`).

    A walk network's member is linked for evidence of its own (every prompt new, each
    single-shot), so it needs to lean only past the neutral level (`FLOOR`, an account at
    its peers' median on everything): a labeller that walks its data set for short
    answers stays below it.
    """
    if campaign <= own or level is None:
        return own
    return inherit(campaign, own) if level >= (FLOOR if walk else MIN_OWN_LEAN) else own


# How far an inherited risk sits below its campaign's, at most: members of one campaign
# would otherwise all hold the same risk (1.0 where it saturates), so a member that barely
# leans ranked level with the campaign's strongest harvester in a reviewer's queue and in
# any ranking of accounts. Far below every policy and flag threshold's resolution.
TIE_BREAK = 1e-3


def inherit(campaign: float, own: float) -> float:
    """A member's inherited risk: its campaign's, ordered within it by the member's own."""
    return max(own, campaign - TIE_BREAK * (1.0 - own))


def plain_mean_rank(detectors: Sequence[Detector], population: Population) -> float:
    """The plain label-free baseline: the unweighted mean of the percentiles, nothing else."""
    usage = usage_of(detectors)
    if usage is None:
        return 0.0
    ranks = ranks_for(usage, population, behaviour.BASELINE_TOLERANCES)
    return sum(ranks.percentiles) / len(ranks.percentiles) if ranks is not None else 0.0
