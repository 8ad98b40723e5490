"""Realistic provider log records for the convert tests, written out in full."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

KEY_HASH = "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b"
SECRET = "sk-live-4f9a0c1d2e3b"

# A row of LiteLLM_SpendLogs as a recent proxy writes it with store_prompts_in_spend_logs on:
# JSON columns exported as JSON text, `messages` left as "{}", the body in proxy_server_request.
LITELLM_ROW: dict[str, Any] = {
    "request_id": "chatcmpl-9f2c1e7a-4b1d-4c0e-9a51-0d3f1c2b7e11",
    "call_type": "acompletion",
    "api_key": KEY_HASH,
    "spend": 0.0041,
    "total_tokens": 443,
    "prompt_tokens": 31,
    "completion_tokens": 412,
    "startTime": "2026-11-26T19:00:00.123000+00:00",
    "endTime": "2026-11-26T19:00:05.353000+00:00",
    "completionStartTime": "2026-11-26T19:00:00.911000+00:00",
    "model": "gpt-4o-2024-08-06",
    "model_id": "b1f0c2d3",
    "model_group": "gpt-4o",
    "custom_llm_provider": "openai",
    "api_base": "https://api.openai.com/v1",
    "user": "user_42",
    "team_id": "team_ml",
    "organization_id": "",
    "end_user": "",
    "requester_ip_address": "203.0.113.9",
    "cache_hit": "False",
    "cache_key": "Cache OFF",
    "request_tags": "[]",
    "session_id": "0b6c4f7e-5d0e-4d55-9d1a-52a7a3c0f1aa",
    "status": "success",
    "messages": "{}",
    "metadata": orjson.dumps(
        {
            "user_api_key": KEY_HASH,
            "user_api_key_alias": "research-bot",
            "user_api_key_team_id": "team_ml",
            "user_api_key_org_id": None,
            "user_api_key_user_id": "user_42",
            "user_api_key_team_alias": "ML",
            "spend_logs_metadata": None,
            "requester_ip_address": "203.0.113.9",
            "status": "success",
            "additional_usage_values": {"prompt_tokens_details": {"cached_tokens": 0}},
        }
    ).decode(),
    "proxy_server_request": orjson.dumps(
        {
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": "Explain step by step why the sky is blue."},
            ],
            "temperature": 0.7,
            "max_tokens": 1024,
            "logprobs": True,
            "top_logprobs": 5,
            "metadata": {"tags": ["batch-7"]},
            "api_key": SECRET,  # a client may put its key in the body: it must not leak
        }
    ).decode(),
    "response": orjson.dumps(
        {
            "id": "chatcmpl-9f2c1e7a",
            "object": "chat.completion",
            "created": 1795719605,
            "model": "gpt-4o-2024-08-06",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "Sunlight scatters...",
                        "tool_calls": None,
                    },
                    "finish_reason": "stop",
                    "logprobs": {"content": []},
                }
            ],
            "usage": {"prompt_tokens": 31, "completion_tokens": 412, "total_tokens": 443},
        }
    ).decode(),
}


class Samples:
    """Builders of sample records; keyword arguments replace top-level fields."""

    KEY_HASH = KEY_HASH
    SECRET = SECRET

    def litellm_row(self, **changes: Any) -> dict[str, Any]:
        row = copy.deepcopy(LITELLM_ROW)
        row.update(changes)
        return row

    def openai_dump(self, **changes: Any) -> dict[str, Any]:
        record: dict[str, Any] = {
            "timestamp": "2026-11-26T19:00:03.000Z",
            "headers": {
                "OpenAI-Organization": "org-acme",
                "Authorization": f"Bearer {SECRET}",
                "User-Agent": "OpenAI/Python 1.54.3",
                "X-Forwarded-For": "198.51.100.7, 10.0.0.1",
            },
            "request": {
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "Translate to French: good night"}],
                "temperature": 0,
            },
            "response": {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1795719603,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "Bonne nuit"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 14, "completion_tokens": 3},
            },
            "latency_ms": 412.5,
        }
        record.update(changes)
        return record


@pytest.fixture
def samples() -> Samples:
    return Samples()
