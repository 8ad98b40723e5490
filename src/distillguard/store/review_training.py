"""The review model's training data: reviewers' labels from the store, evidence from results.

    rows = read_results(Path("out"))       # accounts.jsonl that `distillguard analyze` wrote
    trained = fit_from_store(store, rows, base_threshold=0.35)
    trained.model.explain()                # what the reviews changed
    trained.training.missing               # reviewed accounts with no row in the results

A confirmed case labels its members extraction and a dismissed one benign (store/cases.py);
only those labels are trained on. Each reviewed account's evidence is its row's detector
outputs (`evidence_of`). The model itself is `detect.review`: pure, no store, no files.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from distillguard.detect.review import RISK, FitConfig, Reviewed, ReviewModel, fit
from distillguard.errors import (
    EvidenceValueError,
    InputNotFoundError,
    ResultFormatError,
    ReviewModelError,
)
from distillguard.store.protocol import Store

LABELS = {"extraction": True, "benign": False}  # review_labels values -> extraction?
RESULTS_FILE = "accounts.jsonl"


def results_path(path: Path) -> Path | None:
    """The accounts.jsonl that `path` names (the file, or the folder holding it), else None."""
    if path.is_dir() and (path / RESULTS_FILE).is_file():
        return path / RESULTS_FILE
    if path.is_file() and path.name == RESULTS_FILE:
        return path
    return None


def read_results(path: Path) -> dict[str, dict[str, Any]]:
    """The rows of accounts.jsonl by account; `path` is the file or the folder holding it."""
    file = results_path(path)
    if file is None:
        raise InputNotFoundError(str(path / RESULTS_FILE if path.is_dir() else path), RESULTS_FILE)
    rows: dict[str, dict[str, Any]] = {}
    with file.open("rb") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError as err:
                raise ResultFormatError(str(file), lineno, f"not valid JSON ({err})") from None
            if not (isinstance(row, dict) and isinstance(row.get("account"), str)):
                raise ResultFormatError(str(file), lineno, "needs an 'account' string")
            score = row.get("score")
            if not isinstance(score, int | float) or isinstance(score, bool):
                raise ResultFormatError(str(file), lineno, "needs a numeric 'score'")
            rows[row["account"]] = row
    return rows


def evidence_of(row: Mapping[str, Any]) -> dict[str, float]:
    """A result row's detector outputs by name, with the row's `score` as `RISK`.

    The row's `evidence` is {name: value} or [[name, value], ...] (a tuple of pairs as
    `dataclasses.asdict` writes it). Rows written before that field existed have the score
    alone, and so does the model trained on them: it can then only move the threshold.
    """
    account = str(row.get("account", ""))
    raw = row.get("evidence") or {}
    if isinstance(raw, Mapping):
        pairs = list(raw.items())
    elif isinstance(raw, list) and all(isinstance(p, list | tuple) and len(p) == 2 for p in raw):
        pairs = [(p[0], p[1]) for p in raw]
    else:
        raise EvidenceValueError(account, "evidence", raw)
    out: dict[str, float] = {}
    for name, value in [*pairs, (RISK, row.get("score"))]:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not (isinstance(name, str) and number and math.isfinite(value)):
            raise EvidenceValueError(account, str(name), value)
        # The row's own score is the risk even if the evidence carries one of that name.
        out[name] = float(value)
    return out


@dataclass(frozen=True, slots=True)
class Training:
    reviewed: tuple[Reviewed, ...]
    missing: tuple[str, ...]  # reviewed accounts with no row in the results (not trained on)


@dataclass(frozen=True, slots=True)
class Trained:
    model: ReviewModel
    training: Training


def training_set(labels: Mapping[str, str], rows: Mapping[str, Mapping[str, Any]]) -> Training:
    """Reviewed accounts that have a result row, in account order; the others listed apart."""
    reviewed: list[Reviewed] = []
    missing: list[str] = []
    for account in sorted(labels):
        label = labels[account]
        if label not in LABELS:
            raise ReviewModelError(
                f"account {account!r} has review label {label!r}",
                f"labels are {' or '.join(LABELS)}; re-decide its case",
            )
        row = rows.get(account)
        if row is None:
            missing.append(account)
            continue
        reviewed.append(Reviewed(account, evidence_of(row), LABELS[label]))
    return Training(tuple(reviewed), tuple(missing))


def fit_from_store(
    store: Store,
    rows: Mapping[str, Mapping[str, Any]],
    base_threshold: float,
    config: FitConfig | None = None,
) -> Trained:
    """Fit the review model on every reviewed account of `store` that `rows` has."""
    training = training_set(store.review_labels(), rows)
    return Trained(fit(training.reviewed, base_threshold, config), training)
