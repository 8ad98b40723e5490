"""The scaled pipeline benchmark (benchmarks/pipeline/run.py) still runs end to end at a tiny
load: two replicas, NATS JetStream, two workers, PostgreSQL and Redis, each killed once;
nothing lost or doubled."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _missing(what: str, why: str) -> None:
    # tests/conftest.py's `service_missing`, restated: a conftest is not importable from here.
    if os.environ.get("DISTILLGUARD_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is required (DISTILLGUARD_REQUIRE_SERVICES=1) but {why}")
    pytest.skip(f"{what} not available ({why}); set DISTILLGUARD_REQUIRE_SERVICES=1 to fail")


def test_run_smoke_issue_12_target(tmp_path: Path) -> None:
    """benchmarks/pipeline/run.py (issue 12's scaled target) at a tiny load: nothing lost or
    doubled through every kill, no 5xx but the documented 503, each partition's detector
    count equal to its log, and each worker's flags those of `distillguard analyze`."""
    for binary in ("nats-server", "redis-server"):
        if shutil.which(binary) is None:
            _missing(binary, "the binary is not on PATH")
    admin = os.environ.get(
        "DISTILLGUARD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    try:
        import psycopg

        psycopg.connect(admin, connect_timeout=3).close()
    except Exception as err:  # any failure to reach it means: no PostgreSQL here
        _missing("PostgreSQL", f"{admin}: {str(err).strip().splitlines()[0]}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISTILLGUARD_")}
    if "DISTILLGUARD_TEST_POSTGRES" in os.environ:
        env["DISTILLGUARD_TEST_POSTGRES"] = admin
    script = ROOT / "benchmarks" / "pipeline" / "run.py"
    run = subprocess.run(
        [sys.executable, str(script), "--smoke", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env=env,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    r = json.loads((tmp_path / "results.json").read_text())
    assert r["answered_200"] > 500
    assert r["lost"] == 0 and r["doubled"] == 0 and r["misrouted"] == 0
    assert r["other_5xx"] == 0, r["non_200"]
    assert [a["kind"] for a in r["actions"]].count("kill") == 4  # every kill happened
    flagged = 0
    for part in r["partitions"].values():
        assert part["log_events"] > 0 and part["log_events"] == part["detector_events"]
        assert part["flags_identical"], (part["flagged_worker"], part["flagged_analyze"])
        flagged += len(part["flagged_worker"])
    assert flagged > 0, "no account flagged: the flags comparison would be of empty sets"
