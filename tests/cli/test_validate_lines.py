"""`distillguard validate` lists every bad line (file, line, field, problem), up to a cap."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from distillguard.cli.events_cmd import MAX_LISTED
from distillguard.cli.main import app

runner = CliRunner()
MakeEvent = Callable[..., dict[str, Any]]
WriteLines = Callable[..., Path]


def test_every_bad_line_is_listed_and_the_exit_is_2(
    make_event: MakeEvent, write_lines: WriteLines
) -> None:
    hot = make_event(ts=3)
    hot["request"]["temperature"] = "hot"
    lines = [make_event(ts=1), "not json", make_event(ts=2), hot, make_event(ts=0), "{}"]
    path = write_lines(lines, name="log.jsonl.gz")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    first, *rest = result.stderr.splitlines()
    assert first.startswith(f"{path}:2: not valid JSON (")  # orjson's words follow
    assert rest == [
        f"{path}:4: field 'request.temperature' must be a number, got str 'hot'",
        f"{path}:5: field 'ts' goes back in time (0.000 after 2.000)",
        f"{path}:6: field 'ts' is required and missing",
        f"{path}: 4 bad lines, 2 valid events from 1 accounts "
        "(see docs/events.md; use --lenient to skip bad lines)",
    ]


def test_past_the_cap_the_rest_are_counted(make_event: MakeEvent, write_lines: WriteLines) -> None:
    path = write_lines([make_event(ts=1)] + ["[]"] * (MAX_LISTED + 7))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    listed = [line for line in result.stderr.splitlines() if "must be a JSON object" in line]
    assert len(listed) == MAX_LISTED
    assert listed[-1].startswith(f"{path}:{MAX_LISTED + 1}: ")
    assert "... and 7 more" in result.stderr
    assert f"{MAX_LISTED + 7} bad lines, 1 valid events" in result.stderr


def test_lenient_counts_and_exits_0(make_event: MakeEvent, write_lines: WriteLines) -> None:
    path = write_lines([make_event(ts=1), "[]", "[]"])
    result = runner.invoke(app, ["validate", "--lenient", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"1 valid events from 1 accounts in {path}\n"
    assert f"skipped 2 bad lines of {path}: 2 not an object" in result.stderr


def test_a_folder_names_the_file_of_each_bad_line(
    make_event: MakeEvent, write_lines: WriteLines, tmp_path: Path
) -> None:
    write_lines([make_event(ts=1)], name="events-20260101T000000Z-7-0001.jsonl")
    second = write_lines([make_event(ts=2), "[]"], name="events-20260101T000000Z-7-0002.jsonl")
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == f"{second}:2: line must be a JSON object, got list"
    assert f"{tmp_path}: 1 bad line, 2 valid events from 1 accounts" in result.stderr
