"""The gateway benchmark still runs end to end (tiny loads; a run-through, not a measurement).

It starts the mock upstreams, `distillguard serve` and the load generator as processes, so it
also checks that every process is stopped and that no answered request is missing from the
gateway's event log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_gateway_benchmark_smoke(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISTILLGUARD_")}
    script = ROOT / "benchmarks" / "gateway" / "run.py"
    run = subprocess.run(
        [sys.executable, str(script), "--smoke", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=env,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    report = json.loads((tmp_path / "results.json").read_text())

    added = report["latency"]["added_ms"]
    assert set(added) >= {"p50", "p99"}
    assert report["latency"]["gateway"]["ok"] > 0
    assert report["streaming"]["gateway"]["ttfc_ms"]["n"] > 0
    assert set(report["streaming"]["added_ttfc_ms"]) >= {"p50", "p99"}
    assert report["throughput"]["gateway"]["rps"] > 0
    assert report["upstream_client"]["default"] in ("httpx", "aiohttp")
    assert report["load_average_start"] and report["machine"]["cores"]

    soak = report["soak"]
    assert soak["answered_total"] > 0
    assert soak["events"] == soak["answered_total"]
    assert soak["events_ok"] == soak["ok_total"]
    assert soak["events_dropped_metric"] == 0
    assert soak["nothing_lost"] is True

    assert "## Headline" in (tmp_path / "RESULTS.md").read_text()
    assert "Traceback" not in run.stderr
    # Every process it started has stopped (their command lines name files under tmp_path).
    assert [cmd for cmd in _command_lines() if str(tmp_path) in cmd] == []


def _command_lines() -> list[str]:
    lines = []
    for proc in Path("/proc").iterdir():
        try:
            lines.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, UnicodeDecodeError):
            continue  # not a process, or one that ended meanwhile
    return lines
