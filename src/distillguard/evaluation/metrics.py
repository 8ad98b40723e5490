"""Account-level metrics of a detector's output (`accounts.jsonl`) against labels.

AUROC over scores; TPR at fixed benign FPRs; precision and recall of the `flagged`
decision; recall per strategy; requests served before the first flag; and, per
campaign, the share of member accounts flagged. Accounts that are labelled but
absent from the output count as score 0, not flagged, and are reported.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from sklearn.metrics import roc_auc_score, roc_curve

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
        auroc=float(roc_auc_score(y, s)) if both else float("nan"),
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
