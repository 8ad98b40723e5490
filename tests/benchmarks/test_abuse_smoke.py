"""The abuse benchmark's smoke run: every class of hostile input tried, no 5xx, RSS bounded."""

from __future__ import annotations

import json
from pathlib import Path

from scripts import run_benchmark


def test_abuse_smoke_gets_no_5xx_and_bounded_memory(tmp_path: Path) -> None:
    run = run_benchmark("abuse/run.py", "--smoke", "--work", str(tmp_path))
    summary = json.loads(run.stdout)
    assert summary["total_5xx"] == 0
    classes = summary["classes"]
    assert classes["big_bodies"]["answers"] == {"HTTP/1.1 413 Request Entity Too Large": 4}
    assert classes["big_bodies"]["rss_growth_mb"] < 100
    assert set(classes["big_headers"]["statuses"]) == {"431"}
    assert classes["hostile_json"]["tries"] > 100
    assert set(classes["hostile_json"]["statuses"]) <= {"200", "400", "404"}
    assert classes["wrong_secrets"]["then_another_keys_valid_secret"] == 200
    assert classes["still_serves"] == 200
