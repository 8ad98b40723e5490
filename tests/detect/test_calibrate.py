"""`threshold_for`: the benign order statistic, the margin, and the inputs it refuses."""

from __future__ import annotations

import random

import pytest

from distillguard.detect.calibrate import Calibration, threshold_for

HUNDRED = [i / 100 for i in range(100)]  # 0.00 .. 0.99


@pytest.mark.parametrize(
    ("target_fpr", "quantile"),
    [
        (0.001, 0.99),  # floor(0.1) = 0 accounts may sit above: the maximum
        (0.005, 0.99),
        (0.01, 0.98),  # one account above
        (0.05, 0.94),  # five accounts above
        (0.5, 0.49),
    ],
)
def test_order_statistic(target_fpr: float, quantile: float) -> None:
    cal = threshold_for(HUNDRED, target_fpr, margin=0.0)
    assert cal.quantile_score == quantile
    assert cal.threshold == quantile
    above = sum(s > cal.threshold for s in HUNDRED)
    assert above <= target_fpr * len(HUNDRED)


def test_order_does_not_matter_and_any_iterable_works() -> None:
    shuffled = HUNDRED[:]
    random.Random(0).shuffle(shuffled)
    assert threshold_for(iter(shuffled), 0.05) == threshold_for(HUNDRED, 0.05)


def test_margin_is_added_and_capped_at_one() -> None:
    cal = threshold_for(HUNDRED, 0.05, margin=0.03)
    assert cal == Calibration(
        threshold=pytest.approx(0.97), target_fpr=0.05, benign_accounts=100, quantile_score=0.94
    )
    assert threshold_for(HUNDRED, 0.001, margin=0.05).threshold == 1.0


def test_single_account() -> None:
    assert threshold_for([0.4], 0.01, margin=0.0) == Calibration(0.4, 0.01, 1, 0.4)


@pytest.mark.parametrize("target_fpr", [0.0, 1.0, -0.1, 1.5])
def test_target_fpr_outside_zero_one_is_refused(target_fpr: float) -> None:
    with pytest.raises(ValueError, match=r"target_fpr must be within \(0, 1\)"):
        threshold_for(HUNDRED, target_fpr)


def test_no_benign_accounts_is_refused() -> None:
    with pytest.raises(ValueError, match="no benign accounts"):
        threshold_for([], 0.01)
