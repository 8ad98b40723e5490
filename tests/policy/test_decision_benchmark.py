"""The enforcement decision benchmark runs (tiny sizes) and reports the hot-path figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[2] / "benchmarks" / "enforcement" / "decision"
RUN, REPLAY = HERE / "run.py", HERE / "replay.py"


def test_smoke_run_writes_results(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(RUN), "--smoke", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    hot = results["hot_path"]
    assert hot["decision"]["p50_us"] < hot["decision"]["p999_us"] + 1e-9
    assert hot["accounts"] == 2000 and sum(hot["accounts_by_level"].values()) == 2000
    assert results["replay"]["events"] > 0
    assert "| decision(account, tier) |" in (tmp_path / "RESULTS.md").read_text()


def test_smoke_replay_writes_every_run(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(REPLAY),
            "--smoke",
            "--work",
            str(tmp_path / "w"),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    runs = json.loads((tmp_path / "replay.json").read_text())["runs"]
    assert len(runs) == 4
    for run in runs.values():
        groups = run["groups"]
        assert groups["benign"]["requests"] + groups["extraction"]["requests"] == run["events"]
    assert "| holdout seed 4 |" in (tmp_path / "REPLAY.md").read_text()
