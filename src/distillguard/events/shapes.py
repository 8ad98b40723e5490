"""Bring other API body shapes into the Chat Completions shape that spec/events.md reads.

Provider logs hold more than chat completions: the Responses API (`input`/`output`),
Anthropic Messages (`system`, `content` blocks), streamed chunk lists, embeddings. These
pure functions turn each into a chat request or response body. They raise `ShapeError`
with the dotted path of the bad field; the converter adds the record's file and line.
"""

from __future__ import annotations

from typing import Any

from distillguard.events.schema import FieldError


class ShapeError(FieldError):
    """A foreign body has a field distillguard cannot read (no file context yet)."""


def _type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _texts(parts: Any, kinds: frozenset[str], key: str = "text") -> str:
    """Join the text of the content blocks whose type is in `kinds`; skip the others."""
    if isinstance(parts, str):
        return parts
    if not isinstance(parts, list):
        return ""
    out = [
        p[key]
        for p in parts
        if isinstance(p, dict) and p.get("type") in kinds and isinstance(p.get(key), str)
    ]
    return "\n".join(out)


_INPUT_TEXT = frozenset({"text", "input_text", "output_text"})
_OUTPUT_TEXT = frozenset({"output_text", "text"})


def responses_request(body: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """Chat messages from a Responses API request (`instructions` and `input`)."""
    messages: list[dict[str, Any]] = []
    if isinstance(body.get("instructions"), str):
        messages.append({"role": "system", "content": body["instructions"]})
    items = body.get("input")
    if isinstance(items, str):
        return [*messages, {"role": "user", "content": items}]
    if items is None:
        return messages
    if not isinstance(items, list):
        raise ShapeError(f"{path}.input", f"must be a string or a list, got {_type(items)}")
    for item in items:
        # Items without a role (function calls, their outputs, reasoning) are not text a
        # person typed; the spec's messages carry only role and content.
        if isinstance(item, dict) and isinstance(item.get("role"), str):
            content = _texts(item.get("content"), _INPUT_TEXT)
            messages.append({"role": item["role"], "content": content})
    return messages


def responses_response(resp: dict[str, Any]) -> dict[str, Any]:
    """A chat completion from a Responses API response (`output` items, `usage`)."""
    text: list[str] = []
    reasoning: list[str] = []
    calls = 0
    for item in resp.get("output") or []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "message":
            text.append(_texts(item.get("content"), _OUTPUT_TEXT))
        elif kind == "reasoning":
            reasoning.append(_texts(item.get("summary"), frozenset({"summary_text"})))
        elif kind == "function_call":
            calls += 1
    message: dict[str, Any] = {"role": "assistant", "content": "\n".join(text)}
    if reasoning:
        message["reasoning_content"] = "\n".join(reasoning)
    if calls:
        message["tool_calls"] = [{"type": "function"}] * calls
    status = resp.get("status")
    finish = {None: "stop", "completed": "stop", "incomplete": "length"}.get(status, status)
    usage = _dict(resp.get("usage"))
    details = _dict(usage.get("output_tokens_details"))
    return {
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": usage.get("input_tokens"),
            "completion_tokens": usage.get("output_tokens"),
            "completion_tokens_details": {"reasoning_tokens": details.get("reasoning_tokens")},
        },
    }


def anthropic_request(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Chat messages from an Anthropic Messages request: `system` becomes the first message.

    Anthropic content blocks are objects with a `type`, the same shape as chat content
    parts, so they pass through; the reader keeps their `text` blocks.
    """
    messages: list[dict[str, Any]] = []
    system = body.get("system")
    if system is not None:
        messages.append({"role": "system", "content": _texts(system, _INPUT_TEXT)})
    raw = body.get("messages")
    if isinstance(raw, list):
        messages.extend(raw)
    return messages


_ANTHROPIC_FINISH = {"end_turn": "stop", "max_tokens": "length", "tool_use": "tool_calls"}


def anthropic_response(resp: dict[str, Any]) -> dict[str, Any]:
    """A chat completion from an Anthropic Messages response (`content` blocks, `usage`)."""
    blocks = resp.get("content")
    message: dict[str, Any] = {
        "role": "assistant",
        "content": _texts(blocks, frozenset({"text"})),
    }
    thinking = _texts(blocks, frozenset({"thinking"}), key="thinking")
    if thinking:
        message["reasoning_content"] = thinking
    calls = sum(1 for b in blocks or [] if isinstance(b, dict) and b.get("type") == "tool_use")
    if calls:
        message["tool_calls"] = [{"type": "function"}] * calls
    stop = resp.get("stop_reason")
    finish = _ANTHROPIC_FINISH.get(stop, stop) if isinstance(stop, str) else None
    usage = _dict(resp.get("usage"))
    return {
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": usage.get("input_tokens"),
            "completion_tokens": usage.get("output_tokens"),
        },
    }


def assemble_stream(chunks: list[Any], path: str) -> dict[str, Any]:
    """One chat completion from the `chat.completion.chunk` objects of a streamed reply."""
    content: dict[int, list[str]] = {}
    reasoning: dict[int, list[str]] = {}
    finish: dict[int, str] = {}
    calls: dict[int, set[int]] = {}
    usage: Any = None
    for i, chunk in enumerate(chunks):
        if not isinstance(chunk, dict):
            raise ShapeError(f"{path}[{i}]", f"must be a chunk object, got {_type(chunk)}")
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            idx = choice.get("index", 0)
            delta = choice.get("delta") or {}
            if isinstance(delta.get("content"), str):
                content.setdefault(idx, []).append(delta["content"])
            if isinstance(delta.get("reasoning_content"), str):
                reasoning.setdefault(idx, []).append(delta["reasoning_content"])
            for call in delta.get("tool_calls") or []:
                if isinstance(call, dict):
                    calls.setdefault(idx, set()).add(call.get("index", 0))
            if isinstance(choice.get("finish_reason"), str):
                finish[idx] = choice["finish_reason"]
    choices = []
    for idx in sorted(set(content) | set(finish) | set(reasoning) | set(calls)):
        message: dict[str, Any] = {"role": "assistant", "content": "".join(content.get(idx, []))}
        if idx in reasoning:
            message["reasoning_content"] = "".join(reasoning[idx])
        if idx in calls:
            message["tool_calls"] = [{"type": "function"}] * len(calls[idx])
        choices.append({"index": idx, "message": message, "finish_reason": finish.get(idx)})
    out: dict[str, Any] = {"object": "chat.completion", "choices": choices}
    if isinstance(usage, dict):
        out["usage"] = usage
    return out


def embeddings_response(resp: dict[str, Any]) -> dict[str, Any]:
    """Keep the usage of an embeddings response and drop the vectors, which nobody reads."""
    return {k: v for k, v in resp.items() if k != "data"}
