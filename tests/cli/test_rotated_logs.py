"""`analyze DIR` and `validate DIR` read the folder of rotated logs that `serve` writes."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from distillguard.cli.main import app
from distillguard.pipeline.event_log import RotatingEventLog
from distillguard.sim import SimSummary

runner = CliRunner()


@pytest.fixture
def rotated(scenario: SimSummary, tmp_path: Path) -> Path:
    """The scenario's events as the gateway logs them: rotated past a tenth of the log's size,
    the oldest rotations gzipped afterwards as logrotate's `compress` leaves them."""
    folder = tmp_path / "distillguard-events"
    log = RotatingEventLog(folder, rotate_bytes=scenario.events_path.stat().st_size // 10)
    for line in scenario.events_path.read_bytes().splitlines():
        log.write_line(line)
    log.close()
    assert len(log.files) >= 8, "the test needs several rotations"
    for path in log.files[:3]:
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(path.read_bytes()))
        path.unlink()
    (folder / "notes.txt").write_text("not an event log\n")  # other files are left alone
    return folder


def test_analyze_reads_every_rotation_in_order(
    rotated: Path, scenario: SimSummary, analyzed: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(rotated), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"analyzed {scenario.events:,} events" in result.stdout
    # In order, the rotations are the one log: the results are those of the single file.
    for name in ("accounts.jsonl", "campaigns.jsonl"):
        assert (out / name).read_bytes() == (analyzed / name).read_bytes(), name


def test_validate_counts_every_rotation(rotated: Path, scenario: SimSummary) -> None:
    result = runner.invoke(app, ["validate", str(rotated)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{scenario.events} valid events from ")


def test_rotations_out_of_order_are_named(rotated: Path, tmp_path: Path) -> None:
    # A rotation whose events are older than the one before it breaks the single log.
    files = sorted(rotated.glob("events-*.jsonl"))
    older = files[-1].with_name(re.sub(r"-\d+\.jsonl$", "-99999.jsonl", files[-1].name))
    older.write_bytes(files[0].read_bytes())  # the newest rotation, holding old events
    result = runner.invoke(app, ["validate", str(rotated)])
    assert result.exit_code == 2
    assert f"{older}:1: field 'ts' goes back in time" in result.stderr


def test_a_folder_without_event_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "labels.jsonl").write_text("{}\n")
    result = runner.invoke(app, ["analyze", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "events*.jsonl or events*.jsonl.gz" in result.stderr
    assert str(tmp_path) in result.stderr
