"""Bring other API body shapes into the Chat Completions shape that docs/events.md reads.

Provider logs hold more than chat completions: the Responses API (`input`/`output`),
Anthropic Messages (`system`, `content` blocks), streamed chunk lists, embeddings. These
pure functions turn each into a chat request or response body. They raise `ShapeError`
with the dotted path of the bad field; the converter adds the record's file and line.
"""

from __future__ import annotations

from typing import Any

from distillguard.events.fields import TEXT_PARTS, FieldError


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
        if isinstance(p, dict)
        and isinstance(p.get("type"), str)  # an unhashable type cannot be looked up in kinds
        and p["type"] in kinds
        and isinstance(p.get(key), str)
    ]
    return "\n".join(out)


_INPUT_TEXT = TEXT_PARTS
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
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("role"), str):
            content = _texts(item.get("content"), _INPUT_TEXT)
            messages.append({"role": item["role"], "content": content})
        elif item.get("type") == "function_call_output":
            # A tool's result sent back: the chat shape's `tool` message, so a tool loop
            # reads as one whichever API carried it.
            output = item.get("output")
            messages.append({"role": "tool", "content": _texts(output, _INPUT_TEXT)})
        # Other items without a role (function calls, reasoning) are not text anyone typed.
    return messages


def responses_response(resp: dict[str, Any], path: str = "response") -> dict[str, Any]:
    """A chat completion from a Responses API response (`output` items, `usage`)."""
    text: list[str] = []
    reasoning: list[str] = []
    calls = 0
    for item in _list(resp, "output", path):
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
    if status is not None and not isinstance(status, str):
        raise ShapeError(f"{path}.status", f"must be a string, got {_type(status)}")
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
    listed = blocks if isinstance(blocks, list) else []
    calls = sum(1 for b in listed if isinstance(b, dict) and b.get("type") == "tool_use")
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
    parts = _StreamParts()
    usage: Any = None
    for i, chunk in enumerate(chunks):
        if not isinstance(chunk, dict):
            raise ShapeError(f"{path}[{i}]", f"must be a chunk object, got {_type(chunk)}")
        usage = chunk.get("usage") or usage
        for j, choice in enumerate(_list(chunk, "choices", f"{path}[{i}]")):
            if isinstance(choice, dict):
                parts.add(choice, f"{path}[{i}].choices[{j}]")
    out: dict[str, Any] = {"object": "chat.completion", "choices": parts.choices()}
    if isinstance(usage, dict):
        out["usage"] = usage
    return out


class _StreamParts:
    """What the deltas of a stream say, per choice index."""

    def __init__(self) -> None:
        self.content: dict[int, list[str]] = {}
        self.reasoning: dict[int, list[str]] = {}
        self.finish: dict[int, str] = {}
        self.calls: dict[int, set[int]] = {}

    def add(self, choice: dict[str, Any], path: str) -> None:
        idx = _index(choice, path)
        delta = choice.get("delta") or {}
        if not isinstance(delta, dict):
            raise ShapeError(f"{path}.delta", f"must be an object, got {_type(delta)}")
        if isinstance(delta.get("content"), str):
            self.content.setdefault(idx, []).append(delta["content"])
        if isinstance(delta.get("reasoning_content"), str):
            self.reasoning.setdefault(idx, []).append(delta["reasoning_content"])
        for k, call in enumerate(_list(delta, "tool_calls", f"{path}.delta")):
            if isinstance(call, dict):
                self.calls.setdefault(idx, set()).add(_index(call, f"{path}.delta.tool_calls[{k}]"))
        if isinstance(choice.get("finish_reason"), str):
            self.finish[idx] = choice["finish_reason"]

    def choices(self) -> list[dict[str, Any]]:
        out = []
        for idx in sorted(
            set(self.content) | set(self.finish) | set(self.reasoning) | set(self.calls)
        ):
            message: dict[str, Any] = {
                "role": "assistant",
                "content": "".join(self.content.get(idx, [])),
            }
            if idx in self.reasoning:
                message["reasoning_content"] = "".join(self.reasoning[idx])
            if idx in self.calls:
                message["tool_calls"] = [{"type": "function"}] * len(self.calls[idx])
            out.append({"index": idx, "message": message, "finish_reason": self.finish.get(idx)})
        return out


def _index(obj: dict[str, Any], path: str) -> int:
    """The `index` of a streamed choice or tool call: a whole number, 0 when absent."""
    idx = obj.get("index", 0)
    if isinstance(idx, bool) or not isinstance(idx, int):
        raise ShapeError(f"{path}.index", f"must be an integer, got {_type(idx)}")
    return idx


def _list(obj: dict[str, Any], key: str, path: str) -> list[Any]:
    """An optional list field: absent or null reads as empty, any other non-list is bad."""
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ShapeError(f"{path}.{key}", f"must be a list, got {_type(value)}")
    return value


def embeddings_response(resp: dict[str, Any]) -> dict[str, Any]:
    """Keep the usage of an embeddings response and drop the vectors, which nobody reads."""
    return {k: v for k, v in resp.items() if k != "data"}
