"""EventWriter: what it writes reads back as the same events, unknown fields included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from distillguard.events import EventReader, EventWriter, format_ts, parse_ts, read_events


@pytest.mark.parametrize("name", ["out.jsonl", "out.jsonl.gz"])
def test_round_trip_keeps_events_and_raw_fields(
    name: str, tmp_path: Path, make_event: Any, write_lines: Any
) -> None:
    source = [make_event(ts=t, account=f"a{t % 3}", vendor={"trace": t}) for t in range(20)]
    source[4]["request"]["frequency_penalty"] = 0.25
    events = list(read_events(write_lines(source)))
    with EventWriter(tmp_path / "nested" / name) as writer:
        for event in events:
            writer.write(event)
    assert writer.written == 20
    again = list(EventReader(tmp_path / "nested" / name))
    assert again == events
    assert [dict(e.raw) for e in again] == source


def test_writes_plain_dicts_and_gz_is_compressed(tmp_path: Path, make_event: Any) -> None:
    path = tmp_path / "out.jsonl.gz"
    with EventWriter(path) as writer:
        writer.write(make_event(ts=1))
        writer.write_line(b'{"ts": 2, "account": "b", "request": {"messages": []}}')
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert [(e.ts, e.account) for e in read_events(path)] == [(1, "acct_7f3a"), (2, "b")]


@pytest.mark.parametrize(
    ("ts", "text"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (1795719600.123, "2026-11-26T19:00:00.123Z"),
        (1795719600.9999, "2026-11-26T19:00:00.999Z"),  # truncated, never rounded up
    ],
)
def test_format_ts_is_rfc3339_with_milliseconds(ts: float, text: str) -> None:
    assert format_ts(ts) == text
    assert parse_ts(text) <= ts  # so a sorted file stays sorted once formatted
