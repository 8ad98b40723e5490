"""An account's behaviour as named statistics, and the words that explain each one.

Every statistic is oriented so that a higher value is more like extraction, and is a
plain function of the account's usage counters (`detectors.usage`). None of them is
evidence by itself: `distillguard.detect.population` ranks each against the other
accounts, so a trait that many accounts share (tools, worked explanations, long
answers from a writing app) carries no weight wherever it appears.

This module is the one place that says which statistics exist, how much each counts
and how each is put into words.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from distillguard.detect.detectors.usage import UsageDetector

# Below this many requests an account says too little to be ranked among its peers.
MIN_REQUESTS = 5
# The purpose shares (new prompts, single-shot prompts) rank as ties within 15 points.
# Most accounts sit near 100% on both, so at a finer tolerance one re-send or follow-up in
# eight took an account from the top of its peers to the bottom decile: cover traffic that
# cheap hid a harvest (and a few users' follow-ups hid a low-and-slow member), while what
# clears a product is a different purpose, many points away (an evaluation re-runs half
# its prompts, a tutoring app follows up on most). Families benchmark, mean over families:
# benign FPR at threshold 2.1% -> 1.0%, TPR 76% -> 80%, leave-one-family-out AUROC equal.
PURPOSE_TOLERANCE = 0.15


@dataclass(frozen=True, slots=True)
class Statistic:
    name: str
    # Weight in the harvest-value mean; 0 for the purpose statistics (they gate) and for
    # context that is reported, not scored (it did not separate twins in the families
    # benchmark: exclusivity, volume, rhythm).
    weight: float
    value: Callable[[UsageDetector], float]
    # Values this close count as ties when ranked: a share of 99.5% against 100% is
    # noise (a Bloom filter's false positive), not a difference between accounts.
    tolerance: float
    # (value, peers' median) -> words, for the high side (like extraction) and the low side.
    high: Callable[[UsageDetector, float], str]
    low: Callable[[UsageDetector, float], str]


def _p(x: float) -> str:
    return f"{100 * x:.0f}%"


def _new(u: UsageDetector) -> float:
    return u.new_share()


def _single(u: UsageDetector) -> float:
    return u.single_share()


def _capped(u: UsageDetector) -> float:
    return u.capped / u.served if u.served else 0.0


def _length(u: UsageDetector) -> float:
    return math.log1p(u.mean_out())


def _ratio(u: UsageDetector) -> float:
    return math.log(u.mean_ratio()) if u.served else 0.0


def _exclusive(u: UsageDetector) -> float:
    return 1.0 - u.shared / u.new if u.new else 0.0


def _volume(u: UsageDetector) -> float:
    return math.log1p(u.per_day())


STATISTICS: tuple[Statistic, ...] = (
    Statistic(
        "new",
        0.0,
        _new,
        PURPOSE_TOLERANCE,
        lambda u, m: (
            f"walks prompts without repeats: {u.new:,} distinct of {u.asked():,} prompts asked "
            f"(peers' median {_p(m)})"
        ),
        lambda u, m: (
            f"re-sends earlier prompts: {_p(1 - _new(u))} of requests repeat one, "
            f"{u.reruns:,} under another model or temperature, as evaluations do "
            f"(peers' median {_p(1 - m)})"
        ),
    ),
    Statistic(
        "single",
        0.0,
        _single,
        PURPOSE_TOLERANCE,
        lambda u, m: (
            f"single-shot prompts nobody follows up: {_p(_single(u))} of "
            f"{'prompts asked (tool results left out)' if u.toolloop else 'requests'} "
            f"(peers' median {_p(m)})"
        ),
        lambda u, m: (
            f"conversations go on: {_p(u.share(u.followup))} follow-ups and "
            f"{_p(u.share(u.toolloop))} tool loops (peers' single-shot median {_p(m)})"
        ),
    ),
    Statistic(
        "capped",
        1.0,
        _capped,
        0.02,
        lambda u, m: (
            f"answers harvested at the length cap: {u.capped:,} of {u.served:,} "
            f"(peers' median {_p(m)})"
        ),
        lambda u, m: f"answers end on their own: {_p(_capped(u))} at the cap (peers' {_p(m)})",
    ),
    Statistic(
        "length",
        1.0,
        _length,
        0.1,
        lambda u, m: (
            f"long answers: ~{u.mean_out():,.0f} tokens each (peers' median {math.expm1(m):,.0f})"
        ),
        lambda u, m: (
            f"short answers: ~{u.mean_out():,.0f} tokens each (peers' median {math.expm1(m):,.0f})"
        ),
    ),
    Statistic(
        "ratio",
        1.0,
        _ratio,
        0.1,
        lambda u, m: (
            f"buys much output per prompt: {u.mean_ratio():.1f} answer tokens per prompt token "
            f"(peers' median {math.exp(m):.1f})"
        ),
        lambda u, m: (
            f"long inputs for its answers: {u.mean_ratio():.2f} answer tokens per prompt token "
            f"(peers' median {math.exp(m):.2f})"
        ),
    ),
    Statistic(
        "breadth",
        1.0,
        lambda u: u.breadth(),
        0.02,
        lambda u, m: (
            f"covers many capabilities: area spread {u.breadth():.2f} over {u.new:,} new "
            f"prompts (peers' median {m:.2f})"
        ),
        lambda u, m: f"stays narrow: area spread {u.breadth():.2f} (peers' median {m:.2f})",
    ),
    Statistic(
        "exclusive",
        0.0,
        lambda u: _exclusive(u),
        0.02,
        lambda u, m: (
            f"its prompts are its own: {_p(_exclusive(u))} of its {u.new:,} new prompts no "
            f"other account sent (peers' median {_p(m)})"
        ),
        lambda u, m: (
            f"asks what others ask: {_p(1 - _exclusive(u))} of its new prompts other accounts "
            f"sent too, as products' users do (peers' median {_p(1 - m)})"
        ),
    ),
    Statistic(
        "volume",
        0.0,
        _volume,
        0.1,
        lambda u, m: (
            f"heavy use: {u.per_day():,.0f} requests per active day "
            f"(peers' median {math.expm1(m):,.0f})"
        ),
        lambda u, m: (
            f"light use: {u.per_day():,.0f} requests per active day "
            f"(peers' median {math.expm1(m):,.0f})"
        ),
    ),
    Statistic(
        "hours",
        0.0,
        lambda u: u.flat_hours(),
        0.02,
        lambda u, m: (
            f"keeps an operator's rhythm: arrivals spread over the day (entropy "
            f"{u.flat_hours():.2f}, peers' median {m:.2f})"
        ),
        lambda u, m: (
            f"keeps human hours: arrival entropy {u.flat_hours():.2f} (peers' median {m:.2f})"
        ),
    ),
)
NAMES: tuple[str, ...] = tuple(s.name for s in STATISTICS)
TOLERANCES: tuple[float, ...] = tuple(s.tolerance for s in STATISTICS)
# What a harvest is for: new prompts (not re-runs of the same ones), taken single-shot
# (not a conversation or a tool loop). An account low on either is not harvesting,
# however long its answers: an evaluation re-runs, a tutoring app follows up.
PURPOSE: tuple[int, ...] = (NAMES.index("new"), NAMES.index("single"))
# What it harvests: long answers, much output per prompt, many capabilities, the cap.
VALUE: tuple[int, ...] = tuple(i for i, s in enumerate(STATISTICS) if s.weight > 0)
# The plain mean-rank baseline ranks with the ties it was first measured with (2 points on
# the purpose shares too): a baseline that moved with the scorer's choices would not be one.
BASELINE_TOLERANCES: tuple[float, ...] = tuple(
    0.02 if i in PURPOSE else tol for i, tol in enumerate(TOLERANCES)
)


_VALUES = tuple(s.value for s in STATISTICS)


def vector(usage: UsageDetector, count: int | None = None) -> tuple[float, ...]:
    """The account's statistics, in the order of `STATISTICS` (the first `count` only)."""
    return tuple([value(usage) for value in _VALUES[:count]])


def segment(usage: UsageDetector) -> str:
    """Peers are accounts of the same kind: tool-using traffic is ranked among its own."""
    return "tools" if usage.share(usage.tools) >= 0.5 else "plain"
