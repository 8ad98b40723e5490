"""`roc_auc` and `roc_curve`, the numpy stand-ins for scikit-learn's, on cases worked by hand,
on ties and missing classes, and (where scikit-learn is installed) against scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest

from distillguard.evaluation.metrics import OneClassError, roc_auc, roc_curve, tpr_at

# Positives 0.9, 0.5, 0.3 against negatives 0.5, 0.1: 0.9 beats both (2), 0.5 ties one and
# beats one (1.5), 0.3 beats one (1): 4.5 of 6 pairs.
Y = [1, 1, 0, 1, 0]
S = [0.9, 0.5, 0.5, 0.3, 0.1]


def test_auroc_by_hand() -> None:
    assert roc_auc(Y, S) == 0.75


def test_curve_by_hand() -> None:
    fpr, tpr, thresholds = roc_curve(Y, S)
    assert fpr.tolist() == [0.0, 0.0, 0.5, 0.5, 1.0]
    assert tpr.tolist() == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0, 1.0])
    assert thresholds.tolist() == [math.inf, 0.9, 0.5, 0.3, 0.1]


def test_all_tied_is_chance() -> None:
    assert roc_auc([1, 0, 1, 0], [0.2] * 4) == 0.5
    fpr, tpr, _ = roc_curve([1, 0, 1, 0], [0.2] * 4)
    assert (fpr.tolist(), tpr.tolist()) == ([0.0, 1.0], [0.0, 1.0])


def test_perfect_and_reversed() -> None:
    assert roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == 1.0
    assert roc_auc([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4]) == 0.0


def test_booleans_and_order_do_not_matter() -> None:
    perm = [3, 0, 4, 2, 1]
    assert roc_auc(np.array(Y, dtype=bool)[perm], np.array(S)[perm]) == 0.75


def test_collinear_points_are_dropped_as_scikit_learn_does() -> None:
    # Three tie groups of one attacker and one benign each: (1/3, 1/3) and (2/3, 2/3) lie on
    # the diagonal, and the inner one goes. So at a 70% FPR budget the best reachable TPR
    # is 1/3, not 2/3: tpr_at reports what scikit-learn's curve allows.
    y = [1, 0, 1, 0, 1, 0]
    s = [3, 3, 2, 2, 1, 1]
    fpr, tpr, thresholds = roc_curve(y, s)
    assert fpr.tolist() == pytest.approx([0.0, 1 / 3, 1.0])
    assert tpr.tolist() == pytest.approx([0.0, 1 / 3, 1.0])
    assert thresholds.tolist() == [math.inf, 3.0, 1.0]
    assert tpr_at(np.array(y), np.array(s, dtype=float), 0.7) == pytest.approx(1 / 3)


@pytest.mark.parametrize("y", [[1, 1, 1], [0, 0], [True], []])
def test_one_class_raises(y: list[int]) -> None:
    s = [0.5] * len(y)
    with pytest.raises(OneClassError):
        roc_auc(y, s)
    with pytest.raises(OneClassError):
        roc_curve(y, s)


@pytest.mark.parametrize(
    ("y", "s"),
    [([1, 0], [0.5]), ([1, 2], [0.1, 0.2]), ([1, 0], [0.1, math.nan])],
)
def test_bad_input_raises(y: list[int], s: list[float]) -> None:
    with pytest.raises(ValueError):
        roc_auc(y, s)


def _cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(11)
    cases = []
    for n in (2, 3, 7, 50, 1000):
        for levels in (2, 5, None):  # heavy ties, some ties, continuous
            y = rng.integers(0, 2, n)
            y[0], y[-1] = 0, 1
            s = rng.random(n) if levels is None else rng.integers(0, levels, n) / levels
            cases.append((y, s))
    return cases


@pytest.mark.parametrize(("y", "s"), _cases())
def test_matches_scikit_learn(y: np.ndarray, s: np.ndarray) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    assert roc_auc(y, s) == pytest.approx(metrics.roc_auc_score(y, s), rel=1e-12, abs=1e-15)
    ours = roc_curve(y, s)
    theirs = metrics.roc_curve(y, s)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)
    for target in (0.0, 0.001, 0.01, 0.1, 0.5):
        fpr, tpr, _ = theirs
        ok = fpr <= target + 1e-12
        assert tpr_at(y, s, target) == (float(tpr[ok].max()) if ok.any() else 0.0)
