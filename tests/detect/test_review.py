"""The review model: a prior that is the current risk, learning from reviews, the threshold
rule, saved state and errors."""

from __future__ import annotations

import math
import random
import subprocess
import sys

import orjson
import pytest
from scipy.stats import beta

from distillguard.detect import review_threshold as rt
from distillguard.detect.review import RISK, FitConfig, Reviewed, ReviewModel, fit
from distillguard.errors import (
    EvidenceValueError,
    ReviewModelError,
    ReviewStateError,
    TooFewLabelsError,
)

BASE = 0.35


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))


def accounts(n: int, extraction: bool, rng: random.Random) -> list[Reviewed]:
    """Accounts whose detector counts tool use as extraction evidence, while in truth half
    the benign ones (agent platforms) use tools and extraction shows in `new` alone."""
    out = []
    for i in range(n):
        if extraction:
            new, tools = rng.uniform(0.6, 1.0), rng.uniform(0.0, 0.3)
        else:
            new = rng.uniform(0.0, 0.45)
            tools = rng.uniform(0.7, 1.0) if i % 2 else rng.uniform(0.0, 0.3)
        risk = _clip(0.55 * new + 0.45 * tools + rng.gauss(0.0, 0.03))
        evidence = {"new": round(new, 4), "tools": round(tools, 4), RISK: round(risk, 4)}
        out.append(Reviewed(f"{'x' if extraction else 'b'}{i:03d}", evidence, extraction))
    return out


def flagged_share(model: ReviewModel, group: list[Reviewed]) -> float:
    return sum(model.flag(r.evidence) for r in group) / len(group)


def test_the_prior_is_the_current_risk_score_and_threshold() -> None:
    prior = ReviewModel.prior(BASE)
    for risk in (0.01, 0.2, 0.5, 0.9):
        assert prior.score({RISK: risk}) == pytest.approx(risk)
    assert prior.flag({RISK: 0.36}) and not prior.flag({RISK: 0.34})
    assert prior.threshold == pytest.approx(BASE)
    assert prior.explain() == ("no reviews yet: the current risk score, flagged at 0.35",)


def test_it_down_weights_evidence_that_reviewers_dismissed_and_fewer_benign_flag() -> None:
    rng = random.Random(1)
    reviewed = accounts(40, True, rng) + accounts(60, False, rng)
    held_benign, held_attack = accounts(400, False, rng), accounts(200, True, rng)
    model = fit(reviewed, BASE)
    weights = dict(zip(model.names, model.weights, strict=True))
    assert weights["tools"] < -1.0 < 1.0 < weights["new"]
    prior = ReviewModel.prior(BASE)
    assert flagged_share(prior, held_benign) > 0.3  # the agent platforms
    assert flagged_share(model, held_benign) < 0.02
    assert flagged_share(model, held_attack) > 0.8
    words = "\n".join(model.explain())
    assert "'tools': -" in words and "lowers the score: reviewers dismissed" in words
    assert "'new': +" in words and f"dismissed account {model.threshold_account}" in words


def test_a_few_contrary_labels_move_the_model_only_a_little() -> None:
    # Three benign accounts at high risk, three extraction at low risk: the opposite of the
    # prior, and perfectly separable by `odd`, which an unregularised fit would chase to
    # infinity.
    reviewed = [Reviewed(f"b{i}", {RISK: 0.8, "odd": 1.0}, False) for i in range(3)]
    reviewed += [Reviewed(f"x{i}", {RISK: 0.2}, True) for i in range(3)]
    model = fit(reviewed, BASE, FitConfig(min_per_class=3))
    assert 0.5 < model.risk_weight <= 1.0
    assert abs(model.intercept) < 1.5
    assert model.weights[model.names.index("odd")] > -1.5
    # Away from the odd evidence, scores keep their order and stay near the prior.
    assert model.score({RISK: 0.9}) > model.score({RISK: 0.5}) > model.score({RISK: 0.1})
    assert abs(math.log(model.score({RISK: 0.9}) / 0.9)) < 0.5
    weak = fit(reviewed, BASE, FitConfig(min_per_class=3, prior_strength=0.1))
    assert weak.weights[weak.names.index("odd")] < model.weights[model.names.index("odd")]


def test_with_few_benign_reviews_the_threshold_never_drops_below_the_current_one() -> None:
    reviewed = [Reviewed(f"b{i}", {RISK: 0.05 * (i + 1)}, False) for i in range(4)]
    reviewed += [Reviewed(f"x{i}", {RISK: 0.9}, True) for i in range(4)]
    model = fit(reviewed, BASE)
    assert model.rule == rt.FLOOR and model.threshold >= BASE - 1e-9
    assert model.threshold_account == "" and not model.certified
    assert "held at the current threshold 0.35" in model.explain()[-1]


def test_without_enough_benign_to_certify_it_sits_above_every_dismissed_account() -> None:
    rng = random.Random(2)
    reviewed = accounts(40, True, rng) + accounts(60, False, rng)
    model = fit(reviewed, BASE)
    benign = [r for r in reviewed if not r.extraction]
    assert model.rule == rt.ABOVE_BENIGN and not model.certified
    assert model.benign_above == 0
    assert not any(model.flag(r.evidence) for r in benign)
    top = max(benign, key=lambda r: model.logit(r.evidence))
    assert model.threshold_account == top.account
    assert model.threshold_logit == pytest.approx(model.logit(top.evidence) + 0.25)
    assert model.fpr_upper == pytest.approx(1 - 0.05 ** (1 / 60))
    assert "certifying it needs 299 reviewed benign accounts" in model.explain()[-2]


