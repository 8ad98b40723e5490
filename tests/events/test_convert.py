"""Record converters: one LiteLLM spend-log row or OpenAI dump line becomes one spec event."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from responses_bodies import NATIVE

from distillguard.events import parse_event
from distillguard.events.convert import (
    RecordError,
    UnsupportedRecord,
    hash_secret,
    litellm_to_event,
    openai_dump_to_event,
)


def test_litellm_row_becomes_spec_event(samples: Any) -> None:
    event = litellm_to_event(samples.litellm_row())
    parsed = parse_event(event)
    assert event["ts"] == "2026-11-26T19:00:00.123Z"
    assert (parsed.account, parsed.key, parsed.ip) == ("user_42", samples.KEY_HASH, "203.0.113.9")
    assert event["key_alias"] == "research-bot"
    assert (parsed.endpoint, parsed.status, parsed.latency_ms) == ("chat.completions", 200, 5230.0)
    assert parsed.request.model == "gpt-4o"  # what the client asked for, not the deployment
    assert parsed.request.last_user == "Explain step by step why the sky is blue."
    assert (parsed.request.logprobs, parsed.request.top_logprobs) == (True, 5)
    assert parsed.response is not None and parsed.response.completion_tokens == 412
    assert parsed.response.choices[0].content == "Sunlight scatters..."
    assert event["source"] == {
        "format": "litellm",
        "request_id": "chatcmpl-9f2c1e7a-4b1d-4c0e-9a51-0d3f1c2b7e11",
        "call_type": "acompletion",
        "team_id": "team_ml",
    }


def test_litellm_never_writes_a_secret(samples: Any) -> None:
    row = samples.litellm_row(
        api_key=samples.SECRET, metadata={"headers": {"authorization": f"Bearer {samples.SECRET}"}}
    )
    event = litellm_to_event(row)
    assert samples.SECRET.encode() not in orjson.dumps(event)
    assert event["key"] == hash_secret(samples.SECRET)
    assert "metadata" not in event["request"]  # body fields are kept by name only


@pytest.mark.parametrize(
    ("changes", "account"),
    [
        ({}, "user_42"),
        ({"user": ""}, "user_42"),  # metadata user id
        ({"user": "", "metadata": {"user_api_key_team_id": "team_x"}}, "team_ml"),
        ({"user": "", "metadata": {"user_api_key_team_id": "team_x"}, "team_id": None}, "team_x"),
        ({"user": None, "metadata": None, "team_id": ""}, "the key hash"),
    ],
)
def test_litellm_account_is_user_then_team_then_key(
    changes: dict[str, Any], account: str, samples: Any
) -> None:
    expected = samples.KEY_HASH if account == "the key hash" else account
    assert litellm_to_event(samples.litellm_row(**changes))["account"] == expected


def test_litellm_row_without_stored_prompts_still_counts_the_call(samples: Any) -> None:
    # An older proxy, prompts not stored, exported from Postgres: zone-less UTC times.
    row = samples.litellm_row(
        startTime="2026-11-26 19:00:01.500",
        endTime="2026-11-26 19:00:02.000",
        proxy_server_request=None,
        response="{}",
        messages={},
    )
    event = parse_event(litellm_to_event(row))
    assert event.ts == 1795719601.5
    assert event.request.messages == ()
    assert event.request.model == "gpt-4o"
    assert event.response is not None and event.response.completion_tokens == 412


def test_litellm_failure_keeps_status_and_drops_response(samples: Any) -> None:
    meta = {
        "status": "failure",
        "error_information": {"error_code": "429", "error_class": "RateLimitError"},
    }
    event = litellm_to_event(samples.litellm_row(status="failure", metadata=meta))
    assert (event["status"], "response" in event) == (429, False)


def test_litellm_anthropic_messages_call(samples: Any) -> None:
    body = {
        "model": "claude-sonnet-4-5",
        "system": [{"type": "text", "text": "Think carefully."}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Prove it."}]}],
        "max_tokens": 2048,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
    }
    response = {
        "type": "message",
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "Let me see"},
            {"type": "text", "text": "QED"},
        ],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 20, "output_tokens": 300},
    }
    row = samples.litellm_row(
        call_type="anthropic_messages", proxy_server_request=body, response=response
    )
    event = parse_event(litellm_to_event(row))
    assert event.request.system_prompt == "Think carefully."
    assert event.request.last_user == "Prove it."
    assert event.response is not None
    choice = event.response.choices[0]
    assert (choice.content, choice.reasoning_content, choice.finish_reason) == (
        "QED",
        "Let me see",
        "stop",
    )
    assert event.response.completion_tokens == 300


def test_litellm_responses_call(samples: Any) -> None:
    body = {
        "model": "o4-mini",
        "instructions": "Be terse.",
        "input": [{"role": "user", "content": [{"type": "input_text", "text": "2+2?"}]}],
        "reasoning": {"effort": "high"},
    }
    response = {**NATIVE["response"], "status": "completed"}
    row = samples.litellm_row(call_type="aresponses", proxy_server_request=body, response=response)
    event = parse_event(litellm_to_event(row))
    assert (event.endpoint, event.request.reasoning_effort) == ("responses", "high")
    assert [m.role for m in event.request.messages] == ["system", "user"]
    assert event.request.last_user == "2+2?"
    assert event.response is not None and event.response.reasoning_tokens == 32
    assert event.response.choices[0].content == "4"


def test_litellm_text_completion_and_embedding(samples: Any) -> None:
    text = samples.litellm_row(
        call_type="atext_completion",
        proxy_server_request=None,
        messages="Once upon a time",
        response={"choices": [{"text": " a fox", "finish_reason": "length"}]},
    )
    event = parse_event(litellm_to_event(text))
    assert (event.endpoint, event.request.last_user) == ("completions", "Once upon a time")
    embed = samples.litellm_row(
        call_type="aembedding",
        proxy_server_request={"model": "text-embedding-3-small", "input": ["a", "b"]},
        response={
            "object": "list",
            "data": [{"embedding": [0.1] * 8}],
            "usage": {"prompt_tokens": 2},
        },
        completion_tokens=0,
    )
    raw = litellm_to_event(embed)
    assert "data" not in raw["response"]
    assert parse_event(raw).endpoint == "embeddings"


def test_litellm_unsupported_call_type(samples: Any) -> None:
    with pytest.raises(UnsupportedRecord) as info:
        litellm_to_event(samples.litellm_row(call_type="aimage_generation"))
    assert (info.value.field, info.value.value) == ("call_type", "aimage_generation")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"startTime": "last tuesday"}, "startTime"),
        ({"metadata": "[1]"}, "metadata"),
        ({"prompt_tokens": "many", "response": "{}"}, "prompt_tokens"),
        ({"user": ["u"]}, "user"),
    ],
)
def test_litellm_bad_column_is_named(changes: dict[str, Any], field: str, samples: Any) -> None:
    with pytest.raises(RecordError) as info:
        litellm_to_event(samples.litellm_row(**changes))
    assert info.value.field == field


def test_openai_dump_becomes_spec_event(samples: Any) -> None:
    event = openai_dump_to_event(samples.openai_dump())
    parsed = parse_event(event)
    assert (parsed.account, parsed.org, parsed.ip) == ("org-acme", "org-acme", "198.51.100.7")
    assert parsed.key == hash_secret(samples.SECRET)
    assert samples.SECRET.encode() not in orjson.dumps(event)
    assert (parsed.user_agent, parsed.latency_ms, parsed.status) == (
        "OpenAI/Python 1.54.3",
        412.5,
        200,
    )
    assert parsed.response is not None and parsed.response.choices[0].content == "Bonne nuit"


def test_openai_dump_account_precedence(samples: Any) -> None:
    headers = {"x-account": "acct_9", "OpenAI-Organization": "org-acme"}
    assert openai_dump_to_event(samples.openai_dump(headers=headers))["account"] == "acct_9"
    assert (
        openai_dump_to_event(samples.openai_dump(headers={}), account="cli-acct")["account"]
        == "cli-acct"
    )
    with pytest.raises(RecordError, match="--account") as info:
        openai_dump_to_event(samples.openai_dump(headers={}))
    assert info.value.field == "headers"


def test_openai_dump_streamed_reply_is_assembled(samples: Any) -> None:
    chunks = [
        {
            "object": "chat.completion.chunk",
            "created": 1795719603,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Bon"}}],
        },
        {
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": "ne nuit"}, "finish_reason": "stop"}],
        },
        {
            "object": "chat.completion.chunk",
            "choices": [],
            "usage": {"prompt_tokens": 14, "completion_tokens": 3},
        },
    ]
    request = {
        **samples.openai_dump()["request"],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    event = parse_event(openai_dump_to_event(samples.openai_dump(response=chunks, request=request)))
    assert event.request.stream
    assert event.response is not None and event.response.choices[0].content == "Bonne nuit"
    assert event.response.choices[0].finish_reason == "stop"
    assert event.response.completion_tokens == 3


def test_openai_dump_http_wrappers_and_errors(samples: Any) -> None:
    record = {
        "created": 1795719603,
        "request": {
            "method": "POST",
            "url": "https://api.openai.com/v1/completions",
            "headers": {"x-account": "acct_3", "authorization": f"Bearer {samples.SECRET}"},
            "body": {"model": "davinci-002", "prompt": "Hello", "logprobs": 5},
        },
        "response": {
            "status_code": 429,
            "body": {"error": {"message": "Rate limit", "type": "requests"}},
        },
    }
    event = openai_dump_to_event(record)
    assert (event["account"], event["endpoint"], event["status"]) == ("acct_3", "completions", 429)
    assert "response" not in event and event["key"] == hash_secret(samples.SECRET)
    assert parse_event(event).request.top_logprobs == 5


def test_openai_dump_unsupported_url(samples: Any) -> None:
    with pytest.raises(UnsupportedRecord):
        openai_dump_to_event(
            samples.openai_dump(url="/v1/images/generations", request={"prompt": "a cat"})
        )


def test_openai_dump_without_timestamp_uses_response_created(samples: Any) -> None:
    record = samples.openai_dump()
    del record["timestamp"]
    assert parse_event(openai_dump_to_event(record)).ts == 1795719603
