"""convert_file and `distillguard convert`: whole logs become sorted, valid event logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from distillguard.cli.main import app
from distillguard.errors import ConvertError
from distillguard.events import EventReader
from distillguard.events.convert_file import convert_file


def _rows(samples: Any) -> list[Any]:
    """Five rows out of time order, one of them an image call (skipped and counted)."""
    return [
        samples.litellm_row(request_id="r3", startTime="2026-11-26T19:00:03Z", endTime=None),
        samples.litellm_row(request_id="r1", startTime="2026-11-26T19:00:01Z", endTime=None),
        samples.litellm_row(request_id="img", call_type="aimage_generation"),
        samples.litellm_row(request_id="r2", startTime="2026-11-26T19:00:02Z", endTime=None),
        samples.litellm_row(request_id="r1b", startTime="2026-11-26T19:00:01Z", endTime=None),
    ]


@pytest.mark.parametrize("out_name", ["events.jsonl", "events.jsonl.gz"])
def test_convert_file_sorts_and_passes_strict_reader(
    out_name: str, tmp_path: Path, write_lines: Any, samples: Any
) -> None:
    src = write_lines(_rows(samples), name="spend_logs.jsonl")
    report = convert_file("litellm", src, tmp_path / out_name)
    events = list(EventReader(tmp_path / out_name))
    assert [e.raw["source"]["request_id"] for e in events] == ["r1", "r1b", "r2", "r3"]
    assert (report.records, report.written) == (5, 4)
    assert report.skipped == {"unsupported call_type aimage_generation": 1}


def test_convert_file_spills_to_disk_and_stays_sorted(
    tmp_path: Path, write_lines: Any, samples: Any
) -> None:
    rows = [
        samples.litellm_row(
            request_id=f"r{i}", startTime=(i * 7919) % 1000 + 1795719600, endTime=None
        )
        for i in range(200)
    ]
    src = write_lines(rows, name="spend_logs.jsonl.gz")
    out = tmp_path / "events.jsonl"
    convert_file("litellm", src, out, memory_bytes=20_000)  # a few rows per run
    ts = [e.ts for e in EventReader(out)]
    assert ts == sorted(ts) and len(ts) == 200


def test_convert_file_reads_a_json_array(tmp_path: Path, samples: Any) -> None:
    src = tmp_path / "spend_logs.json"
    src.write_bytes(orjson.dumps(_rows(samples), option=orjson.OPT_INDENT_2))
    report = convert_file("litellm", src, tmp_path / "out.jsonl")
    assert report.written == 4


def test_convert_file_strict_error_names_file_line_field_and_leaves_no_output(
    tmp_path: Path, write_lines: Any, samples: Any
) -> None:
    rows: list[Any] = _rows(samples)
    rows.insert(2, "")  # blank lines count in line numbers
    rows.insert(3, samples.litellm_row(startTime="soon"))
    src = write_lines(rows, name="spend_logs.jsonl")
    out = tmp_path / "events.jsonl"
    with pytest.raises(ConvertError) as info:
        convert_file("litellm", src, out)
    assert (info.value.path, info.value.line) == (str(src), 4)
    assert str(info.value) == (
        f"{src}:4: field 'startTime': 'soon' is not an ISO 8601 timestamp;"
        " use --lenient to skip bad records"
    )
    assert list(tmp_path.glob("events*")) == []


def test_convert_file_lenient_counts_reasons(
    tmp_path: Path, write_lines: Any, samples: Any
) -> None:
    rows = [
        *_rows(samples),
        "{oops",
        "[1]",
        samples.litellm_row(startTime=None),
        {"call_type": "acompletion"},
    ]
    report = convert_file("litellm", write_lines(rows), tmp_path / "o.jsonl", lenient=True)
    assert report.written == 4
    assert report.skipped == {
        "unsupported call_type aimage_generation": 1,
        "not JSON": 1,
        "not an object": 1,
        "bad startTime": 1,
        "missing startTime": 1,
    }


def test_converted_event_that_fails_the_schema_is_reported(
    tmp_path: Path, write_lines: Any, samples: Any
) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": 5}]}
    src = write_lines([samples.litellm_row(proxy_server_request=body)])
    with pytest.raises(
        ConvertError, match=r":1: field 'request.messages\[0\].content'.*converted event"
    ):
        convert_file("litellm", src, tmp_path / "o.jsonl")


# ---- command line ----------------------------------------------------------------------

runner = CliRunner()


def test_cli_convert_openai_dump(tmp_path: Path, write_lines: Any, samples: Any) -> None:
    src = write_lines(
        [
            samples.openai_dump(headers={}),
            samples.openai_dump(timestamp=1795719601, headers={}),
            samples.openai_dump(url="/v1/audio/speech"),
        ],
        name="dump.jsonl",
    )
    out = tmp_path / "events.jsonl.gz"
    args = [
        "convert",
        "--from",
        "openai-dump",
        str(src),
        "--out",
        str(out),
        "--account",
        "acct_cli",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"wrote 2 events from 3 records to {out}"
    assert (
        "skipped 1 records" in result.stderr and "unsupported url /v1/audio/speech" in result.stderr
    )
    assert [e.account for e in EventReader(out)] == ["acct_cli", "acct_cli"]
    validated = runner.invoke(app, ["validate", str(out)])
    assert validated.exit_code == 0


def test_cli_convert_strict_error_exits_2(tmp_path: Path, write_lines: Any, samples: Any) -> None:
    src = write_lines([samples.openai_dump(), samples.openai_dump(headers={})], name="dump.jsonl")
    args = ["convert", "--from", "openai-dump", str(src), "--out", str(tmp_path / "o.jsonl")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert f"{src}:2: field 'headers': no account" in result.stderr
    lenient = runner.invoke(app, [*args, "--lenient"])
    assert lenient.exit_code == 0
    assert "skipped 1 records" in lenient.stderr and "1 bad headers" in lenient.stderr


def test_cli_convert_rejects_unknown_source(tmp_path: Path) -> None:
    result = runner.invoke(app, ["convert", "--from", "splunk", "x", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
