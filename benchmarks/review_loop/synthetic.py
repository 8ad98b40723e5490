"""Synthetic analyzed rows for --smoke: benign twins that carry the detector's surface cues.

Each account's evidence is a few percentile-like statistics in [0, 1]. The stand-in
detector's risk weighs tool use and step-by-step phrasing as extraction cues, as the
detector of issue 11 did; agent platforms, tutoring apps and evaluation vendors carry those
cues while being benign, so the unreviewed score flags some of them. What separates the
classes is use, not phrasing: prompts walked without repeats, single-shot, harvested at the
length cap. Not a measurement of distillguard's detector: a check that the loop runs.
"""

from __future__ import annotations

import random
from typing import Any

NAMES = ("pct_new", "pct_single", "pct_capped", "pct_tools", "pct_cot")
# The stand-in detector's weights: the last two are the misleading cues.
DETECTOR = (0.25, 0.15, 0.2, 0.2, 0.2)
# Persona -> mean of each statistic (NAMES order), extraction?, share of its class.
PERSONAS: dict[str, tuple[tuple[float, ...], bool, float]] = {
    "chat": ((0.3, 0.3, 0.2, 0.2, 0.2), False, 0.35),
    "agent_platform": ((0.5, 0.4, 0.3, 0.95, 0.4), False, 0.25),
    "tutoring": ((0.5, 0.3, 0.4, 0.2, 0.95), False, 0.2),
    "eval_vendor": ((0.2, 0.9, 0.5, 0.5, 0.9), False, 0.2),
    "broad_harvest": ((0.95, 0.95, 0.9, 0.1, 0.2), True, 0.4),
    "cot_harvest": ((0.9, 0.85, 0.7, 0.2, 0.95), True, 0.3),
    "low_and_slow": ((0.8, 0.8, 0.6, 0.3, 0.3), True, 0.3),
}


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))


def synthetic_rows(
    seed: int, benign: int, extraction: int
) -> tuple[dict[str, dict[str, Any]], dict[str, bool]]:
    """Rows shaped like accounts.jsonl (with `evidence`) and the true labels."""
    rng = random.Random(seed)
    rows: dict[str, dict[str, Any]] = {}
    truth: dict[str, bool] = {}
    for persona, (means, attack, share) in PERSONAS.items():
        count = round(share * (extraction if attack else benign))
        for i in range(count):
            account = f"acct_{persona}_{i:03d}"
            evidence = {
                n: round(_clip(rng.gauss(m, 0.12)), 4) for n, m in zip(NAMES, means, strict=True)
            }
            mean = sum(w * evidence[n] for w, n in zip(DETECTOR, NAMES, strict=True))
            score = round(_clip((mean - 0.3) / 0.5), 6)
            rows[account] = {
                "account": account,
                "score": score,
                "flagged": score >= 0.35,
                "evidence": evidence,
            }
            truth[account] = attack
    return rows, truth
