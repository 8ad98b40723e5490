"""The throughput benchmark still runs end to end (3,000 events; not a measurement)."""

from __future__ import annotations

from pathlib import Path

from scripts import run_benchmark


def test_throughput_benchmark_smoke(tmp_path: Path) -> None:
    results = tmp_path / "throughput.md"
    run_benchmark("detection/throughput.py", "--smoke", "--profile", "--results", str(results))
    text = results.read_text()
    assert "3,000 events from" in text
    for part in ("read + parse", "features (`extract`) alone", "full: read + parse"):
        assert part in text
    assert "`detect/text.py`" in text  # the per-file profile names distillguard's files
