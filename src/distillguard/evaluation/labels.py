"""The labels file of spec/events.md: one object per account, for evaluation only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson

from distillguard.errors import InputNotFoundError, LabelFormatError


@dataclass(frozen=True, slots=True)
class Label:
    account: str
    extraction: bool
    campaign: str | None = None
    kind: str | None = None


def read_labels(path: str | Path) -> dict[str, Label]:
    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError(str(p), "labels file")
    labels: dict[str, Label] = {}
    with p.open("rb") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as err:
                raise LabelFormatError(str(p), lineno, f"not valid JSON ({err})") from None
            if not isinstance(obj, dict) or not isinstance(obj.get("account"), str):
                raise LabelFormatError(str(p), lineno, "field 'account' must be a string")
            label = obj.get("label")
            if label not in ("extraction", "benign"):
                raise LabelFormatError(
                    str(p), lineno, f"field 'label' must be 'extraction' or 'benign', got {label!r}"
                )
            for name in ("campaign", "kind"):
                if obj.get(name) is not None and not isinstance(obj[name], str):
                    raise LabelFormatError(str(p), lineno, f"field '{name}' must be a string")
            if obj["account"] in labels:
                raise LabelFormatError(str(p), lineno, f"account {obj['account']!r} labelled twice")
            labels[obj["account"]] = Label(
                obj["account"], label == "extraction", obj.get("campaign"), obj.get("kind")
            )
    return labels
