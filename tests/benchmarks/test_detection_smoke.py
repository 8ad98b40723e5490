"""The detection benchmark script still runs end to end (tiny sizes; not a measurement)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_detection_benchmark_smoke(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "detection" / "run.py"),
            "--smoke",
            "--workers",
            "1",
            "--work",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads((tmp_path / "smoke" / "smoke.json").read_text())
    assert set(report["results"]) == {"full", "meanrank", "rate", "prada"}
    for result in report["results"].values():
        for test in result["tests"].values():
            assert 0.0 <= test["overall"]["auroc"] <= 1.0
            assert test["families"], "no family evaluated"
    assert "## Headline: leave-one-family-out AUROC" in run.stdout
    assert "| full |" in run.stdout
