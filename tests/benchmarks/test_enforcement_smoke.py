"""The enforcement benchmark still runs end to end through a gateway (tiny; not a measurement)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "enforcement"


def test_enforcement_benchmark_smoke() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    r = json.loads((BENCH / "results-smoke-unverified.json").read_text())
    counted = sum(r["extraction_requests"].values()) + sum(r["benign_requests"].values())
    # Every replayed request answered (no status 0: no answer) and recorded once.
    assert "0" not in r["replay"]["statuses"], r["replay"]["statuses"]
    assert counted == r["scenario"]["requests"], r["replay"]["statuses"]
    assert r["benign_degraded_share"] == 0.0
    assert 0.0 <= r["leakage_median"] <= 1.0 and r["decision_us"]["p99"] > 0
