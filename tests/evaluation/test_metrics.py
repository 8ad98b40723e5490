"""`evaluate` and `tpr_at` on hand-built scores and labels whose every metric is known."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson
import pytest

from distillguard.evaluation import Label, evaluate
from distillguard.evaluation.metrics import tpr_at

# Benign b1-b4 (b4 missing from the output), single attackers x1-x3, hydra members
# h1-h3 in two campaigns (h3 missing from the output).
LABELS = {
    "b1": Label("b1", False, kind="consumer_chat"),
    "b2": Label("b2", False, kind="consumer_chat"),
    "b3": Label("b3", False, kind="batch"),
    "b4": Label("b4", False, kind="batch"),
    "x1": Label("x1", True, kind="broad_harvest"),
    "x2": Label("x2", True, kind="broad_harvest"),
    "x3": Label("x3", True, kind="cot_harvest"),
    "h1": Label("h1", True, campaign="c1", kind="hydra"),
    "h2": Label("h2", True, campaign="c1", kind="hydra"),
    "h3": Label("h3", True, campaign="c2", kind="hydra"),
}


def row(account: str, score: float, first_flag_index: int | None = None) -> dict[str, Any]:
    flagged = first_flag_index is not None
    return {
        "account": account,
        "score": score,
        "flagged": flagged,
        "first_flag_index": first_flag_index,
    }


SCORES = {
    r["account"]: r
    for r in (
        row("b1", 0.1),
        row("b2", 0.3, first_flag_index=5),
        row("b3", 0.2),
        row("x1", 0.9, first_flag_index=40),
        row("x2", 0.25),
        row("x3", 0.8, first_flag_index=100),
        row("h1", 0.7, first_flag_index=10),
        row("h2", 0.6),
    )
}


@pytest.fixture
def ev() -> Any:
    return evaluate(SCORES, LABELS)


def test_counts_and_missing_accounts(ev: Any) -> None:
    assert (ev.accounts, ev.extraction_accounts) == (10, 6)
    assert ev.missing_from_output == 2  # b4 and h3 count as score 0, not flagged


def test_auroc_counts_ties_as_half(ev: Any) -> None:
    # Of 6 x 4 (attacker, benign) pairs the attacker outscores in 19, ties in 1 (h3 = b4 = 0):
    # x2 (0.25) loses to b2 (0.3).
    assert ev.auroc == pytest.approx(19.5 / 24)


def test_tpr_at_low_fpr_is_what_beats_every_benign(ev: Any) -> None:
    # With 4 benign accounts any FPR under 25% allows none above the threshold: 4 of 6.
    assert ev.tpr_at_fpr == {
        "0.100%": pytest.approx(4 / 6),
        "0.500%": pytest.approx(4 / 6),
        "1.000%": pytest.approx(4 / 6),
    }


def test_precision_recall_and_benign_flagged(ev: Any) -> None:
    assert ev.precision == pytest.approx(3 / 4)  # flagged: b2, x1, x3, h1
    assert ev.recall == pytest.approx(3 / 6)
    assert ev.benign_flagged == 1
    assert ev.benign_fpr == pytest.approx(1 / 4)
    assert ev.benign_flagged_by_kind == {"batch": 0, "consumer_chat": 1}


def test_recall_per_kind(ev: Any) -> None:
    assert ev.recall_by_kind == {
        "broad_harvest": pytest.approx(1 / 2),
        "cot_harvest": 1.0,
        "hydra": pytest.approx(1 / 3),
    }


def test_median_requests_before_flag_counts_single_attackers_only(ev: Any) -> None:
    # x1 at 40 and x3 at 100; h1 (at 10) is in a campaign, b2 is benign.
    assert ev.median_requests_before_flag == 70.0
    assert ev.median_requests_before_flag_by_kind == {
        "broad_harvest": 40.0,
        "cot_harvest": 100.0,
        "hydra": 10.0,
    }


def test_campaign_flagged_fraction(ev: Any) -> None:
    assert ev.campaign_flagged == {"c1": 0.5, "c2": 0.0}


def test_to_json_round_trips(ev: Any) -> None:
    back = orjson.loads(ev.to_json())
    assert back["auroc"] == pytest.approx(ev.auroc)
    assert back["campaign_flagged"] == {"c1": 0.5, "c2": 0.0}


def test_one_class_gives_nan_auroc_and_no_medians() -> None:
    labels = {"b1": LABELS["b1"], "b2": LABELS["b2"]}
    ev = evaluate({"b1": row("b1", 0.1)}, labels)
    assert math.isnan(ev.auroc)
    assert all(math.isnan(v) for v in ev.tpr_at_fpr.values())
    assert (ev.precision, ev.recall, ev.benign_flagged) == (0.0, 0.0, 0)
    assert ev.median_requests_before_flag is None
    assert ev.missing_from_output == 1


def test_kind_defaults_to_the_label() -> None:
    labels = {"a": Label("a", True), "b": Label("b", False)}
    ev = evaluate({"a": row("a", 0.9, first_flag_index=7), "b": row("b", 0.1)}, labels)
    assert ev.recall_by_kind == {"extraction": 1.0}
    assert ev.benign_flagged_by_kind == {"benign": 0}
    assert ev.median_requests_before_flag_by_kind == {"extraction": 7.0}


Y = np.array([1, 1, 1, 1, 0, 1, 0, 0, 1, 0])
S = np.array([0.9, 0.8, 0.7, 0.6, 0.3, 0.25, 0.2, 0.1, 0.0, 0.0])


@pytest.mark.parametrize(
    ("fpr", "tpr"),
    [
        (0.0, 4 / 6),  # threshold above 0.3: no benign, four attackers
        (0.2, 4 / 6),  # one benign of four is 25%, over the target
        (0.25, 5 / 6),  # threshold 0.25 admits b2 (0.3) and x2
        (0.5, 5 / 6),
        (0.75, 5 / 6),  # the last attacker ties with the last benign at 0
        (1.0, 1.0),
    ],
)
def test_tpr_at(fpr: float, tpr: float) -> None:
    assert tpr_at(Y, S, fpr) == pytest.approx(tpr)
