"""Account-level metrics of a detector's output (`accounts.jsonl`) against labels.

AUROC over scores; TPR at fixed benign FPRs; precision and recall of the `flagged`
decision; recall per strategy; requests served before the first flag; and, per
campaign, the share of member accounts flagged. Accounts that are labelled but
absent from the output count as score 0, not flagged, and are reported.

`roc_auc` and `roc_curve` are small numpy versions of scikit-learn's: importing
scikit-learn (and the scipy it pulls in) took most of a second of every CLI start.
They give scikit-learn's numbers: `roc_curve` follows its algorithm step for step
(drop_intermediate included, which decides what `tpr_at` can reach), and `roc_auc`
is the Mann-Whitney statistic, the exact value of the trapezoid area that
scikit-learn sums.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from distillguard.errors import ResultFormatError
from distillguard.evaluation.labels import Label
from distillguard.evaluation.records import json_objects

FPR_POINTS = (0.001, 0.005, 0.01)


@dataclass(frozen=True, slots=True)
class Evaluation:
    accounts: int
    extraction_accounts: int
    missing_from_output: int
    auroc: float
    tpr_at_fpr: dict[str, float]
    precision: float
    recall: float
    benign_flagged: int
    benign_fpr: float
    recall_by_kind: dict[str, float]
    benign_flagged_by_kind: dict[str, int]
    median_requests_before_flag: float | None
    median_requests_before_flag_by_kind: dict[str, float | None]
    campaign_flagged: dict[str, float]

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2)


def read_scores(scores_dir: str | Path) -> dict[str, dict[str, Any]]:
    path = Path(scores_dir) / "accounts.jsonl"
    out: dict[str, dict[str, Any]] = {}
    for lineno, obj in json_objects(path, "detector output (accounts.jsonl)", ResultFormatError):
        if not isinstance(obj.get("account"), str) or not isinstance(obj.get("score"), int | float):
            raise ResultFormatError(str(path), lineno, "needs 'account' and a numeric 'score'")
        out[obj["account"]] = obj
    return out


class OneClassError(ValueError):
    """ROC needs both classes: with one, a rate's denominator is zero."""


