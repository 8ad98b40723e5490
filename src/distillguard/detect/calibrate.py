"""Flag threshold from benign traffic alone, for a target false-positive rate.

Attack labels are never read: the threshold is the smallest score that at most
`target_fpr` of the benign accounts ever reached, plus a margin, so it transfers to
traffic whose attacks were never seen.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Calibration:
    threshold: float
    target_fpr: float
    benign_accounts: int
    quantile_score: float


def threshold_for(
    benign_max_scores: Iterable[float], target_fpr: float, margin: float = 0.05
) -> Calibration:
    """The (1 - target_fpr) order statistic of benign accounts' peak scores, plus `margin`.

    >>> threshold_for([0.1, 0.2, 0.3, 0.4], 0.25, margin=0.0).threshold
    0.4
    """
    if not 0 < target_fpr < 1:
        raise ValueError(f"target_fpr must be within (0, 1), got {target_fpr}")
    scores = sorted(benign_max_scores)
    if not scores:
        raise ValueError("no benign accounts to calibrate on")
    allowed = math.floor(target_fpr * len(scores))  # accounts allowed above the threshold
    q = scores[len(scores) - 1 - allowed]
    return Calibration(min(1.0, q + margin), target_fpr, len(scores), q)
