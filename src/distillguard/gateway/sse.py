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

from collections.abc import Iterable, Iterator
from typing import Any

import orjson


def frames(chunks: Iterable[bytes]) -> list[dict[str, Any]]:
    """The JSON objects of the `data:` lines, in order; `[DONE]` and comments are skipped."""
    out = []
    for data in payloads(b"".join(chunks).split(b"\n")):
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out


def payloads(lines: Iterable[bytes]) -> Iterator[bytes]:
    """What the `data:` lines carry, but the empty ones and `[DONE]`."""
    for line in lines:
        if line.startswith(b"data:"):
            data = line[5:].strip()
            if data and data != b"[DONE]":
                yield data


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
            i = c.get("index", 0) if type(c.get("index", 0)) is int else 0
            texts.setdefault(i, [])
            if isinstance(c.get("finish_reason"), str):
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
            calls = delta.get("tool_calls")
            for call in calls if isinstance(calls, list) else ():
                if isinstance(call, dict):
                    n = call.get("index", 0)
                    tool_calls.setdefault(i, set()).add(n if type(n) is int else 0)
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


_MAX_LINE = 1 << 20  # an SSE line this long is not a chunk of an answer


class FrameChecker:
    """Checks a relayed stream frame by frame, across chunk boundaries: `feed` returns what is
    wrong with the first malformed frame (as a field path), or None while all is well.

    The gateway stops relaying there: a client must get an error frame, not a frame its SDK
    chokes on, and the event log must get the answer up to that point.
    """

    def __init__(self) -> None:
        self._partial = b""

    def feed(self, chunk: bytes) -> str | None:
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        if len(self._partial) > _MAX_LINE:
            return f"a stream line longer than {_MAX_LINE:,} bytes"
        for data in payloads(lines):
            try:
                obj = orjson.loads(data)
            except orjson.JSONDecodeError:
                return "a data line that is not JSON"
            problem = _frame_problem(obj)
            if problem is not None:
                return problem
        return None


def _frame_problem(obj: Any) -> str | None:
    if not isinstance(obj, dict):
        return "a frame that is not a JSON object"
    if "error" in obj:  # the upstream's own error frame is passed on as it is
        return None
    choices = obj.get("choices", [])
    if not isinstance(choices, list):
        return "choices must be a list"
    for n, c in enumerate(choices):
        if not isinstance(c, dict):
            return f"choices[{n}] must be an object"
        delta = c.get("delta")
        if delta is None:
            continue
        if not isinstance(delta, dict):
            return f"choices[{n}].delta must be an object"
        for key in ("content", "reasoning_content"):
            if delta.get(key) is not None and not isinstance(delta[key], str):
                return f"choices[{n}].delta.{key} must be a string"
        calls = delta.get("tool_calls")
        if calls is not None and not (
            isinstance(calls, list) and all(isinstance(x, dict) for x in calls)
        ):
            return f"choices[{n}].delta.tool_calls must be a list of objects"
    usage = obj.get("usage")
    if usage is not None and not isinstance(usage, dict):
        return "usage must be an object"
    return None


_DONE_MARKS = (b"data: [DONE]", b"data:[DONE]")


class DoneHolder:
    """Passes a stream's bytes on, but keeps its final `data: [DONE]` frame (and anything
    after it) until `release`: a client that has read [DONE] takes the answer as complete,
    so it must not get it before the request's event is durable.

    >>> h = DoneHolder()
    >>> h.feed(b'data: {"a":1}\\n\\ndata: [DO'), h.feed(b'NE]\\n\\n'), h.release()
    (b'data: {"a":1}\\n\\n', b'', b'data: [DONE]\\n\\n')
    """

    def __init__(self) -> None:
        self._carry = b""  # an end of the bytes so far that may begin the marker
        self._held: bytes | None = None

    def feed(self, data: bytes) -> bytes:
        if self._held is not None:
            self._held += data
            return b""
        buf = self._carry + data
        self._carry = b""
        found = [i for i in (buf.find(m) for m in _DONE_MARKS) if i >= 0]
        if found:
            at = min(found)
            self._held = buf[at:]
            return buf[:at]
        for k in range(min(len(_DONE_MARKS[0]) - 1, len(buf)), 0, -1):
            if any(m.startswith(buf[-k:]) for m in _DONE_MARKS):
                self._carry = buf[-k:]
                return buf[:-k]
        return buf

    def release(self) -> bytes:
        out = self._carry + (self._held or b"")
        self._carry, self._held = b"", None
        return out
