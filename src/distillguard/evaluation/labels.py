"""The labels file of docs/events.md: one object per account, for evaluation only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from distillguard.errors import LabelFormatError
from distillguard.evaluation.records import json_objects


@dataclass(frozen=True, slots=True)
class Label:
    account: str
    extraction: bool
    campaign: str | None = None
    kind: str | None = None
    family: str | None = None  # the scenario family of a simulated account (and its twin's)


def read_labels(path: str | Path) -> dict[str, Label]:
    p = Path(path)
    labels: dict[str, Label] = {}
    for lineno, obj in json_objects(p, "labels file", LabelFormatError):
        if not isinstance(obj.get("account"), str):
            raise LabelFormatError(str(p), lineno, "field 'account' must be a string")
        label = obj.get("label")
        if label not in ("extraction", "benign"):
            raise LabelFormatError(
                str(p), lineno, f"field 'label' must be 'extraction' or 'benign', got {label!r}"
            )
        for name in ("campaign", "kind", "family"):
            if obj.get(name) is not None and not isinstance(obj[name], str):
                raise LabelFormatError(str(p), lineno, f"field '{name}' must be a string")
        if obj["account"] in labels:
            raise LabelFormatError(str(p), lineno, f"account {obj['account']!r} labelled twice")
        labels[obj["account"]] = Label(
            obj["account"],
            label == "extraction",
            obj.get("campaign"),
            obj.get("kind"),
            obj.get("family"),
        )
    return labels
