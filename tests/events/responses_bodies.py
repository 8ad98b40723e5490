"""One `responses` event twice: in the chat shape the spec names, and in the Responses
API's own shape (`instructions`, `input`, `output`), as a gateway logs what was sent."""

from __future__ import annotations

from typing import Any

CHAT: dict[str, Any] = {
    "ts": 1795719600,
    "account": "acct_1",
    "endpoint": "responses",
    "request": {
        "model": "m-large",
        "messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Solve 2+2 step by step."},
        ],
        "max_tokens": 2048,
        "reasoning_effort": "high",
        "response_format": {"type": "json_object"},
        "tools": [{"type": "function", "function": {"name": "calc"}}],
    },
    "response": {
        "choices": [
            {
                "message": {"role": "assistant", "content": "4", "reasoning_content": "add"},
                "finish_reason": "length",
            }
        ],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 40,
            "completion_tokens_details": {"reasoning_tokens": 32},
        },
    },
}
NATIVE: dict[str, Any] = {
    **CHAT,
    "request": {
        "model": "m-large",
        "instructions": "Be terse.",
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "Solve 2+2 step by step."}]}
        ],
        "max_output_tokens": 2048,
        "reasoning": {"effort": "high"},
        "text": {"format": {"type": "json_object"}},
        "tools": [{"type": "function", "name": "calc"}],
    },
    "response": {
        "object": "response",
        "status": "incomplete",
        "output": [
            {"type": "reasoning", "summary": [{"type": "summary_text", "text": "add"}]},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "4"}],
            },
        ],
        "usage": {
            "input_tokens": 12,
            "output_tokens": 40,
            "output_tokens_details": {"reasoning_tokens": 32},
        },
    },
}
