"""`distillguard validate`: exit codes and messages a user can act on."""

from __future__ import annotations

from typing import Any

from responses_bodies import NATIVE
from typer.testing import CliRunner

from distillguard.cli.main import app

runner = CliRunner()


def test_valid_log_prints_counts(make_event: Any, write_lines: Any) -> None:
    path = write_lines([make_event(ts=1), make_event(ts=2, account="b"), make_event(ts=3)])
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"3 valid events from 2 accounts in {path}"


def test_a_log_of_native_responses_bodies_validates_and_analyzes(
    make_event: Any, write_lines: Any, tmp_path: Any
) -> None:
    path = write_lines([make_event(ts=1), {**NATIVE, "ts": 2}, make_event(ts=3)])
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"3 valid events from 2 accounts in {path}"
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "acct_1" in (out / "accounts.jsonl").read_text()


def test_strict_bad_line_exits_2_naming_file_line_and_field(
    make_event: Any, write_lines: Any
) -> None:
    bad = make_event(ts=2)
    bad["request"]["temperature"] = "hot"
    path = write_lines([make_event(ts=1), bad], name="log.jsonl.gz")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:2: field 'request.temperature' must be a number" in result.stderr
    assert "use --lenient to skip" in result.stderr
    assert result.stdout == ""


def test_strict_out_of_order_exits_2(make_event: Any, write_lines: Any) -> None:
    path = write_lines([make_event(ts=5), make_event(ts=4)])
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:2: field 'ts' goes back in time" in result.stderr


def test_lenient_prints_skipped_counts(make_event: Any, write_lines: Any) -> None:
    path = write_lines(
        [make_event(ts=1), "not json", "[]", make_event(ts=0), make_event(ts=2), "{}"]
    )
    result = runner.invoke(app, ["validate", "--lenient", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"2 valid events from 1 accounts in {path}"
    assert (
        f"skipped 4 bad lines of {path}: 1 not JSON, 1 not an object, 1 out of order, 1 missing ts"
        in result.stderr
    )


def test_missing_file_exits_2(tmp_path: Any) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "event log not found" in result.stderr
