"""A `responses` event logged in the Responses API's own shape reads as its chat form."""

from __future__ import annotations

from typing import Any

import pytest
from responses_bodies import CHAT, NATIVE

from distillguard.detect.features import extract
from distillguard.events import FieldError, Message, parse_event


def test_a_native_responses_event_reads_as_its_chat_form() -> None:
    native, chat = parse_event(NATIVE), parse_event(CHAT)
    assert native.request == chat.request
    assert native.response == chat.response
    assert native.request.messages == (
        Message("system", "Be terse."),
        Message("user", "Solve 2+2 step by step."),
    )
    assert native.request.tools == ("calc",) and native.request.max_tokens == 2048
    # What detection reads of it is the same too.
    assert extract(native) == extract(chat)


def test_a_tool_result_sent_back_is_a_tool_turn() -> None:
    body = {
        "model": "m-large",
        "input": [
            {"role": "user", "content": "What is the weather in Oslo?"},
            {"type": "function_call", "call_id": "c1", "name": "weather", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "4 C, rain"},
        ],
    }
    event = parse_event({**NATIVE, "request": body})
    assert [m.role for m in event.request.messages] == ["user", "tool"]
    assert event.request.messages[-1].content == "4 C, rain"


def test_input_as_one_string_is_the_user_turn() -> None:
    event = parse_event({**NATIVE, "request": {"model": "m", "input": "Hello"}})
    assert event.request.messages == (Message("user", "Hello"),)


@pytest.mark.parametrize(
    ("request_body", "field"),
    [
        ({"input": 7}, "request.input"),
        ({"input": "x", "reasoning": {"effort": 3}}, "request.reasoning.effort"),
        ({"input": "x", "reasoning": "high"}, "request.reasoning"),
        ({"input": "x", "max_output_tokens": "many"}, "request.max_output_tokens"),
        ({"model": "m"}, "request.messages"),
    ],
)
def test_a_bad_native_field_is_named(request_body: dict[str, Any], field: str) -> None:
    with pytest.raises(FieldError) as info:
        parse_event({**NATIVE, "request": request_body})
    assert info.value.field == field, str(info.value)


def test_a_bad_native_response_status_is_named() -> None:
    with pytest.raises(FieldError) as info:
        parse_event({**NATIVE, "response": {"output": [], "status": 1}})
    assert info.value.field == "response.status"
