"""The reader benchmark runs end to end in its --smoke size (the full run is manual)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "reader" / "bench_reader.py"


def test_bench_reader_smoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("bench_reader", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_reader", bench)  # dataclasses look it up there
    spec.loader.exec_module(bench)
    text = bench.main(["--smoke", "--work", str(tmp_path), "--results", str(tmp_path / "r.md")])
    assert (tmp_path / "r.md").read_text() == text
    assert "| plain .jsonl | 100% |" in text and "| .jsonl.gz | 100% |" in text
