"""The red-team search still runs end to end (tiny sizes; not a measurement)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_redteam_smoke(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "redteam" / "run.py"),
            "--smoke",
            "--work",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads((tmp_path / "smoke.json").read_text())
    assert len(report["tries"]) >= 4
    for t in report["tries"]:
        assert t["harvested_per_day"] > 0 and 0.0 <= t["score"] <= 1.0
    assert "# Red team" in run.stdout
