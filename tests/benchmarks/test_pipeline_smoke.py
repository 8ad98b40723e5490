"""The kill -9 benchmark still runs end to end: a real `distillguard serve`, killed under load
and restarted, loses no acknowledged request and counts none twice (a run-through at a tiny
load, not the measurement)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_kill9_smoke_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISTILLGUARD_")}
    script = ROOT / "benchmarks" / "pipeline" / "kill9.py"
    run = subprocess.run(
        [sys.executable, str(script), "--smoke", "--sync", "fsync", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env=env,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (result,) = json.loads((tmp_path / "results-kill9.json").read_text())
    assert result["answered_200"] > 50 and result["kills"] == 1
    assert result["lost"] == 0 and result["doubled"] == 0
    assert result["detector_events"] == result["log_events_all"] == result["journal_records"]
    assert result["ledger_records"] == result["journal_records"] and result["ledger_verify"]
    assert result["gateway_errors"] == []
