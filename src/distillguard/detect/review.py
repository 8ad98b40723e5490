"""A calibrated model over detector outputs, learned only from reviewers' decisions.

    model = fit(reviewed, base_threshold=0.35)   # Reviewed(account, evidence, extraction)
    model.score(evidence)                        # in [0, 1]; evidence: name -> [0, 1]
    model.flag(evidence)                         # at or above the learned threshold
    model.explain()                              # what the reviews changed, in words
    ReviewModel.from_state(model.to_state())     # JSON-able

An account's evidence is its detector outputs by name, each in [0, 1]; a name it lacks
counts 0.0. The current risk score is the evidence named `RISK`. The model is a logistic
regression on [1, logit(risk), evidence...] whose prior is "the current risk score is
right": weight 1 on logit(risk) and 0 elsewhere reproduce the risk (clipped to
[EPS, 1 - EPS]). The fit is the L2-penalised maximum (a MAP estimate) that pulls every
weight toward that prior with the force of `prior_strength` pseudo-labels (every column is
scaled into [-1, 1], so the strength means the same for each), so a few reviews move it a
little and many move it far. Only reviewed accounts are fitted: no simulator's labels.

Calibrated on the reviewed accounts: the score estimates the share a reviewer would confirm
among accounts like those reviewed. Reviewers work the top of the queue, so that is not the
population's rate of extraction; the flag threshold does not rely on it. The threshold is
chosen for a target benign false-positive rate from the reviewed benign accounts
(`detect.review_threshold`: Clopper-Pearson, conservative with few labels), and names the
dismissed account it sits above (`threshold_account`): one wrong dismissal of an extraction
account would hold it above most extraction, so that account deserves a second look.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from distillguard.detect import review_threshold as rt
from distillguard.errors import (
    EvidenceValueError,
    ReviewModelError,
    ReviewStateError,
    TooFewLabelsError,
)

RISK = "risk"  # the evidence name of the current risk score
# Risk is clipped to [EPS, 1 - EPS] before its log-odds: a score of exactly 0 or 1 is
# common and would be infinitely sure. Z is the largest log-odds that leaves.
EPS = 1e-3
Z = math.log((1.0 - EPS) / EPS)
STATE_FORMAT, STATE_VERSION = "distillguard.review_model", 1
Vector = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Reviewed:
    """One reviewed account: its evidence and the reviewer's decision."""

    account: str
    evidence: Mapping[str, float]
    extraction: bool


@dataclass(frozen=True, slots=True)
class FitConfig:
    target_fpr: float = 0.01  # share of benign accounts allowed to flag
    confidence: float = 0.95  # of the Clopper-Pearson bound on that share
    prior_strength: float = 2.0  # pseudo-labels holding each weight at the prior
    min_per_class: int = 3  # fewer confirmed or dismissed accounts: no fit
    min_benign: int = 20  # fewer dismissed accounts: threshold never below the current one
    margin: float = 0.25  # log-odds the threshold keeps above a reviewed benign account

    def check(self) -> None:
        for name, value, ok, want in (
            ("target_fpr", self.target_fpr, 0 < self.target_fpr < 1, "a share such as 0.01"),
            ("confidence", self.confidence, 0 < self.confidence < 1, "such as 0.95"),
            ("prior_strength", self.prior_strength, self.prior_strength > 0, "above 0"),
            ("min_per_class", self.min_per_class, self.min_per_class >= 1, "at least 1"),
            ("min_benign", self.min_benign, self.min_benign >= 0, "0 or more"),
            ("margin", self.margin, self.margin >= 0, "0 or more"),
        ):
            if not (isinstance(value, int | float) and math.isfinite(value) and ok):
                raise ReviewModelError(f"{name} = {value!r} is not allowed", f"give {want}")


def risk_logit(risk: float) -> float:
    r = min(1.0 - EPS, max(EPS, risk))
    return math.log(r / (1.0 - r))


def sigmoid(x: float) -> float:
    return 0.5 * (1.0 + math.tanh(0.5 * x))  # no overflow at either end


def check_evidence(evidence: Mapping[str, float], account: str = "") -> None:
    for name, value in evidence.items():
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not (ok and math.isfinite(value) and 0.0 <= value <= 1.0):
            raise EvidenceValueError(account, name, value)


