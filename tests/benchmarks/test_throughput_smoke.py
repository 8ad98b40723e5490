"""The throughput benchmark still runs end to end (3,000 events; not a measurement)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_throughput_benchmark_smoke(tmp_path: Path) -> None:
    results = tmp_path / "throughput.md"
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "detection" / "throughput.py"),
            "--smoke",
            "--profile",
            "--results",
            str(results),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    text = results.read_text()
    assert "3,000 events from" in text
    for part in ("read + parse", "features (`extract`) alone", "full: read + parse"):
        assert part in text
    assert "`detect/text.py`" in text  # the per-file profile names distillguard's files
