"""The scaled pipeline benchmark still runs end to end at a tiny load: two replicas, NATS
JetStream, two workers, PostgreSQL and Redis, each killed once; nothing lost or doubled."""

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


def test_scaled_smoke_loses_nothing_through_every_kill(tmp_path: Path) -> None:
    for binary in ("nats-server", "redis-server"):
        if shutil.which(binary) is None:
            _missing(binary, "the binary is not on PATH")
    try:
        import psycopg

        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3).close()
    except Exception as err:  # any failure to reach it means: no PostgreSQL here
        _missing("PostgreSQL", str(err).splitlines()[0])
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISTILLGUARD_")}
    script = ROOT / "benchmarks" / "pipeline" / "scaled.py"
    run = subprocess.run(
        [sys.executable, str(script), "--smoke", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    r = json.loads((tmp_path / "results-scaled.json").read_text())
    assert r["answered_200"] > 500 and r["lost"] == 0 and r["doubled"] == 0
    assert len(r["timeline"]) >= 10  # every kill and restart happened
    for part in r["partitions"].values():
        assert part["log_events"] > 0 and part["log_events"] == part["detector_events"]
        assert part["flags_identical"]
