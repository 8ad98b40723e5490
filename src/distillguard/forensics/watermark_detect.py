"""Which keys' watermark a set of texts carries: exact binomial p-values, corrected for many keys.

Each distinct (context, token) pair of the texts is scored once (`watermark.pair_hashes`), so
under the null hypothesis (texts independent of a key) that key's green count is exactly
Binomial(n, gamma) and its p-value is the binomial upper tail, however long or repetitive the
texts. Testing every account at once, the smallest of many p-values is small by chance: the
family-wise error is controlled by Holm's step-down (reported as `p_holm`, used to decide) and
by Bonferroni (`p_bonferroni`, simpler to explain, never smaller than Holm's).

>>> holm(np.array([0.01, 0.04, 0.03]))
array([0.03, 0.06, 0.06])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from distillguard.forensics.watermark import U64, WatermarkScheme, green_counts
from distillguard.forensics.watermark_keys import KeyRing

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class KeyScore:
    """How strongly the texts carry one candidate key's watermark."""

    account: str
    scored: int  # distinct (context, token) pairs tested
    green: int  # of which green under this account's key
    z: float  # (green - gamma n) / sqrt(n gamma (1 - gamma))
    p_raw: float  # P(Binomial(n, gamma) >= green)
    p_holm: float  # adjusted for the number of candidates (Holm step-down)
    p_bonferroni: float
    log10_p: float  # log10 of p_raw, still finite where p_raw underflows to 0 (an upper bound)

    @property
    def green_fraction(self) -> float:
        return self.green / self.scored if self.scored else 0.0


def binomial_p(green: npt.ArrayLike, n: int, gamma: float) -> Floats:
    """P(X >= green) for X ~ Binomial(n, gamma), exact and accurate far into the tail."""
    g = np.asarray(green, dtype=np.int64)
    if n == 0:
        return np.ones(g.shape, dtype=np.float64)
    from scipy.stats import binom  # half a second to import: only when a text is scored

    out: Floats = np.asarray(binom.sf(g - 1, n, gamma), dtype=np.float64)
    return out


def log10_binomial_p(green: npt.ArrayLike, n: int, gamma: float) -> Floats:
    """log10 P(X >= green), finite far past where the p-value itself underflows to 0.

    There it is bounded: pmf(g) <= P(X >= g) <= pmf(g) / (1 - r), since each next term of the
    tail is at most r = (n - g) / (g + 1) * gamma / (1 - gamma) times the one before; the upper
    bound is returned (conservative, and within log10(1 / (1 - r)) of the truth).
    """
    g = np.asarray(green, dtype=np.int64)
    p = binomial_p(g, n, gamma)
    with np.errstate(divide="ignore"):
        out: Floats = np.log10(p)
    deep = p < 1e-300
    if deep.any():
        gd = g[deep].astype(np.float64)
        r = (n - gd) / (gd + 1) * gamma / (1 - gamma)
        from scipy.stats import binom

        out[deep] = (binom.logpmf(gd, n, gamma) - np.log1p(-np.minimum(r, 1 - 1e-12))) / math.log(
            10
        )
    return out


def bonferroni(p: Floats) -> Floats:
    out: Floats = np.minimum(1.0, p * p.size)
    return out


def holm(p: Floats) -> Floats:
    """Holm's step-down adjusted p-values, in the order of `p`."""
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, p[order] * (m - np.arange(m)))
    adjusted = np.empty(m, dtype=np.float64)
    adjusted[order] = np.maximum.accumulate(stepped)
    return adjusted


def score_keys(pairs: U64, ring: KeyRing, scheme: WatermarkScheme) -> list[KeyScore]:
    """One `KeyScore` per account of `ring`, strongest evidence first.

    `pairs` are the distinct pair hashes of the texts under test (`pair_hashes`).
    """
    n = int(pairs.size)
    green = green_counts(pairs, ring.keys, scheme)
    p_raw = binomial_p(green, n, scheme.gamma)
    log10_p = log10_binomial_p(green, n, scheme.gamma)
    p_holm, p_bonf = holm(p_raw), bonferroni(p_raw)
    sd = math.sqrt(n * scheme.gamma * (1 - scheme.gamma)) or 1.0
    z = (green - scheme.gamma * n) / sd
    scores = [
        KeyScore(
            account,
            n,
            int(green[i]),
            float(z[i]),
            float(p_raw[i]),
            float(p_holm[i]),
            float(p_bonf[i]),
            float(log10_p[i]),
        )
        for i, account in enumerate(ring.accounts)
    ]
    scores.sort(key=lambda s: (s.p_raw, -s.z))
    return scores