def test_with_many_benign_the_threshold_is_certified_for_the_target() -> None:
    rng = random.Random(3)
    reviewed = accounts(50, True, rng) + accounts(800, False, rng)
    model = fit(reviewed, BASE, FitConfig(target_fpr=0.01))
    assert model.rule == rt.CERTIFIED and model.certified
    allowed = rt.allowed_above(800, 0.01, 0.95)
    assert allowed >= 1 and model.benign_above <= allowed
    # Above the (allowed + 1)-th highest benign account, not above all of them.
    ranked = sorted((model.logit(r.evidence) for r in reviewed if not r.extraction), reverse=True)
    assert model.threshold_logit == pytest.approx(ranked[allowed] + 0.25)
    assert model.threshold_logit < ranked[0] + 0.25
    assert rt.clopper_pearson_upper(model.benign_above, 800, 0.95) <= 0.01


@pytest.mark.parametrize(("k", "n"), [(1, 10), (3, 50), (7, 1000), (0, 299), (20, 100)])
def test_clopper_pearson_upper_bound_matches_the_beta_quantile(k: int, n: int) -> None:
    assert rt.clopper_pearson_upper(k, n, 0.95) == pytest.approx(
        beta.ppf(0.95, k + 1, n - k), rel=1e-6
    )
    assert rt.clopper_pearson_upper(n, n, 0.95) == 1.0
    assert rt.benign_needed(0.01, 0.95) == 299 and rt.benign_needed(0.005, 0.95) == 598


def test_missing_evidence_counts_zero_and_unknown_names_are_ignored() -> None:
    rng = random.Random(4)
    model = fit(accounts(20, True, rng) + accounts(20, False, rng), BASE)
    e = {RISK: 0.5, "new": 0.4}
    assert model.score(e) == model.score({**e, "tools": 0.0}) == model.score({**e, "other": 0.9})
    assert model.score({}) == model.score({RISK: 0.0, "new": 0.0, "tools": 0.0})


def test_state_round_trips_through_json() -> None:
    rng = random.Random(5)
    model = fit(accounts(20, True, rng) + accounts(30, False, rng), BASE)
    state = orjson.loads(orjson.dumps(model.to_state()))
    again = ReviewModel.from_state(state)
    assert again == model and again.explain() == model.explain()
    prior = ReviewModel.prior(BASE)
    assert ReviewModel.from_state(orjson.loads(orjson.dumps(prior.to_state()))) == prior


def test_too_few_labels_of_a_class_say_how_many_are_needed() -> None:
    reviewed = [Reviewed(f"x{i}", {RISK: 0.9}, True) for i in range(5)]
    reviewed.append(Reviewed("b0", {RISK: 0.1}, False))
    with pytest.raises(TooFewLabelsError, match=r"1 dismissed benign \(needs 3\)") as err:
        fit(reviewed, BASE)
    assert (err.value.extraction, err.value.benign) == (5, 1)
    assert "distillguard cases confirm|dismiss" in str(err.value)


@pytest.mark.parametrize("value", [1.5, -0.1, math.nan, "0.5", True])
def test_evidence_outside_zero_to_one_is_named(value: object) -> None:
    reviewed = [Reviewed(f"x{i}", {RISK: 0.9}, True) for i in range(3)]
    reviewed += [Reviewed(f"b{i}", {RISK: 0.1}, False) for i in range(3)]
    bad = [*reviewed, Reviewed("acct_bad", {RISK: 0.5, "cot": value}, False)]  # type: ignore[dict-item]
    with pytest.raises(EvidenceValueError, match=r"account 'acct_bad': evidence 'cot'"):
        fit(bad, BASE)
    with pytest.raises(EvidenceValueError, match="evidence 'cot'"):
        fit(reviewed, BASE).score({"cot": value})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("config", "base", "match"),
    [
        (FitConfig(target_fpr=0.0), BASE, "target_fpr = 0.0"),
        (FitConfig(prior_strength=0.0), BASE, "prior_strength = 0.0"),
        (FitConfig(confidence=1.0), BASE, "confidence = 1.0"),
        (FitConfig(), 1.0, "base_threshold = 1.0"),
    ],
)
def test_bad_settings_are_named(config: FitConfig, base: float, match: str) -> None:
    reviewed = [Reviewed(f"x{i}", {RISK: 0.9}, True) for i in range(3)]
    reviewed += [Reviewed(f"b{i}", {RISK: 0.1}, False) for i in range(3)]
    with pytest.raises(ReviewModelError, match=match):
        fit(reviewed, base, config)


def test_an_account_reviewed_twice_is_refused() -> None:
    reviewed = [Reviewed("same", {RISK: 0.9}, True), Reviewed("same", {RISK: 0.9}, False)]
    with pytest.raises(ReviewModelError, match="'same' is reviewed twice"):
        fit(reviewed, BASE)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"version": 99}, "version 99"),
        ({"weights": [0.5]}, "1 weights"),
        ({"rule": "guess"}, "rule 'guess'"),
        ({"intercept": "high"}, "field 'intercept'"),
        ({"benign_reviewed": -1}, "field 'benign_reviewed'"),
        ({"names": [1, 2]}, "field 'names'"),
    ],
)
def test_a_bad_saved_state_is_refused_with_the_field(change: dict[str, object], match: str) -> None:
    rng = random.Random(6)
    state = fit(accounts(20, True, rng) + accounts(30, False, rng), BASE).to_state()
    with pytest.raises(ReviewStateError, match=match) as err:
        ReviewModel.from_state({**state, **change})
    assert "distillguard review-model fit" in str(err.value)
    del state["threshold_logit"]
    with pytest.raises(ReviewStateError, match="'threshold_logit' is missing"):
        ReviewModel.from_state(state)


def test_the_review_model_does_not_import_scikit_learn() -> None:
    code = (
        "import sys, distillguard.detect.review, distillguard.store.review_training; "
        "sys.exit('sklearn' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