def _binary(y: npt.ArrayLike, s: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Labels as booleans (1 or True is extraction) and scores as floats, checked."""
    labels = np.asarray(y).ravel()
    scores = np.asarray(s, dtype=np.float64).ravel()
    if labels.shape != scores.shape:
        raise ValueError(f"{labels.size} labels but {scores.size} scores")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("labels must be 0/1 or booleans")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite")
    pos = labels == 1
    if pos.all() or not pos.any():
        raise OneClassError("ROC is undefined unless both classes are present")
    return pos, scores


def roc_curve(y: npt.ArrayLike, s: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fpr, tpr, thresholds) as `sklearn.metrics.roc_curve(y, s)` returns them.

    One point per distinct score, highest first, after a leading (0, 0) at threshold
    inf; points collinear with both neighbours are dropped, as scikit-learn does by
    default. Raises OneClassError when a class is missing (scikit-learn warns and
    returns NaN rates instead).
    """
    pos, scores = _binary(y, s)
    order = np.argsort(scores, kind="stable")[::-1]
    ranked = scores[order]
    # Index of the last sample of each run of equal scores: one threshold per run.
    last = np.r_[np.flatnonzero(np.diff(ranked)), ranked.size - 1]
    tps = np.cumsum(pos[order], dtype=np.float64)[last]
    fps = 1 + last.astype(np.float64) - tps
    thresholds = ranked[last]
    if fps.size > 2:
        # A zero second difference in both counts marks a point on a straight segment.
        corner = np.logical_or(np.diff(fps, 2), np.diff(tps, 2))
        keep = np.flatnonzero(np.r_[True, corner, True])
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    fps = np.r_[0.0, fps]
    tps = np.r_[0.0, tps]
    thresholds = np.r_[np.inf, thresholds]
    return fps / fps[-1], tps / tps[-1], thresholds


def roc_auc(y: npt.ArrayLike, s: npt.ArrayLike) -> float:
    """Area under the ROC curve: the share of (positive, negative) pairs the positive
    outscores, ties counting half (Mann-Whitney U over n1 * n0).

    Computed with average ranks in integers (twice a tie group's average rank is a whole
    number), so the one rounding is the final division. Raises OneClassError when a class
    is missing.
    """
    pos, scores = _binary(y, s)
    order = np.argsort(scores, kind="stable")
    ranked = scores[order]
    starts = np.r_[0, np.flatnonzero(np.diff(ranked)) + 1]
    ends = np.r_[starts[1:], ranked.size]
    # Samples starts..ends-1 hold 1-based ranks starts+1..ends: twice their mean is this.
    twice_rank = (starts + ends + 1).astype(np.int64)
    pos_in_group = np.add.reduceat(pos[order].astype(np.int64), starts)
    twice_rank_sum = int(np.dot(twice_rank, pos_in_group))
    n1 = int(pos.sum())
    n0 = pos.size - n1
    twice_u = twice_rank_sum - n1 * (n1 + 1)
    return twice_u / (2 * n1 * n0)


def tpr_at(y: np.ndarray, s: np.ndarray, fpr_target: float) -> float:
    """Highest TPR reachable by a score threshold whose benign FPR is at most the target."""
    fpr, tpr, _ = roc_curve(y, s)
    ok = fpr <= fpr_target + 1e-12
    return float(tpr[ok].max()) if ok.any() else 0.0


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def evaluate(scores: dict[str, dict[str, Any]], labels: dict[str, Label]) -> Evaluation:
    names = sorted(labels)
    y = np.array([labels[a].extraction for a in names], dtype=int)
    s = np.array([float(scores.get(a, {}).get("score", 0.0)) for a in names])
    flagged = {a for a in names if scores.get(a, {}).get("flagged")}
    pos = {a for a in names if labels[a].extraction}
    neg = set(names) - pos
    by_kind: dict[str, list[str]] = defaultdict(list)
    for a in names:
        by_kind[labels[a].kind or ("extraction" if labels[a].extraction else "benign")].append(a)
    waits: dict[str, list[int]] = defaultdict(list)
    for a in pos & flagged:
        idx = scores[a].get("first_flag_index")
        if idx is not None:
            waits[labels[a].kind or "extraction"].append(int(idx))
    single = [
        int(scores[a]["first_flag_index"])
        for a in pos & flagged
        if labels[a].campaign is None and scores[a].get("first_flag_index") is not None
    ]
    campaigns: dict[str, list[str]] = defaultdict(list)
    for a in pos:
        campaign = labels[a].campaign
        if campaign:
            campaigns[campaign].append(a)
    both = len(set(y)) == 2
    return Evaluation(
        accounts=len(names),
        extraction_accounts=len(pos),
        missing_from_output=sum(1 for a in names if a not in scores),
        auroc=roc_auc(y, s) if both else float("nan"),
        tpr_at_fpr={f"{p:.3%}": tpr_at(y, s, p) if both else float("nan") for p in FPR_POINTS},
        precision=len(pos & flagged) / len(flagged) if flagged else 0.0,
        recall=len(pos & flagged) / len(pos) if pos else 0.0,
        benign_flagged=len(neg & flagged),
        benign_fpr=len(neg & flagged) / len(neg) if neg else 0.0,
        recall_by_kind={
            k: sum(a in flagged for a in v) / len(v)
            for k, v in sorted(by_kind.items())
            if labels[v[0]].extraction
        },
        benign_flagged_by_kind={
            k: sum(a in flagged for a in v)
            for k, v in sorted(by_kind.items())
            if not labels[v[0]].extraction
        },
        median_requests_before_flag=_median(single),
        median_requests_before_flag_by_kind={k: _median(v) for k, v in sorted(waits.items())},
        campaign_flagged={
            c: sum(a in flagged for a in m) / len(m) for c, m in sorted(campaigns.items())
        },
    )