@dataclass(frozen=True, slots=True)
class ReviewModel:
    names: tuple[str, ...]  # evidence names with a weight (RISK apart)
    weights: tuple[float, ...]  # per name, on its value in [0, 1]; prior 0
    risk_weight: float  # on logit(risk); prior 1
    intercept: float  # prior 0
    threshold_logit: float  # flag at or above these log-odds
    base_threshold: float  # the current risk threshold, the prior's
    target_fpr: float
    confidence: float
    prior_strength: float
    extraction_reviewed: int
    benign_reviewed: int
    benign_above: int  # reviewed benign accounts at or above the threshold
    fpr_upper: float  # Clopper-Pearson upper bound on the benign FPR at the threshold
    rule: str  # which threshold rule applied (review_threshold.RULES)
    # The dismissed account the threshold sits just above ("" if none): were its dismissal
    # a mistake, the threshold would be too high; it is the one to give a second look.
    threshold_account: str = ""

    @classmethod
    def prior(cls, base_threshold: float, target_fpr: float = 0.01) -> ReviewModel:
        """The model before any review: the current risk score and threshold, unchanged."""
        return cls(
            (), (), 1.0, 0.0, risk_logit(base_threshold), base_threshold, target_fpr,
            FitConfig().confidence, FitConfig().prior_strength, 0, 0, 0, 1.0, rt.PRIOR,
        )  # fmt: skip

    @property
    def threshold(self) -> float:
        return sigmoid(self.threshold_logit)

    @property
    def certified(self) -> bool:
        """Whether the bound on the benign FPR at the threshold is within the target."""
        return self.fpr_upper <= self.target_fpr

    def logit(self, evidence: Mapping[str, float]) -> float:
        """The model's log-odds of extraction (flag compares these: no rounding at 1.0)."""
        check_evidence(evidence)
        total = self.intercept + self.risk_weight * risk_logit(evidence.get(RISK, 0.0))
        for name, w in zip(self.names, self.weights, strict=True):
            total += w * evidence.get(name, 0.0)
        return total

    def score(self, evidence: Mapping[str, float]) -> float:
        return sigmoid(self.logit(evidence))

    def flag(self, evidence: Mapping[str, float]) -> bool:
        return self.logit(evidence) >= self.threshold_logit

    def explain(self) -> tuple[str, ...]:
        """What the reviews changed: each weight against its prior, and the threshold rule."""
        if self.rule == rt.PRIOR:
            return (
                f"no reviews yet: the current risk score, flagged at {self.base_threshold:.2f}",
            )
        lines = [
            f"fitted on {self.extraction_reviewed + self.benign_reviewed} reviewed accounts "
            f"({self.extraction_reviewed} confirmed extraction, {self.benign_reviewed} "
            f"dismissed benign); each weight is held toward the current risk score with the "
            f"force of {self.prior_strength:g} reviews",
            f"current risk score: weight {self.risk_weight:.2f} (1.00 before reviews), "
            + _trust(self.risk_weight),
            f"baseline log-odds {self.intercept:+.2f} (0.00 before reviews)",
        ]
        ranked = sorted(zip(self.names, self.weights, strict=True), key=lambda nw: -abs(nw[1]))
        for name, w in ranked:
            if abs(w) >= 0.05:
                lines.append(_weight_words(name, w))
        quiet = sum(1 for _, w in ranked if abs(w) < 0.05)
        if quiet:
            lines.append(f"{quiet} other evidence name(s) barely moved (|weight| < 0.05)")
        lines.append(self._threshold_words())
        if self.threshold_account:
            lines.append(
                f"the threshold sits just above dismissed account {self.threshold_account}: were "
                "that dismissal a mistake, the threshold is too high; look at it again first"
            )
        return tuple(lines)

    def _threshold_words(self) -> str:
        at = f"flag at score {self.threshold:.3f} (log-odds {self.threshold_logit:+.2f})"
        bound = f"{self.confidence:.0%} upper bound on the benign FPR {self.fpr_upper:.2%}"
        if self.rule == rt.FLOOR:
            return (
                f"{at}: held at the current threshold {self.base_threshold:.2f}, as only "
                f"{self.benign_reviewed} benign accounts are reviewed; {bound}"
            )
        if self.rule == rt.CERTIFIED:
            return (
                f"{at}: {self.benign_above} of {self.benign_reviewed} reviewed benign accounts "
                f"at or above it; {bound}, within the {self.target_fpr:.2%} target"
            )
        needed = rt.benign_needed(self.target_fpr, self.confidence)
        return (
            f"{at}: above every one of the {self.benign_reviewed} reviewed benign accounts; not "
            f"certified: {bound} against a {self.target_fpr:.2%} target (certifying it needs "
            f"{needed} reviewed benign accounts)"
        )

    def to_state(self) -> dict[str, Any]:
        """JSON-able; `from_state` reads it back exactly."""
        out: dict[str, Any] = {"format": STATE_FORMAT, "version": STATE_VERSION}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> ReviewModel:
        if state.get("format") != STATE_FORMAT or state.get("version") != STATE_VERSION:
            raise ReviewStateError(
                f"format {state.get('format')!r} version {state.get('version')!r}, "
                f"not {STATE_FORMAT!r} version {STATE_VERSION}"
            )
        values = {f.name: _state_value(state, f.name, str(f.type)) for f in fields(cls)}
        model = cls(**values)
        if len(model.names) != len(model.weights):
            raise ReviewStateError(f"{len(model.names)} names but {len(model.weights)} weights")
        if model.rule not in rt.RULES:
            raise ReviewStateError(f"rule {model.rule!r} is not one of {', '.join(rt.RULES)}")
        return model


