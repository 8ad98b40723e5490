"""The red-team search still runs end to end (tiny sizes; not a measurement)."""

from __future__ import annotations

import json
from pathlib import Path

from scripts import run_benchmark


def test_redteam_smoke(tmp_path: Path) -> None:
    run = run_benchmark("redteam/run.py", "--smoke", "--work", str(tmp_path))
    report = json.loads((tmp_path / "smoke.json").read_text())
    assert len(report["tries"]) >= 4
    for t in report["tries"]:
        assert t["harvested_per_day"] > 0 and 0.0 <= t["score"] <= 1.0
    assert "# Red team" in run.stdout
