"""Which keys' watermark a set of texts carries: exact binomial p-values, corrected for many keys.

Each distinct (context, token) pair of the texts is scored once (`watermark.pair_hashes`), so
under the null hypothesis (texts independent of a key) that key's green count is exactly
Binomial(n, gamma) and its p-value is the binomial upper tail, however long or repetitive the
texts. Testing every account at once, the smallest of many p-values is small by chance: the
family-wise error is controlled by Holm's step-down (reported as `p_holm`, used to decide) and
by Bonferroni (`p_bonferroni`, simpler to explain, never smaller than Holm's).

Served-context filtering (Sander et al. 2024, "filter"): a model trained on an account's
answers can only have learned that key's green lists in the contexts those answers hold. Where
the caller knows them (`served`: account -> `watermark.context_set` of what the gateway sent
it), that account is tested on the pairs whose *context* it was served, and on no others: the
same signal in far fewer pairs. The null stays exact, because the green list of a context is a
fresh keyed hash, independent of whether the context was served; a filter on whole (context,
token) pairs would not be (the watermark made green pairs likelier to be served at all).

>>> holm(np.array([0.01, 0.04, 0.03]))
array([0.03, 0.06, 0.06])
"""

from __future__ import annotations

import math
from collections.abc import Mapping
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
    served_only: bool = False  # tested only in the contexts this account was served

    @property
    def green_fraction(self) -> float:
        return self.green / self.scored if self.scored else 0.0


def binomial_p(green: npt.ArrayLike, n: npt.ArrayLike, gamma: float) -> Floats:
    """P(X >= green) for X ~ Binomial(n, gamma), exact and accurate far into the tail."""
    g = np.asarray(green, dtype=np.int64)
    if not np.any(np.asarray(n)):
        return np.ones(g.shape, dtype=np.float64)
    from scipy.stats import binom  # half a second to import: only when a text is scored

    out: Floats = np.asarray(binom.sf(g - 1, n, gamma), dtype=np.float64)
    return np.where(np.asarray(n) > 0, out, 1.0)


def log10_binomial_p(green: npt.ArrayLike, n: npt.ArrayLike, gamma: float) -> Floats:
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
        nd = np.broadcast_to(np.asarray(n, dtype=np.float64), g.shape)[deep]
        r = (nd - gd) / (gd + 1) * gamma / (1 - gamma)
        from scipy.stats import binom

        out[deep] = (binom.logpmf(gd, nd, gamma) - np.log1p(-np.minimum(r, 1 - 1e-12))) / math.log(
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


def score_keys(
    pairs: U64,
    ring: KeyRing,
    scheme: WatermarkScheme,
    contexts: U64 | None = None,
    served: Mapping[str, U64] | None = None,
) -> list[KeyScore]:
    """One `KeyScore` per account of `ring`, strongest evidence first.

    `pairs` are the distinct pair hashes of the texts under test (`pair_hashes`). With
    `served` and `contexts` (the context hash of each pair, `distinct_pairs`), the accounts
    named in `served` are tested only on pairs in contexts they were served (module docstring);
    the others on all pairs.
    """
    served = served or {}
    if served and (contexts is None or contexts.shape != pairs.shape):
        raise ValueError("served-context filtering needs the context hash of every pair")
    n = np.full(len(ring), pairs.size, dtype=np.int64)
    green = np.zeros(len(ring), dtype=np.int64)
    plain = [i for i, a in enumerate(ring.accounts) if a not in served]
    if plain:
        green[plain] = green_counts(pairs, ring.keys[plain], scheme)
    for i, account in enumerate(ring.accounts):
        if account in served and contexts is not None:
            mine = pairs[np.isin(contexts, served[account])]
            n[i] = mine.size
            green[i] = green_counts(mine, ring.keys[i : i + 1], scheme)[0]
    p_raw = binomial_p(green, n, scheme.gamma)
    log10_p = log10_binomial_p(green, n, scheme.gamma)
    p_holm, p_bonf = holm(p_raw), bonferroni(p_raw)
    sd = np.sqrt(n * scheme.gamma * (1 - scheme.gamma))
    z = (green - scheme.gamma * n) / np.where(sd > 0, sd, 1.0)
    scores = [
        KeyScore(
            account,
            int(n[i]),
            int(green[i]),
            float(z[i]),
            float(p_raw[i]),
            float(p_holm[i]),
            float(p_bonf[i]),
            float(log10_p[i]),
            account in served,
        )
        for i, account in enumerate(ring.accounts)
    ]
    scores.sort(key=lambda s: (s.p_raw, -s.z))
    return scores
