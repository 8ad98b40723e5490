"""The simulated review loop: a reviewer works the queue, the review model refits each batch.

The scenario's accounts are split, stratified by label, into a review pool and a test set.
The reviewer takes the `batch` pool accounts that the current model scores highest (the
current risk score before the first fit), as a trust-and-safety team works its queue, and
answers with the true label, wrong with probability `error_rate`. After each batch the model
is refit on every answer so far (`detect.review.fit`); until both classes have
`min_per_class` answers it stays the prior (the current score and threshold). With
`second_look`, the dismissed account that the threshold sits above (`threshold_account`) is
reviewed once more, independently, and the model refit: one wrong dismissal of an
extraction account would otherwise hold the threshold above most extraction.

After each batch: the benign FPR and the TPR at the learned threshold on the test set, whose
labels the model never sees, and (for reference, in-sample) on the pool by the model's own
decision. The test set is drawn like the pool, so its numbers are what the model would do on
the traffic it was not trained on; the unreviewed rest of the pool is not, as the reviewer
has taken its top.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from distillguard.detect.review import FitConfig, Reviewed, ReviewModel, fit
from distillguard.errors import TooFewLabelsError


@dataclass(frozen=True, slots=True)
class Step:
    reviews: int
    fpr: float  # test set: benign accounts the model flags / benign accounts
    tpr: float  # test set
    fpr_pool: float  # the same on the review pool (in-sample once reviewed)
    tpr_pool: float
    threshold: float
    rule: str
    benign_reviewed: int
    wrong_answers: int  # answers that are wrong now (after any second look)
    second_looks: int


@dataclass(frozen=True, slots=True)
class Run:
    steps: tuple[Step, ...]
    final: ReviewModel


def split(truth: Mapping[str, bool], share: float, seed: int) -> tuple[list[str], list[str]]:
    """(pool, test): `share` of each class to the test set, drawn at random."""
    rng = random.Random(seed)
    pool: list[str] = []
    test: list[str] = []
    for label in (True, False):
        accounts = sorted(a for a, v in truth.items() if v is label)
        rng.shuffle(accounts)
        cut = round(share * len(accounts))
        test += accounts[:cut]
        pool += accounts[cut:]
    return sorted(pool), sorted(test)


def rate(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


def _rates(
    flags: Mapping[str, bool], accounts: Collection[str], truth: Mapping[str, bool]
) -> tuple[float, float]:
    benign = [flags[a] for a in accounts if not truth[a]]
    attack = [flags[a] for a in accounts if truth[a]]
    return rate(benign), rate(attack)


def measure(
    model: ReviewModel,
    evidence: Mapping[str, Mapping[str, float]],
    truth: Mapping[str, bool],
    pool: Collection[str],
    answers: Mapping[str, bool],
    second_looks: int,
) -> Step:
    flags = {a: model.flag(e) for a, e in evidence.items()}
    test = [a for a in evidence if a not in pool]
    fpr, tpr = _rates(flags, test, truth)
    fpr_pool, tpr_pool = _rates(flags, pool, truth)
    return Step(
        reviews=len(answers) + second_looks,
        fpr=fpr,
        tpr=tpr,
        fpr_pool=fpr_pool,
        tpr_pool=tpr_pool,
        threshold=model.threshold,
        rule=model.rule,
        benign_reviewed=sum(1 for v in answers.values() if not v),
        wrong_answers=sum(1 for a, v in answers.items() if v != truth[a]),
        second_looks=second_looks,
    )


def review_loop(
    evidence: Mapping[str, Mapping[str, float]],
    truth: Mapping[str, bool],
    pool: Sequence[str],
    *,
    base_threshold: float,
    config: FitConfig,
    batch: int,
    error_rate: float,
    seed: int,
    second_look: bool = False,
) -> Run:
    """Review `batch` pool accounts at a time, refit, measure; until the pool is done."""
    rng = random.Random(seed)
    members = set(pool)
    model = ReviewModel.prior(base_threshold, config.target_fpr)
    answers: dict[str, bool] = {}  # account -> what the reviewer said (extraction?)
    looked: set[str] = set()  # accounts that had their second look
    steps = [measure(model, evidence, truth, members, answers, 0)]

    def answer(account: str) -> bool:
        return truth[account] != (rng.random() < error_rate)

    while len(answers) < len(pool):
        queue = sorted(
            (a for a in pool if a not in answers),
            key=lambda a: (-model.logit(evidence[a]), a),
        )[:batch]
        for account in queue:
            answers[account] = answer(account)
        model = _refit(model, evidence, answers, base_threshold, config)
        setter = model.threshold_account
        if second_look and setter and setter not in looked:
            looked.add(setter)
            answers[setter] = answer(setter)
            model = _refit(model, evidence, answers, base_threshold, config)
        steps.append(measure(model, evidence, truth, members, answers, len(looked)))
    return Run(tuple(steps), model)


def _refit(
    model: ReviewModel,
    evidence: Mapping[str, Mapping[str, float]],
    answers: Mapping[str, bool],
    base_threshold: float,
    config: FitConfig,
) -> ReviewModel:
    reviewed = [Reviewed(a, evidence[a], answers[a]) for a in sorted(answers)]
    # Until both classes have enough answers the prior stays in force, as in production.
    with contextlib.suppress(TooFewLabelsError):
        return fit(reviewed, base_threshold, config)
    return model


def first_reach(steps: Sequence[Step], target: float) -> dict[str, Any] | None:
    """The first step whose FPR is within `target`, whether every later one is, its TPR."""
    for i, s in enumerate(steps):
        if s.fpr <= target + 1e-12:
            holds = all(t.fpr <= target + 1e-12 for t in steps[i:])
            return {"reviews": s.reviews, "tpr": s.tpr, "fpr": s.fpr, "holds": holds}
    return None


def oracle_tpr(scores: Mapping[str, float], truth: Mapping[str, bool], target: float) -> float:
    """The best TPR any threshold on `scores` reaches with benign FPR within `target`: what
    the unreviewed score could do if someone knew every label (an upper bound for it)."""
    benign = sorted((scores[a] for a in scores if not truth[a]), reverse=True)
    attack = [scores[a] for a in scores if truth[a]]
    allowed = int(target * len(benign) + 1e-9)  # benign accounts that may flag
    # Flag strictly above the (allowed+1)-th highest benign score.
    cut = benign[allowed] if allowed < len(benign) else float("-inf")
    return rate([s > cut for s in attack])
