"""The second blind generator still writes valid, deterministic, labelled traffic (tiny)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scripts import ROOT, run_benchmark

from distillguard.events import EventReader

DATA = ROOT.parent / "shared" / "data"


@pytest.mark.skipif(not DATA.is_dir(), reason=f"public data sets absent ({DATA})")
@pytest.mark.parametrize("variant", ["base", "twins"])
def test_blind2_generator_is_valid_and_deterministic(tmp_path: Path, variant: str) -> None:
    args = ("--seed", "7", "--accounts", "40", "--days", "0.5", "--variant", variant)
    for name in ("a", "b"):
        out = str(tmp_path / name)
        run_benchmark("blind2/generate.py", "--out", out, *args, "--data", str(DATA))
    a, b = tmp_path / "a", tmp_path / "b"
    assert (a / "events.jsonl").read_bytes() == (b / "events.jsonl").read_bytes()
    labels = [json.loads(line) for line in (a / "labels.jsonl").read_text().splitlines()]
    assert {row["label"] for row in labels} == {"benign", "extraction"}
    accounts = {ev.account for ev in EventReader(a / "events.jsonl")}  # raises on a bad line
    assert accounts <= {row["account"] for row in labels} and len(accounts) > 20
