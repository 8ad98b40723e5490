"""parse_event / parse_ts: what a valid event reads as."""

from __future__ import annotations

from typing import Any

import pytest

from distillguard.events import FieldError, Message, parse_event, parse_ts


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2026-11-26T19:00:00.123Z", 1795719600.123),
        ("2026-11-26T19:00:00.123z", 1795719600.123),
        ("2026-11-26T21:00:00.123+02:00", 1795719600.123),
        ("2026-11-26 19:00:00Z", 1795719600.0),
        (1795719600, 1795719600.0),
        (1795719600.5, 1795719600.5),
        (0, 0.0),
    ],
)
def test_ts_accepts_rfc3339_and_unix_seconds(value: Any, seconds: float) -> None:
    assert parse_ts(value) == pytest.approx(seconds, abs=1e-6)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2026-11-26T19:00:00", "has no time zone; add 'Z' or an offset"),
        ("26/11/2026", "is not an RFC 3339 timestamp"),
        ("", "is not an RFC 3339 timestamp"),
        (False, "got a boolean"),
        (None, "got null"),
    ],
)
def test_ts_rejects_with_actionable_problem(value: Any, problem: str) -> None:
    with pytest.raises(FieldError) as info:
        parse_ts(value)
    assert info.value.field == "ts"
    assert problem in info.value.problem


def test_example_event_reads_every_field(make_event: Any) -> None:
    event = parse_event(make_event(org="org_1", user_agent="OpenAI/Python 1.54"))
    assert event.account == "acct_7f3a"
    assert (event.key, event.org, event.ip) == ("key_12", "org_1", "203.0.113.9")
    assert event.endpoint == "chat.completions"
    assert (event.status, event.latency_ms) == (200, 5230.0)
    assert event.request.system_prompt == "You are a helpful assistant."
    assert event.request.last_user == "Explain step by step why the sky is blue."
    assert (event.request.temperature, event.request.max_tokens) == (0.7, 1024)
    assert event.response is not None
    assert event.response.choices[0].content == "Rayleigh..."
    assert (event.response.prompt_tokens, event.response.completion_tokens) == (31, 412)


def test_defaults_when_optional_fields_absent() -> None:
    event = parse_event(
        {"ts": 1, "account": "a", "request": {"messages": [{"role": "user", "content": "hi"}]}}
    )
    assert (event.status, event.endpoint, event.response, event.key) == (
        200,
        "chat.completions",
        None,
        None,
    )
    assert (event.request.n, event.request.logprobs, event.request.stream) == (1, False, False)


def test_content_as_list_of_parts_keeps_text_parts(make_event: Any) -> None:
    event = make_event()
    event["request"]["messages"][1]["content"] = [
        {"type": "text", "text": "Describe this image."},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        {"type": "text", "text": "Be brief."},
    ]
    event["response"]["choices"][0]["message"]["content"] = [{"type": "text", "text": "A cat."}]
    parsed = parse_event(event)
    assert parsed.request.last_user == "Describe this image.\nBe brief."
    assert parsed.response is not None and parsed.response.choices[0].content == "A cat."


@pytest.mark.parametrize(
    ("prompt", "messages"),
    [
        ("Once upon a time", (Message("user", "Once upon a time"),)),
        (["a", "b"], (Message("user", "a"), Message("user", "b"))),
        (None, ()),
    ],
)
def test_completions_endpoint_reads_prompt(prompt: Any, messages: tuple[Message, ...]) -> None:
    request: dict[str, Any] = {"model": "m-base", "max_tokens": 16}
    if prompt is not None:
        request["prompt"] = prompt
    response = {"choices": [{"text": " there was", "finish_reason": "length", "logprobs": None}]}
    event = parse_event(
        {
            "ts": 1,
            "account": "a",
            "endpoint": "completions",
            "request": request,
            "response": response,
        }
    )
    assert event.request.messages == messages
    assert event.response is not None and event.response.choices[0].content == " there was"


