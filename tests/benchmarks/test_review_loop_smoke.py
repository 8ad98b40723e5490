"""The review-loop benchmark still runs end to end on its synthetic rows (not a measurement)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_review_loop_benchmark_smoke(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "review_loop" / "run.py"), "--smoke",
         "--work", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads((tmp_path / "smoke" / "results.json").read_text())
    cells = {(c["evidence"], c["error_rate"], c["second_look"], c["target"]): c
             for c in report["cells"] if c["prior_strength"] == 2.0}  # fmt: skip
    clean = cells[("field", 0.0, False, 0.01)]
    # The synthetic detector flags half the benign accounts; reviews bring that down.
    assert report["baseline"]["synthetic"]["score_fpr"] > 0.3
    assert clean["curve"][-1]["fpr"] <= 0.03
    assert all(hit is not None for hit in clean["reached"])
    assert "| synthetic | field | 0% | 1.0% |" in (tmp_path / "smoke" / "RESULTS.md").read_text()
