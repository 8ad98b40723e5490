"""Exact binomial p-values and the corrections for testing many accounts at once."""

from __future__ import annotations

import math

import numpy as np

from distillguard.forensics.watermark_detect import (
    binomial_p,
    bonferroni,
    holm,
    log10_binomial_p,
)


def test_binomial_p_is_the_exact_upper_tail() -> None:
    n, gamma = 40, 0.25
    for green in (0, 5, 10, 20, 40):
        exact = sum(
            math.comb(n, k) * gamma**k * (1 - gamma) ** (n - k) for k in range(green, n + 1)
        )
        assert math.isclose(float(binomial_p([green], n, gamma)[0]), exact, rel_tol=1e-9)
    # Far in the tail (where a normal approximation is off by orders of magnitude) still exact.
    tail = sum(math.comb(1000, k) * 0.25**k * 0.75 ** (1000 - k) for k in range(420, 1001))
    assert math.isclose(float(binomial_p([420], 1000, 0.25)[0]), tail, rel_tol=1e-6)
    assert tail < 1e-30
    assert binomial_p([0, 3], 0, 0.25).tolist() == [1.0, 1.0]


def test_holm_matches_its_definition() -> None:
    rng = np.random.default_rng(1)
    p = rng.random(30) ** 3
    m = p.size
    order = np.argsort(p)
    expected = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        expected[i] = running
    assert np.allclose(holm(p), expected)
    assert np.all(holm(p) <= bonferroni(p) + 1e-15)
    assert np.allclose(bonferroni(p), np.minimum(1.0, m * p))


def test_holm_keeps_a_lone_strong_signal_and_caps_at_one() -> None:
    p = np.array([1e-12, 0.5, 0.9, 0.99])
    adjusted = holm(p)
    assert math.isclose(adjusted[0], 4e-12)
    assert adjusted.max() == 1.0


def test_log10_p_is_exact_where_floats_hold_it_and_a_close_bound_beyond() -> None:
    n, gamma = 20_000, 0.25
    shallow = [5000, 5400, 6000]
    assert np.allclose(log10_binomial_p(shallow, n, gamma), np.log10(binomial_p(shallow, n, gamma)))
    # Deep in the tail: the exact value via logs of each term, summed stably.
    green = 12_000
    ks = np.arange(green, n + 1)
    log_terms = (
        np.array([math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) for k in ks])
        + ks * math.log(gamma)
        + (n - ks) * math.log(1 - gamma)
    )
    top = log_terms.max()
    exact = (top + math.log(np.exp(log_terms - top).sum())) / math.log(10)
    assert float(binomial_p([green], n, gamma)[0]) == 0.0
    bound = float(log10_binomial_p([green], n, gamma)[0])
    assert exact <= bound < exact + 0.5 and bound < -1000
