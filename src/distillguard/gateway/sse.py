"""Server-sent events of a streamed completion: put the answer back together, frame errors.

The gateway forwards stream chunks untouched; once the stream is over, `assemble` rebuilds
from the same bytes the response body a non-streaming call would have returned, so the event
log holds the answer either way.

    >>> chunks = [b'data: {"choices": [{"index": 0, "delta": {"content": "Hi"}}]}\\n\\n',
    ...           b'data: {"choices": [{"index": 0, "delta": {"content": " there"}}]}\\n\\n'
    ...           b'data: [DONE]\\n\\n']
    >>> assemble(chunks, chat=True)["choices"][0]["message"]["content"]
    'Hi there'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson


def frames(chunks: Iterable[bytes]) -> list[dict[str, Any]]:
    """The JSON objects of the `data:` lines, in order; `[DONE]` and comments are skipped."""
    out = []
    for line in b"".join(chunks).split(b"\n"):
        if not line.startswith(b"data:"):
            continue
        data = line[5:].strip()
        if not data or data == b"[DONE]":
            continue
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out


def assemble(chunks: Iterable[bytes], *, chat: bool) -> dict[str, Any]:
    """The response body (`choices`, `usage`) that the stream's chunks add up to."""
    texts: dict[int, list[str]] = {}
    reasoning: dict[int, list[str]] = {}
    finish: dict[int, str | None] = {}
    tool_calls: dict[int, set[int]] = {}
    usage: dict[str, Any] | None = None
    for obj in frames(chunks):
        if isinstance(obj.get("usage"), dict):
            usage = obj["usage"]
        for c in obj.get("choices") or ():
            if not isinstance(c, dict):
                continue
            i = c.get("index", 0) if isinstance(c.get("index", 0), int) else 0
            texts.setdefault(i, [])
            if c.get("finish_reason"):
                finish[i] = c["finish_reason"]
            if not chat:
                if isinstance(c.get("text"), str):
                    texts[i].append(c["text"])
                continue
            delta = c.get("delta")
            if not isinstance(delta, dict):
                continue
            if isinstance(delta.get("content"), str):
                texts[i].append(delta["content"])
            if isinstance(delta.get("reasoning_content"), str):
                reasoning.setdefault(i, []).append(delta["reasoning_content"])
            for call in delta.get("tool_calls") or ():
                if isinstance(call, dict):
                    tool_calls.setdefault(i, set()).add(call.get("index", 0))
    choices = []
    for i in sorted(texts):
        text = "".join(texts[i])
        choice: dict[str, Any] = {"index": i, "finish_reason": finish.get(i)}
        if chat:
            message: dict[str, Any] = {"role": "assistant", "content": text}
            if i in reasoning:
                message["reasoning_content"] = "".join(reasoning[i])
            if i in tool_calls:
                message["tool_calls"] = [{"index": n} for n in sorted(tool_calls[i])]
            choice["message"] = message
        else:
            choice["text"] = text
        choices.append(choice)
    body: dict[str, Any] = {"choices": choices}
    if usage is not None:
        body["usage"] = usage
    return body


def error_frame(error_json: bytes) -> bytes:
    """An OpenAI error object as an SSE frame, to end a stream that failed midway."""
    return b"data: " + error_json + b"\n\n"
