"""Properties of the event parser, the reader and the converters, on hostile input: valid events
and provider records with one part replaced, dropped or added (wrong types, huge numbers,
odd text), and lines that are not JSON at all. Each gives a valid event or the package's named
error naming the field (`FieldError` and its kin, `EventFormatError`, `ConvertError`); never
another exception.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from responses_bodies import NATIVE

from distillguard.errors import ConvertError, DistillguardError, EventFormatError
from distillguard.events import Event, EventReader, FieldError, format_ts, parse_event, parse_ts
from distillguard.events.convert import to_event
from distillguard.events.convert_file import convert_file

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    # `samples` only builds fresh records, so sharing it between examples is safe.
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

EVENT: dict[str, Any] = {
    "ts": "2026-11-26T19:00:00.123Z",
    "account": "acct_7f3a",
    "key": "key_12",
    "ip": "203.0.113.9",
    "endpoint": "chat.completions",
    "request": {
        "model": "m-large",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": [{"type": "text", "text": "Why is the sky blue?"}]},
        ],
        "temperature": 0.7,
        "max_tokens": 1024,
        "logprobs": True,
        "top_logprobs": 5,
        "logit_bias": {"15": -100},
        "tools": [{"type": "function", "function": {"name": "f"}}],
        "tool_choice": "auto",
        "seed": 3,
    },
    "response": {
        "choices": [
            {
                "message": {"role": "assistant", "content": "...", "reasoning_content": "hm"},
                "finish_reason": "stop",
                "logprobs": {"content": []},
            },
            {"text": "legacy", "finish_reason": "length"},
        ],
        "usage": {
            "prompt_tokens": 31,
            "completion_tokens": 412,
            "completion_tokens_details": {"reasoning_tokens": 7},
        },
    },
    "status": 200,
    "latency_ms": 5230,
}


def records(samples: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """Valid records of each source: a LiteLLM row, and dumps of a chat completion, streamed
    chunks, a Responses API call and an Anthropic answer."""
    dump = samples.openai_dump
    chunks = [
        {"choices": [{"index": 0, "delta": {"content": "Bon", "tool_calls": [{"index": 0}]}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": {}},
    ]
    responses = {"model": "m", "instructions": "Be brief.", "input": [{"role": "user"}]}
    answer = {"output": [{"type": "message", "content": []}], "status": "completed"}
    anthropic = {"type": "message", "content": [{"type": "text", "text": "x"}], "usage": {}}
    return {
        "litellm": ("litellm", samples.litellm_row()),
        "dump": ("openai-dump", dump()),
        "stream": ("openai-dump", dump(response=chunks)),
        "responses": ("openai-dump", dump(url="/v1/responses", request=responses, response=answer)),
        "anthropic": ("openai-dump", dump(response=anthropic)),
    }


# What parsers meet in the wild: wrong types, timestamps at the ends of the calendar, digits
# that are not ASCII, numbers past 64 bits (orjson reads those as floats), JSON held as text,
# and containers where a scalar belongs (an unhashable index). `DROP` removes the part.
DROP = object()
HOSTILE: list[Any] = [
    *(DROP, None, True, False, 0, -1, 1.5, 2**63 - 1, 2**64 - 1, -(2**63), 1e300, -1e300, 1e19),
    *("", "x", "²", "١٢", "9" * 30, "9" * 5000, "sk-live-x", "Bearer sk-1", "failure", "\x00"),
    *("0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "2026-11-26T19:00:00", "Z"),
    *("[1]", "{}", '{"choices": 5}', "/v1/embeddings", "/v1/images"),
    *([], {}, [[]], [{}], [1], {"index": []}, [{"index": "a"}, {"index": 1}], [{"choices": 5}]),
]
JSON = st.recursive(
    st.sampled_from(HOSTILE[1:]).map(copy.deepcopy)  # later mutations change them in place
    | st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
TEXT = "<JSON text>"  # a step into a string holding JSON, as LiteLLM exports its columns


def paths(obj: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every part of `obj`, a new key in each object, and the insides of JSON held as text."""
    found = [at]
    if isinstance(obj, dict):
        found.append((*at, "zz_extra"))
        for key, value in obj.items():
            found += paths(value, (*at, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            found += paths(value, (*at, i))
    elif _json_text(obj):
        found += paths(orjson.loads(obj), (*at, TEXT))
    return found


def replaced(obj: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of `obj` with the part at `path` replaced by `value` (or removed: `DROP`)."""
    if not path:
        return None if value is DROP else copy.deepcopy(value)
    step, rest = path[0], path[1:]
    if step == TEXT:
        return orjson.dumps(replaced(orjson.loads(obj), rest, value)).decode()
    out = copy.copy(obj)
    if rest or value is not DROP:
        out[step] = replaced(obj.get(step) if isinstance(obj, dict) else obj[step], rest, value)
    elif isinstance(out, dict):
        out.pop(step, None)
    else:
        del out[step]
    return out


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """`base` with one to four of its parts, at any depth, replaced, removed or added."""
    obj = base
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths(obj)))
        obj = replaced(obj, path, DROP if draw(st.integers(0, 5)) == 0 else draw(JSON))
    return obj


def _json_text(value: Any) -> bool:
    if not isinstance(value, str) or value[:1] not in ("{", "["):
        return False
    try:
        orjson.loads(value)
    except orjson.JSONDecodeError:
        return False
    return True


def _through_json(value: Any) -> Any:
    """As a reader would decode it from a line: JSON has no tuples, and no ints past 64 bits."""
    return orjson.loads(orjson.dumps(value))


def _assert_named(err: FieldError) -> None:
    assert isinstance(err, DistillguardError), repr(err)
    assert isinstance(err.field, str) and err.problem, repr(err)


def _unexpected(check: Any, base: Any) -> list[str]:
    """Each single replacement of a part of `base` by a `HOSTILE` value that makes `check`
    raise anything but the named errors it may raise."""
    failures = []
    for path in paths(base):
        for value in HOSTILE:
            try:
                check(_through_json(replaced(base, path, value)))
            except Exception as err:  # what this looks for: anything not named
                shown = "DROP" if value is DROP else repr(value)[:40]
                failures.append(f"{'.'.join(map(str, path))} = {shown}: {err!r}"[:200])
    return failures


def _event_or_named(event: Any) -> None:
    try:
        parsed = parse_event(event)
    except FieldError as err:
        _assert_named(err)
        return
    assert isinstance(parsed, Event)
    format_ts(parsed.ts)  # a valid event's time can be written back


def _converted_or_named(source: str, record: Any) -> None:
    try:
        event = to_event(source, record, "fallback")
        parse_event(_through_json(event))  # what convert_file checks before it writes
    except FieldError as err:
        _assert_named(err)


def test_every_part_of_an_event_replaced_by_a_hostile_value() -> None:
    failures = _unexpected(_event_or_named, EVENT)
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("kind", ["litellm", "dump", "stream", "responses", "anthropic"])
def test_every_part_of_a_record_replaced_by_a_hostile_value(samples: Any, kind: str) -> None:
    source, base = records(samples)[kind]
    failures = _unexpected(lambda r: _converted_or_named(source, r), base)
    assert not failures, "\n".join(failures[:20])


@SETTINGS
@given(event=mutated(EVENT))
def test_a_mutated_event_parses_or_names_its_field(event: Any) -> None:
    _event_or_named(_through_json(event))


@SETTINGS
@given(value=JSON)
def test_a_timestamp_is_finite_unix_seconds_or_a_field_error(value: Any) -> None:
    try:
        ts = parse_ts(value)
    except FieldError as err:
        assert err.field == "ts"
        return
    assert parse_ts(format_ts(ts)) == pytest.approx(ts, abs=0.001)  # milliseconds are kept


@SETTINGS
@given(
    kind=st.sampled_from(["litellm", "dump", "stream", "responses", "anthropic"]), data=st.data()
)
def test_a_mutated_record_converts_to_a_valid_event_or_names_its_field(
    samples: Any, kind: str, data: st.DataObject
) -> None:
    source, base = records(samples)[kind]
    record = _through_json(data.draw(mutated(base)))
    try:
        event = to_event(source, record, "fallback")
        parse_event(_through_json(event))  # what convert_file checks before it writes
    except FieldError as err:
        _assert_named(err)


LINES = st.lists(
    st.one_of(
        mutated(EVENT).map(lambda e: orjson.dumps(_through_json(e))),
        st.just(orjson.dumps(EVENT)),
        st.binary(max_size=20),
        st.sampled_from([b"", b"   ", b"[1]", b"null", b"{", b"\xff\xfe", b'{"ts": 1}']),
    ),
    min_size=1,
    max_size=6,
)


def _write(folder: str, name: str, lines: list[bytes]) -> Path:
    path = Path(folder) / name
    path.write_bytes(b"\n".join(line.replace(b"\n", b" ") for line in lines) + b"\n")
    return path


@SETTINGS
@given(lines=LINES)
def test_the_reader_yields_events_or_names_the_line(lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, "events.jsonl", lines)
        lenient = EventReader(path, lenient=True)
        events = list(lenient)
        assert lenient.read == len(events)
        try:
            strict = list(EventReader(path))
        except EventFormatError as err:
            assert 1 <= err.line <= len(lines), err
            return
        assert [e.ts for e in strict] == [e.ts for e in events]


@pytest.mark.parametrize("kind", ["litellm", "dump"])
@settings(SETTINGS, max_examples=60)
@given(data=st.data())
def test_convert_file_writes_valid_events_or_names_the_line(
    samples: Any, kind: str, data: st.DataObject
) -> None:
    source, base = records(samples)[kind]
    lines = [orjson.dumps(_through_json(r)) for r in data.draw(st.lists(mutated(base), max_size=4))]
    # A log whose first line opens a JSON array is read as one array: not what this tests.
    assume(not lines or not lines[0].startswith(b"["))
    with tempfile.TemporaryDirectory() as folder:
        src = _write(folder, "log.jsonl", lines or [b""])
        out = Path(folder) / "out.jsonl"
        report = convert_file(source, src, out, lenient=True, account="fallback")
        assert report.records == len(lines)
        assert report.written + sum(report.skipped.values()) == len(lines)
        assert len(list(EventReader(out))) == report.written  # the strict reader takes them
        try:
            convert_file(source, src, Path(folder) / "strict.jsonl", account="fallback")
        except ConvertError as err:
            assert 1 <= err.line <= len(lines), err


def test_every_part_of_a_native_responses_event_replaced_by_a_hostile_value() -> None:
    """The Responses API's own request and response shapes, read in place of chat's."""
    failures = _unexpected(_event_or_named, NATIVE)
    assert not failures, "\n".join(failures[:20])
