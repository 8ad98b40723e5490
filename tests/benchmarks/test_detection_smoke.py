"""The detection benchmark script still runs end to end (tiny sizes; not a measurement)."""

from __future__ import annotations

import json
from pathlib import Path

from scripts import run_benchmark


def test_detection_benchmark_smoke(tmp_path: Path) -> None:
    run = run_benchmark("detection/run.py", "--smoke", "--workers", "1", "--work", str(tmp_path))
    report = json.loads((tmp_path / "smoke" / "smoke.json").read_text())
    assert set(report["results"]) == {"full", "meanrank", "rate", "prada"}
    for result in report["results"].values():
        for test in result["tests"].values():
            assert 0.0 <= test["overall"]["auroc"] <= 1.0
            assert test["families"], "no family evaluated"
    assert "## Headline: leave-one-family-out AUROC" in run.stdout
    assert "| full |" in run.stdout
