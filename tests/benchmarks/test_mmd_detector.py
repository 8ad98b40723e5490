"""The MMD baseline's statistics (numpy only: no encoder, no torch)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.detection.mmd.detector import (
    Reference,
    gaussian,
    mmd2_unbiased,
    mmd_test,
    reference_rows,
    sq_dists,
)


def _unit(rng: np.random.Generator, n: int, shift: float = 0.0) -> np.ndarray:
    x = rng.normal(size=(n, 16))
    x[:, 0] += shift
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_unbiased_estimate_matches_the_textbook_double_sum() -> None:
    rng = np.random.default_rng(1)
    x, y, sigma = _unit(rng, 7), _unit(rng, 9, 1.0), 0.8

    def k(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.exp(-np.sum((a - b) ** 2) / (2 * sigma**2)))

    xx = sum(k(x[i], x[j]) for i in range(7) for j in range(7) if i != j) / (7 * 6)
    yy = sum(k(y[i], y[j]) for i in range(9) for j in range(9) if i != j) / (9 * 8)
    xy = sum(k(a, b) for a in x for b in y) / (7 * 9)
    kxx, kyy = gaussian(sq_dists(x, x), sigma), gaussian(sq_dists(y, y), sigma)
    got = mmd2_unbiased(kxx, kyy, gaussian(sq_dists(x, y), sigma))
    assert abs(got - (xx + yy - 2 * xy)) < 1e-9


def test_same_distribution_is_not_rejected_and_a_shift_is() -> None:
    rng = np.random.default_rng(2)
    ref = Reference(_unit(rng, 400), ["r"] * 400)
    same = [mmd_test(_unit(rng, 60), ref, "a", 100, rng) for _ in range(40)]
    shifted = mmd_test(_unit(rng, 60, 1.5), ref, "a", 100, rng)
    # Under the null the p-values spread over (0, 1]: few at the 5% level, mean near 1/2.
    assert sum(r.p <= 0.05 for r in same) <= 6
    assert 0.3 < np.mean([r.p for r in same]) < 0.7
    assert abs(np.mean([r.mmd2 for r in same])) < 0.01  # unbiased: centred on 0
    assert shifted.p == 1 / 101 and shifted.mmd2 > 5 * max(r.mmd2 for r in same)


def test_an_account_is_never_tested_against_its_own_rows() -> None:
    rng = np.random.default_rng(3)
    mine = _unit(rng, 50, 2.0)
    # Half the reference is the account itself: left in, it would hide its own shift.
    ref = Reference(np.vstack([_unit(rng, 50), mine]), ["other"] * 50 + ["me"] * 50)
    assert mmd_test(mine, ref, "me", 50, rng).p == 1 / 51
    assert (
        mmd_test(mine, ref, "someone else", 50, rng).mmd2 < mmd_test(mine, ref, "me", 50, rng).mmd2
    )


def test_reference_is_drawn_evenly_across_accounts() -> None:
    rng = np.random.default_rng(4)
    samples = {"heavy": np.arange(0, 1000), "a": np.arange(1000, 1003), "b": np.arange(2000, 2100)}
    rows, owners = reference_rows(samples, 60, rng)
    assert len(rows) == 60 == len(set(rows.tolist()))
    assert owners.count("a") == 3  # all it has
    assert abs(owners.count("heavy") - owners.count("b")) <= 1
