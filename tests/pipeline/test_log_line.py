"""Event log lines cut from journal records: the same bytes a serialisation would give, or,
for a record not in the gateway's shape, a serialisation after all; never another meaning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distillguard.events import FieldError, format_ts, parse_ts
from distillguard.events.fields import MAX_TS, MIN_TS
from distillguard.pipeline.follower import Follower
from distillguard.pipeline.log_line import TsHead, body, ts_text
from distillguard.pipeline.worker import WorkerCounters
from distillguard.settings import EventSettings

_EDGES = [
    0.0,
    -0.0005,
    -1.5,
    1_800_000_000.0,
    1_800_000_000.9995,
    1_800_000_000.9999995,  # rounds up to the next second
    1_800_000_000.0000005,
    1_764_000_000.123,
    86_399.999_999_5,
    MIN_TS,
    MAX_TS,
]


def _check_ts(fmt: TsHead, ts: float) -> None:
    head, read = fmt(ts)
    text = ts_text(head)
    assert text == format_ts(ts) and head == orjson.dumps({"ts": text})[:-1]
    try:
        expected: float | None = parse_ts(text)
    except FieldError:  # years before 1000, which strftime writes short
        expected = None
    assert read == expected


@pytest.mark.parametrize("ts", _EDGES)
def test_ts_format_is_format_ts_at_the_edges(ts: float) -> None:
    _check_ts(TsHead(), ts)
    fmt = TsHead()
    fmt(ts - 1.0 if ts - 1.0 >= MIN_TS else ts + 1.0)  # a second cached before
    _check_ts(fmt, ts)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.floats(min_value=MIN_TS, max_value=MAX_TS), min_size=1, max_size=20))
def test_ts_format_is_format_ts(times: list[float]) -> None:
    fmt = TsHead()
    for ts in times:
        _check_ts(fmt, ts)
        _check_ts(fmt, ts + 0.000_3 if ts + 1 < MAX_TS else ts)  # nearby: the cached second


def _gateway_event(ts: float, text: str, extra: dict[str, Any]) -> dict[str, Any]:
    """Shaped as gateway/calls.py's `event_of` and recorder.py's `submit` write it."""
    return {
        "ts": ts,
        "account": "acct_1",
        "key": "key_1",
        "endpoint": "chat.completions",
        "request": {"model": "m", "messages": [{"role": "user", "content": text}]},
        "status": 200,
        "latency_ms": 12.5,
        **extra,
        "response": {"choices": [{"message": {"role": "assistant", "content": text[::-1]}}]},
        "_meta": {"tier": "open", "attrs": {"verification": "none", "org_type": "unknown"}},
        "_id": "boot-17",
    }


def _reserialised(event: dict[str, Any], ts: float) -> bytes:
    """The log line as the worker wrote it before: the parsed record, serialised again."""
    out = {k: v for k, v in event.items() if not k.startswith("_")}
    out["ts"] = format_ts(ts)
    return orjson.dumps(out) + b"\n"


def _spliced(record: bytes, ts: float) -> bytes | None:
    event = orjson.loads(record)
    private = [(k, v) for k, v in event.items() if k.startswith("_")]
    cut = body(record, private)
    return None if cut is None else TsHead()(ts)[0] + bytes(cut) + b"}\n"


@settings(max_examples=300, deadline=None)
@given(
    st.floats(min_value=0, max_value=4e9),
    st.text(),
    st.dictionaries(st.text().filter(lambda k: not k.startswith("_") and k != "ts"), st.text()),
)
def test_a_gateway_record_is_cut_to_the_bytes_a_serialisation_gives(
    ts: float, text: str, extra: dict[str, Any]
) -> None:
    event = _gateway_event(ts, text, {"enforcement": extra})
    record = orjson.dumps(event)
    assert _spliced(record, ts) == _reserialised(event, ts)
    late = ts + 2.5  # the reorder buffer raised the ts of a late one
    assert _spliced(record, late) == _reserialised(event, late)


@pytest.mark.parametrize(
    "text",
    ['a,"_b":1', ',"ts":5', '"}', "\\", "\u00e9\u4e2d\U0001f600", "\n\t\x00"],
)
def test_quoted_lookalikes_in_prompts_are_cut_all_the_same(text: str) -> None:
    event = _gateway_event(1_800_000_000.25, text, {})
    record = orjson.dumps(event)
    assert _spliced(record, 1_800_000_000.25) == _reserialised(event, 1_800_000_000.25)


def _other_shapes() -> list[bytes]:
    base = _gateway_event(1_800_000_000.25, "hi", {})
    keys = list(base)
    return [
        orjson.dumps({k: base[k] for k in reversed(keys)}),  # ts last, private fields first
        orjson.dumps({**base, "ts": "1800000000.25"}),  # a ts that is a string
        orjson.dumps({**base, "tail": 1}),  # private fields not last
        orjson.dumps({**base, "request": {"a": 1, "ts": 2}}),  # a nested ts: looks like two
        orjson.dumps({**base, "request": {"a": 1, "_b": 2}}),  # a nested private-looking key
        orjson.dumps({**base, "_meta": {"tier": "x"}})[:-1] + b',"_id":"again"}',  # a key twice
        orjson.dumps({**base, "ts": 1_800_000_000}),
        b'{"ts":1800000000.25}',
        b'{"ts":1800000000.25,"_id":"x"}',
        json.dumps(base).encode(),  # spaces and \\u escapes: another writer
        json.dumps({k: v for k, v in base.items() if not k.startswith("_")}).encode(),
    ]


@pytest.mark.parametrize("record", _other_shapes())
def test_other_shapes_give_a_line_of_the_same_meaning(record: bytes) -> None:
    event = orjson.loads(record)
    ts = float(event["ts"])
    line = _spliced(record, ts)
    expected = _reserialised(event, ts)
    if line is not None:  # a cut where one is safe: what remains means the same
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        assert orjson.loads(line) == orjson.loads(expected)


def test_the_follower_logs_each_shape_as_before(tmp_path: Path) -> None:
    gateway = [orjson.dumps(_gateway_event(1_800_000_000.0 + i, f"q{i}", {})) for i in range(3)]
    records = gateway + _other_shapes()
    follower = Follower(EventSettings(dir=tmp_path, reorder_window_s=0), WorkerCounters(), None)
    follower.restore()
    for offset, record in enumerate(records):  # one at a time: logged in this order
        follower.take([(offset, record)], final=True)
    follower.close()
    logged = b"".join(p.read_bytes() for p in sorted(tmp_path.glob("events-*.jsonl")))
    lines = logged.splitlines(keepends=True)
    assert len(lines) == len(records) and follower.log.written == len(records)
    last = float("-inf")
    for record, line in zip(records, lines, strict=True):
        event = orjson.loads(record)
        last = max(last, float(event["ts"]))  # the buffer raised a late one's ts
        expected = _reserialised(event, last)
        assert orjson.loads(line) == orjson.loads(expected)
        if record in gateway:
            assert line == expected
    assert follower.buffer.late > 0 and follower.analyzer is not None
    assert follower.analyzer.events + follower.invalid == len(records)  # some lack fields
