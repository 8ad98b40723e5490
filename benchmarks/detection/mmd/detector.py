"""Kernel two-sample test (MMD) of each account's prompts against a reference sample.

The baseline of Liu, Guo and Dong (2026), "An Embarrassingly Simple Detector for Model
Extraction Attacks in LLM API Traffic": embed the queries, and ask whether a window of
them is distributed like reference traffic, with the maximum mean discrepancy of Gretton
et al. (JMLR 2012). Here the window is one account's traffic (its distinct prompts) and the
statistic is its score. Numpy only: the encoder lives in embed.py.

- kernel: Gaussian, k(x, y) = exp(-|x - y|^2 / (2 sigma^2)), one bandwidth per reference
  sample: the median heuristic (sigma^2 = median squared distance between reference
  prompts). One sigma for every account keeps the statistics on one scale, so they rank.
- statistic: the unbiased estimate MMD^2_u (diagonal terms left out of both within-sample
  means). It is ~0 for an account whose prompts are drawn like the reference, whatever
  the account's size, which a biased estimate (k(x, x) = 1 in its within-sample mean)
  would inflate for small accounts.
- p-value: a permutation test: the account's and the reference's rows pooled, the labels
  reshuffled; p = (1 + #{permuted >= observed}) / (1 + permutations).

Vectors are unit length (embed.py normalises them), so |x - y|^2 = 2 - 2 x.y.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MMDConfig:
    per_account: int = 200  # prompts drawn from an account (its distinct prompts)
    reference: int = 2000  # prompts in the reference sample
    permutations: int = 200  # p-value resolution 1/201
    min_prompts: int = 5  # fewer distinct prompts: no test, score 0
    seed: int = 0


@dataclass(frozen=True)
class TestResult:
    mmd2: float  # the unbiased estimate
    p: float  # permutation p-value
    z: float  # (mmd2 - mean of the permuted) / their standard deviation
    m: int  # prompts of the account that were tested


def sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(d2, 0.0)  # rounding can leave -1e-7 where a row meets itself


def median_sigma(ref: np.ndarray) -> float:
    """Median heuristic over distinct pairs of the reference; 1.0 if all coincide."""
    d2 = sq_dists(ref, ref)[np.triu_indices(len(ref), k=1)]
    d2 = d2[d2 > 1e-12]  # identical prompts (several accounts send "hi") carry no scale
    return float(np.sqrt(np.median(d2))) if d2.size else 1.0


def gaussian(d2: np.ndarray, sigma: float) -> np.ndarray:
    return np.exp(-d2 / (2.0 * sigma * sigma))


def mmd2_unbiased(kxx: np.ndarray, kyy: np.ndarray, kxy: np.ndarray) -> float:
    m, n = len(kxx), len(kyy)
    xx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    yy = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(xx + yy - 2.0 * kxy.mean())


class Reference:
    """A reference sample, its bandwidth and its kernel matrix, computed once and shared by
    every account's test; `owners` lets a test leave the account's own rows out."""

    def __init__(self, vectors: np.ndarray, owners: list[str]) -> None:
        self.vectors = vectors.astype(np.float64)
        self.owners = np.array(owners)
        self.sigma = median_sigma(self.vectors)
        self.kernel = gaussian(sq_dists(self.vectors, self.vectors), self.sigma)

    def without(self, account: str) -> tuple[np.ndarray, np.ndarray]:
        keep = self.owners != account
        if keep.all():
            return self.vectors, self.kernel
        return self.vectors[keep], self.kernel[np.ix_(keep, keep)]


def mmd_test(
    x: np.ndarray, ref: Reference, account: str, permutations: int, rng: np.random.Generator
) -> TestResult:
    """Two-sample test of the rows `x` against the reference (less `account`'s own rows)."""
    y, kyy = ref.without(account)
    x = x.astype(np.float64)
    m, n = len(x), len(y)
    kxx = gaussian(sq_dists(x, x), ref.sigma)
    kxy = gaussian(sq_dists(x, y), ref.sigma)
    observed = mmd2_unbiased(kxx, kyy, kxy)
    # The pooled kernel matrix once; each permutation then needs only the sum over its
    # m x m block and a sum of row totals, since for the rows S drawn as "x":
    #   sum_xx = K[S, S].sum(), sum_xy = rows[S].sum() - sum_xx,
    #   sum_yy = total - 2 rows[S].sum() + sum_xx.
    # That is m^2 reads a permutation rather than (m + n)^2.
    k = np.block([[kxx, kxy], [kxy.T, kyy]])
    rows = k.sum(1)
    total = rows.sum()
    diag = np.diag(k).copy()
    diag_total = diag.sum()
    stats = np.empty(permutations)
    for i in range(permutations):
        s = rng.choice(m + n, size=m, replace=False)
        sxx = k[np.ix_(s, s)].sum()
        sx = rows[s].sum()
        dx = diag[s].sum()
        syy = total - 2.0 * sx + sxx
        stats[i] = (
            (sxx - dx) / (m * (m - 1))
            + (syy - (diag_total - dx)) / (n * (n - 1))
            - 2.0 * (sx - sxx) / (m * n)
        )
    p = (1.0 + float((stats >= observed).sum())) / (1.0 + permutations)
    sd = float(stats.std())
    z = (observed - float(stats.mean())) / sd if sd > 0 else 0.0
    return TestResult(observed, p, z, m)


def reference_rows(
    samples: dict[str, np.ndarray], size: int, rng: np.random.Generator
) -> tuple[np.ndarray, list[str]]:
    """Row numbers for a reference of `size` drawn evenly across accounts.

    Round robin, one prompt per account a round (accounts in a fresh random order each
    round), so the reference describes the typical account rather than the typical
    request: drawn per request, the few heaviest accounts (harvesters among them) would
    fill most of it and then look like the population they are most of.
    """
    queues = {a: rng.permutation(rows) for a, rows in samples.items() if len(rows)}
    picked: list[int] = []
    owners: list[str] = []
    depth = 0
    while len(picked) < size and queues:
        order = [a for a in queues if depth < len(queues[a])]
        if not order:
            break
        for a in rng.permutation(order):
            if len(picked) == size:
                break
            picked.append(int(queues[a][depth]))
            owners.append(str(a))
        depth += 1
    return np.array(picked, dtype=np.int64), owners