def test_completions_prompt_of_wrong_type_names_field() -> None:
    with pytest.raises(FieldError) as info:
        parse_event(
            {"ts": 1, "account": "a", "endpoint": "completions", "request": {"prompt": [1.5]}}
        )
    assert info.value.field == "request.prompt"


@pytest.mark.parametrize(
    ("fields", "logprobs", "top"),
    [
        ({"logprobs": True, "top_logprobs": 5}, True, 5),
        ({"logprobs": False}, False, None),  # was read as True before the fix
        ({"logprobs": 3}, True, 3),  # legacy completions: an integer count
        ({"logprobs": 0}, True, 0),
        ({"logprobs": 2, "top_logprobs": 4}, True, 4),
        ({"top_logprobs": 2}, False, 2),
    ],
)
def test_logprobs_boolean_or_legacy_integer(
    fields: dict[str, Any], logprobs: bool, top: int | None
) -> None:
    event = parse_event(
        {"ts": 1, "account": "a", "endpoint": "completions", "request": {"prompt": "x", **fields}}
    )
    assert (event.request.logprobs, event.request.top_logprobs) == (logprobs, top)


def test_request_options_read(make_event: Any) -> None:
    event = make_event()
    event["request"].update(
        {
            "max_completion_tokens": 99,
            "n": 4,
            "seed": 7,
            "stream": True,
            "top_p": 1,
            "logit_bias": {"50256": -100},
            "tools": [{"type": "function", "function": {"name": "search"}}, {"type": "web"}],
            "tool_choice": {"type": "function", "function": {"name": "search"}},
            "response_format": {"type": "json_schema"},
            "reasoning_effort": "high",
        }
    )
    r = parse_event(event).request
    assert (r.max_tokens, r.n, r.seed, r.stream, r.top_p) == (99, 4, 7, True, 1.0)
    assert r.logit_bias == (("50256", -100.0),)
    assert r.tools == ("search", "?")
    assert (r.tool_choice, r.response_format, r.reasoning_effort) == (
        "function",
        "json_schema",
        "high",
    )


def test_reasoning_and_tool_calls_in_response(make_event: Any) -> None:
    event = make_event()
    event["response"] = {
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "content": None,
                    "reasoning_content": "think",
                    "tool_calls": [{"id": "c1"}, {"id": "c2"}],
                },
                "finish_reason": "tool_calls",
                "logprobs": {"content": []},
            }
        ],
        "usage": {"completion_tokens_details": {"reasoning_tokens": 12}},
    }
    response = parse_event(event).response
    assert response is not None
    choice = response.choices[0]
    assert (choice.content, choice.reasoning_content, choice.tool_calls) == ("", "think", 2)
    assert choice.has_logprobs and response.reasoning_tokens == 12


def test_integral_float_counts_as_integer(make_event: Any) -> None:
    event = make_event()
    event["response"]["usage"]["completion_tokens"] = 412.0
    response = parse_event(event).response
    assert response is not None and response.completion_tokens == 412


def test_event_is_immutable(make_event: Any) -> None:
    event = parse_event(make_event())
    with pytest.raises(AttributeError):
        event.account = "other"


def test_a_completions_prompt_of_token_ids_reads_as_its_ids() -> None:
    def prompt(p: Any) -> tuple[Message, ...]:
        event = {"ts": 1, "account": "a", "endpoint": "completions", "request": {"prompt": p}}
        return parse_event(event).request.messages

    assert prompt([15, 7, 2048]) == (Message("user", "15 7 2048"),)
    assert prompt([[1, 2], [3]]) == (Message("user", "1 2"), Message("user", "3"))
    for bad in ([1, "a"], [[1], ["a"]], [[]], [True]):
        with pytest.raises(FieldError) as info:
            prompt(bad)
        assert info.value.field == "request.prompt", bad
