"""`distillguard demo`: simulate, detect and evaluate end to end, on small sizes."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from distillguard.cli import demo_cmd
from distillguard.cli.main import app

runner = CliRunner()
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SMALL = ["demo", "--offline", "--accounts", "20", "--days", "1", "--seed", "1"]


def assert_reported(stdout: str) -> None:
    simulated = r"simulated [\d,]+ events from 20 accounts \(\d+ extracting\) over 1 day "
    assert re.search(simulated, stdout)
    assert re.search(r"detecting .* [\d,]+ events/s", stdout)
    found = re.search(r"20 accounts, (\d+) flagged, \d+ campaigns", stdout)
    assert found and int(found[1]) > 0, stdout
    assert re.search(r"acct_\w+ risk [01]\.\d\d\n    - ", stdout), "no flagged account with reasons"
    assert "detection, account level" in stdout
    assert "AUROC" in stdout
    assert "demo done in" in stdout


def test_demo_keeps_outputs_with_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_cmd, "DEFAULT_DATA", tmp_path / "no-data")
    out = tmp_path / "demo"
    result = runner.invoke(app, [*SMALL, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "data: built-in prompt generator and parametric rates" in result.stdout
    assert_reported(result.stdout)
    assert f"files in {out}" in result.stdout
    files = {p.name for p in out.iterdir()}
    assert files == {
        "events.jsonl",
        "labels.jsonl",
        "accounts.jsonl",
        "campaigns.jsonl",
        "evaluation.json",
    }
    assert orjson.loads((out / "evaluation.json").read_bytes())["accounts"] == 20


def test_demo_removes_its_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    data = DATA if (DATA / "MANIFEST.tsv").is_file() else tmp_path / "no-data"
    monkeypatch.setattr(demo_cmd, "DEFAULT_DATA", data)
    result = runner.invoke(app, SMALL)
    assert result.exit_code == 0, result.output
    if data == DATA:
        assert f"data: public data sets in {DATA}" in result.stdout
    assert_reported(result.stdout)
    assert "temporary files removed" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_demo_bad_option_exits_2() -> None:
    result = runner.invoke(app, ["demo", "--days", "0"])
    assert result.exit_code == 2
    assert "simulate: days=0 is not allowed; give 1 to 14" in result.stderr
