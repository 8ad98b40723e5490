"""The flag threshold of a review model, from the reviewed benign accounts alone.

The target is a benign false-positive rate. Reviewed benign accounts are few and, since
reviewers work down the queue from the top, they are the benign accounts that looked most
like extraction, so the share of them above a threshold over-states the population's rate:
the bias is on the safe side. The rule (`choose`):

1. Allow `k` reviewed benign accounts above the threshold, `k` the largest count whose
   one-sided Clopper-Pearson upper bound at `confidence` is within the target. The
   threshold sits `margin` (log-odds) above the (k+1)-th highest benign score.
2. When even `k = 0` cannot be certified (at 95% and a 1% target that needs 299 reviewed
   benign accounts), the threshold still sits above every reviewed benign account: no
   account a reviewer dismissed would flag again; the rule says it is not certified.
3. While fewer than `min_benign` benign accounts are reviewed, the threshold is never
   below the current one (`base_threshold`), so a handful of labels cannot lower it.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# The rules `choose` can apply, in the words `ReviewModel.explain` uses.
PRIOR, CERTIFIED, ABOVE_BENIGN, FLOOR = "prior", "certified", "above-benign", "floor"
RULES = (PRIOR, CERTIFIED, ABOVE_BENIGN, FLOOR)


@dataclass(frozen=True, slots=True)
class Threshold:
    logit: float  # flag when the model's log-odds reach this
    rule: str
    benign_above: int  # reviewed benign accounts at or above it
    fpr_upper: float  # Clopper-Pearson upper bound on the benign FPR there
    # Index (into the input) of the reviewed benign account the threshold sits above;
    # None when the floor or the prior set it. If that dismissal was a reviewer's mistake,
    # a second look at it moves the threshold most.
    setter: int | None = None


def binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), summed in log space (n may be large)."""
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 1.0 if k >= n else 0.0
    lp, lq = math.log(p), math.log1p(-p)
    base = math.lgamma(n + 1)
    total = 0.0
    for i in range(k + 1):
        total += math.exp(
            base - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lp + (n - i) * lq
        )
    return min(1.0, total)


def clopper_pearson_upper(k: int, n: int, confidence: float) -> float:
    """One-sided upper bound on a rate from `k` of `n`: P(X <= k | bound) = 1 - confidence.

    >>> round(clopper_pearson_upper(0, 299, 0.95), 4)
    0.01
    """
    if n <= 0 or k >= n:
        return 1.0
    alpha = 1.0 - confidence
    if k == 0:  # closed form, and exact
        return 1.0 - math.pow(alpha, 1.0 / n)
    lo, hi = k / n, 1.0
    for _ in range(60):  # bisection: the cdf falls as p rises
        mid = 0.5 * (lo + hi)
        if binomial_cdf(k, n, mid) > alpha:
            lo = mid
        else:
            hi = mid
    return hi


def benign_needed(target_fpr: float, confidence: float) -> int:
    """Reviewed benign accounts needed before zero of them above certifies the target."""
    return math.ceil(math.log(1.0 - confidence) / math.log1p(-target_fpr))


def allowed_above(n: int, target_fpr: float, confidence: float) -> int:
    """The most reviewed benign accounts of `n` that may sit above; -1 if none is certified."""
    k = -1
    while k + 1 < n and clopper_pearson_upper(k + 1, n, confidence) <= target_fpr:
        k += 1
    return k


def choose(
    benign_logits: Sequence[float],
    base_logit: float,
    *,
    target_fpr: float,
    confidence: float,
    min_benign: int,
    margin: float,
) -> Threshold:
    """The threshold (log-odds) for `target_fpr` from the reviewed benign accounts' log-odds."""
    order = sorted(range(len(benign_logits)), key=lambda i: -benign_logits[i])
    ranked = [benign_logits[i] for i in order]
    n = len(ranked)
    k = allowed_above(n, target_fpr, confidence)
    setter: int | None = None
    if k >= 0:
        logit, rule, setter = ranked[k] + margin, CERTIFIED, order[k]
    elif ranked:
        logit, rule, setter = ranked[0] + margin, ABOVE_BENIGN, order[0]
    else:
        logit, rule = base_logit, ABOVE_BENIGN
    if n < min_benign and base_logit > logit:
        logit, rule, setter = base_logit, FLOOR, None
    above = sum(1 for s in ranked if s >= logit)
    return Threshold(logit, rule, above, clopper_pearson_upper(above, n, confidence), setter)