def _trust(weight: float) -> str:
    if weight > 1.05:
        return "trusted more: reviews agreed with it"
    if weight < 0.95:
        return "trusted less: reviews disagreed with it"
    return "unchanged"


def _weight_words(name: str, w: float) -> str:
    if w > 0:
        why = "raises the score: reviewers confirmed accounts high on it"
    else:
        why = "lowers the score: reviewers dismissed accounts high on it"
    return f"{name!r}: {w:+.2f} log-odds at 1.0 (odds x{math.exp(w):.2f}); {why}"


def _finite(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _state_value(state: Mapping[str, Any], name: str, kind: str) -> Any:
    """A field of a saved model, checked against its annotation."""
    if name not in state:
        raise ReviewStateError(f"field {name!r} is missing")
    value = state[name]
    ok = {
        "tuple[str, ...]": isinstance(value, list) and all(isinstance(v, str) for v in value),
        "tuple[float, ...]": isinstance(value, list) and all(_finite(v) for v in value),
        "float": _finite(value),
        "int": isinstance(value, int) and not isinstance(value, bool) and value >= 0,
        "str": isinstance(value, str),
    }.get(kind, False)
    if not ok:
        raise ReviewStateError(f"field {name!r} = {value!r} is not a {kind}")
    if kind == "tuple[str, ...]":
        return tuple(value)
    if kind == "tuple[float, ...]":
        return tuple(float(v) for v in value)
    return float(value) if kind == "float" else value


def fit(
    reviewed: Sequence[Reviewed], base_threshold: float, config: FitConfig | None = None
) -> ReviewModel:
    """Fit on reviewed accounts; raises `TooFewLabelsError` below `min_per_class` of a class."""
    cfg = config or FitConfig()
    cfg.check()
    if not 0.0 < base_threshold < 1.0:
        raise ReviewModelError(
            f"base_threshold = {base_threshold!r} is not within (0, 1)",
            "give the current flag threshold of the risk score",
        )
    _check_reviewed(reviewed, cfg.min_per_class)
    names = _names(reviewed)
    x = _design(names, [r.evidence for r in reviewed])
    y = np.array([1.0 if r.extraction else 0.0 for r in reviewed])
    prior = np.zeros(x.shape[1])
    prior[1] = Z  # column 1 is logit(risk) / Z: weight Z gives back logit(risk)
    theta = _newton(x, y, prior, cfg.prior_strength)
    chosen, setter = _threshold(reviewed, x @ theta, base_threshold, cfg)
    return ReviewModel(
        names=names,
        weights=tuple(float(w) for w in theta[2:]),
        risk_weight=float(theta[1]) / Z,
        intercept=float(theta[0]),
        threshold_logit=chosen.logit,
        base_threshold=base_threshold,
        target_fpr=cfg.target_fpr,
        confidence=cfg.confidence,
        prior_strength=cfg.prior_strength,
        extraction_reviewed=int(y.sum()),
        benign_reviewed=len(reviewed) - int(y.sum()),
        benign_above=chosen.benign_above,
        fpr_upper=chosen.fpr_upper,
        rule=chosen.rule,
        threshold_account=setter,
    )


def _threshold(
    reviewed: Sequence[Reviewed], logits: Vector, base_threshold: float, cfg: FitConfig
) -> tuple[rt.Threshold, str]:
    """The threshold from the reviewed benign accounts' log-odds, and the account it sits
    above ("" when the floor set it)."""
    benign_at = [i for i, r in enumerate(reviewed) if not r.extraction]
    chosen = rt.choose(
        [float(logits[i]) for i in benign_at],
        risk_logit(base_threshold),
        target_fpr=cfg.target_fpr,
        confidence=cfg.confidence,
        min_benign=cfg.min_benign,
        margin=cfg.margin,
    )
    setter = "" if chosen.setter is None else reviewed[benign_at[chosen.setter]].account
    return chosen, setter


def _check_reviewed(reviewed: Sequence[Reviewed], needed: int) -> None:
    seen: set[str] = set()
    for r in reviewed:
        if r.account in seen:
            raise ReviewModelError(
                f"account {r.account!r} is reviewed twice", "give each account's latest decision"
            )
        seen.add(r.account)
        check_evidence(r.evidence, r.account)
    extraction = sum(1 for r in reviewed if r.extraction)
    benign = len(reviewed) - extraction
    if min(extraction, benign) < needed:
        raise TooFewLabelsError(extraction, benign, needed)


def _names(reviewed: Sequence[Reviewed]) -> tuple[str, ...]:
    """Evidence names some reviewed account has above 0: the others cannot be learned."""
    return tuple(sorted({n for r in reviewed for n, v in r.evidence.items() if v and n != RISK}))


def _design(names: Sequence[str], evidence: Sequence[Mapping[str, float]]) -> Vector:
    """Rows [1, logit(risk) / Z, evidence...]: every column within [-1, 1], so one
    prior strength means the same for each weight."""
    x = np.zeros((len(evidence), 2 + len(names)))
    x[:, 0] = 1.0
    for i, e in enumerate(evidence):
        x[i, 1] = risk_logit(e.get(RISK, 0.0)) / Z
        for j, name in enumerate(names):
            x[i, 2 + j] = e.get(name, 0.0)
    return x


def _loss(x: Vector, y: Vector, theta: Vector, prior: Vector, strength: float) -> float:
    z = x @ theta
    data = float(np.sum(np.logaddexp(0.0, z) - y * z))
    return data + 0.5 * strength * float(np.sum((theta - prior) ** 2))


def _newton(x: Vector, y: Vector, prior: Vector, strength: float) -> Vector:
    """The penalised maximum by Newton's method with backtracking. The penalty makes the
    problem strictly convex, so there is one answer even when reviews separate perfectly."""
    theta = prior.copy()
    eye = np.eye(len(theta))
    loss = _loss(x, y, theta, prior, strength)
    for _ in range(100):
        p = 0.5 * (1.0 + np.tanh(0.5 * (x @ theta)))
        grad = x.T @ (p - y) + strength * (theta - prior)
        hess = (x.T * (p * (1.0 - p))) @ x + strength * eye
        step = np.linalg.solve(hess, grad).astype(np.float64, copy=False)
        t = 1.0
        while t > 1e-8:
            trial = (theta - t * step).astype(np.float64, copy=False)
            trial_loss = _loss(x, y, trial, prior, strength)
            if trial_loss <= loss:
                break
            t *= 0.5
        else:
            break  # no step lowers the loss: at the optimum to rounding
        theta, loss = trial, trial_loss
        if float(np.max(np.abs(t * step))) < 1e-10:
            break
    return theta
