"""The independent generator still writes valid, deterministic, labelled traffic (tiny)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scripts import ROOT, run_benchmark

from distillguard.events import EventReader

DATA = ROOT.parent / "shared" / "data"


@pytest.mark.skipif(not DATA.is_dir(), reason=f"public data sets absent ({DATA})")
def test_independent_generator_is_valid_and_deterministic(tmp_path: Path) -> None:
    args = ("--seed", "5", "--accounts", "30", "--days", "0.3", "--data", str(DATA))
    for name in ("a", "b"):
        run_benchmark("independent/generate.py", "--out", str(tmp_path / name), *args)
    a, b = tmp_path / "a", tmp_path / "b"
    assert (a / "events.jsonl").read_bytes() == (b / "events.jsonl").read_bytes()
    labels = [json.loads(line) for line in (a / "labels.jsonl").read_text().splitlines()]
    assert {row["label"] for row in labels} == {"benign", "extraction"}
    assert any(row["campaign"] for row in labels)
    accounts = {ev.account for ev in EventReader(a / "events.jsonl")}  # raises on a bad line
    assert accounts <= {row["account"] for row in labels} and len(accounts) > 20
