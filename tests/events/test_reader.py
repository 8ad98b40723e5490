"""EventReader: strict errors name file, line and field; lenient skips and counts by reason."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from distillguard.errors import EventFormatError, InputNotFoundError, OutOfOrderError
from distillguard.events import EventReader, read_events


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation that sets a dotted path (list indexes as numbers) to `value`."""

    def apply(event: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: Any = event
        for p in parents:
            node = node[p]
        node[last] = value

    return apply


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda event: event.pop(key)


# (id, bad line: raw text or a mutation of a valid event, field, words in problem, lenient reason)
BAD_LINES: list[tuple[str, Any, str, str, str]] = [
    ("not-json", '{"ts": 1, "account": ', "", "not valid JSON", "not JSON"),
    ("not-object-list", "[1, 2, 3]", "", "must be a JSON object, got list", "not an object"),
    ("not-object-str", '"hello"', "", "must be a JSON object, got str", "not an object"),
    ("missing-ts", _drop("ts"), "ts", "is required and missing", "missing ts"),
    ("missing-account", _drop("account"), "account", "is required", "missing account"),
    ("missing-request", _drop("request"), "request", "is required", "missing request"),
    ("empty-account", _set("account", ""), "account", "non-empty string", "bad account"),
    ("ts-invalid", _set("ts", "yesterday"), "ts", "not an RFC 3339", "bad ts"),
    ("ts-naive", _set("ts", "2026-11-26T19:00:00"), "ts", "has no time zone", "bad ts"),
    ("ts-bool", _set("ts", True), "ts", "got a boolean", "bad ts"),
    ("ts-list", _set("ts", [1]), "ts", "got list", "bad ts"),
    (
        "temperature-str",
        _set("request.temperature", "hot"),
        "request.temperature",
        "must be a number, got str 'hot'",
        "bad request.temperature",
    ),
    (
        "content-number",
        _set("request.messages.1.content", 42),
        "request.messages[1].content",
        "must be a string or a list of parts, got int",
        "bad request.messages",
    ),
    (
        "content-part-text",
        _set("request.messages.1.content", [{"type": "text", "text": 7}]),
        "request.messages[1].content[0].text",
        "must be a string, got int",
        "bad request.messages",
    ),
    (
        "role-missing",
        _set("request.messages.0", {"content": "hi"}),
        "request.messages[0].role",
        "must be a string, got null",
        "bad request.messages",
    ),
    (
        "n-bool",
        _set("request.n", True),
        "request.n",
        "must be an integer, got bool",
        "bad request.n",
    ),
    (
        "logprobs-str",
        _set("request.logprobs", "yes"),
        "request.logprobs",
        "got str 'yes'",
        "bad request.logprobs",
    ),
    ("request-list", _set("request", []), "request", "must be an object, got list", "bad request"),
    (
        "messages-absent",
        _set("request", {"model": "m"}),
        "request.messages",
        "is required for chat requests",
        "bad request.messages",
    ),
    (
        "completion-tokens-str",
        _set("response.usage.completion_tokens", "412"),
        "response.usage.completion_tokens",
        "must be an integer, got str '412'",
        "bad response.usage.completion_tokens",
    ),
    (
        "usage-list",
        _set("response.usage", []),
        "response.usage",
        "must be an object",
        "bad response.usage",
    ),
    (
        "choices-empty-str",
        _set("response.choices", ""),
        "response.choices",
        "must be a list, got str",
        "bad response.choices",
    ),
    (
        "choice-content-number",
        _set("response.choices.0.message.content", 3.5),
        "response.choices[0].message.content",
        "got float",
        "bad response.choices",
    ),
    (
        "endpoint-unknown",
        _set("endpoint", "images"),
        "endpoint",
        "'images' is not one of",
        "bad endpoint",
    ),
    ("status-str", _set("status", "200"), "status", "must be an integer", "bad status"),
    ("key-number", _set("key", 12), "key", "must be a string, got int", "bad key"),
    ("latency-str", _set("latency_ms", "fast"), "latency_ms", "must be a number", "bad latency_ms"),
]


def _bad_line(bad: Any, make_event: Callable[..., dict[str, Any]]) -> Any:
    if isinstance(bad, str):
        return bad
    event = make_event(ts="2026-11-26T19:00:01Z")
    bad(event)
    return event


@pytest.mark.parametrize(
    ("bad", "field", "problem"), [c[1:4] for c in BAD_LINES], ids=[c[0] for c in BAD_LINES]
)
def test_strict_reader_names_file_line_and_field(
    bad: Any, field: str, problem: str, make_event: Any, write_lines: Any
) -> None:
    # Line 1 good, line 2 blank (still counted), line 3 bad, line 4 good.
    path = write_lines([make_event(), "", _bad_line(bad, make_event), make_event()])
    reader = EventReader(path)
    with pytest.raises(EventFormatError) as info:
        list(reader)
    err = info.value
    assert (err.path, err.line, err.field) == (str(path), 3, field)
    assert problem in err.problem
    assert str(err).startswith(f"{path}:3:")
    assert (f"field '{field}'" in str(err)) == bool(field)
    assert reader.read == 1


def test_lenient_reader_skips_and_counts_each_reason(make_event: Any, write_lines: Any) -> None:
    lines: list[Any] = [make_event(ts=0)]
    for _, bad, *_ in BAD_LINES:
        lines += [_bad_line(bad, make_event), "   "]
    lines.append(make_event(ts="2026-11-26T19:00:02Z"))
    reader = EventReader(write_lines(lines), lenient=True)
    events = list(reader)
    assert [e.ts for e in events] == [0.0, 1795719602.0]
    assert reader.read == 2
    assert reader.skipped == Counter(c[4] for c in BAD_LINES)


def test_out_of_order_strict_raises_with_line(make_event: Any, write_lines: Any) -> None:
    path = write_lines([make_event(ts=100), make_event(ts=100), make_event(ts=99.5)])
    with pytest.raises(OutOfOrderError) as info:
        list(EventReader(path))
    assert (info.value.line, info.value.field) == (3, "ts")
    assert "goes back in time (99.500 after 100.000)" in str(info.value)


def test_out_of_order_lenient_skips_without_moving_the_clock(
    make_event: Any, write_lines: Any
) -> None:
    # 7 is older than 10 (the last *kept* event), so it is skipped too.
    path = write_lines([make_event(ts=t) for t in (10, 5, 7, 10, 12)])
    reader = EventReader(path, lenient=True)
    assert [e.ts for e in reader] == [10, 10, 12]
    assert reader.skipped == Counter({"out of order": 2})


def test_blank_and_whitespace_lines_are_skipped_not_counted(
    make_event: Any, write_lines: Any
) -> None:
    path = write_lines(["", make_event(ts=1), "  \t ", "\r", make_event(ts=2), ""])
    reader = EventReader(path)
    assert [e.ts for e in reader] == [1, 2]
    assert not reader.skipped


def test_gzip_file_reads_like_plain(make_event: Any, write_lines: Any) -> None:
    events = [make_event(ts=t, account=f"a{t}") for t in range(50)]
    plain = list(read_events(write_lines(events)))
    packed = list(read_events(write_lines(events, name="events.jsonl.gz")))
    assert plain == packed
    assert len(packed) == 50


def test_gzip_bad_line_names_the_gz_file(make_event: Any, write_lines: Any) -> None:
    path = write_lines([make_event(), "nope"], name="log.jsonl.gz")
    with pytest.raises(EventFormatError) as info:
        list(EventReader(path))
    assert str(info.value).startswith(f"{path}:2:")


def test_counts_describe_the_latest_pass(make_event: Any, write_lines: Any) -> None:
    reader = EventReader(write_lines([make_event(), "x"]), lenient=True)
    list(reader)
    list(reader)
    assert reader.read == 1
    assert reader.skipped == Counter({"not JSON": 1})


def test_missing_file_is_input_not_found(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="event log not found"):
        list(EventReader(tmp_path / "absent.jsonl"))


def test_unknown_fields_are_ignored_and_kept_in_raw(make_event: Any, write_lines: Any) -> None:
    event = make_event(trace={"id": "t1"}, region="eu")
    event["request"]["frequency_penalty"] = 0.5
    event["response"]["system_fingerprint"] = "fp_1"
    (parsed,) = read_events(write_lines([event]))
    assert parsed.raw["trace"] == {"id": "t1"}
    assert parsed.raw["request"]["frequency_penalty"] == 0.5
