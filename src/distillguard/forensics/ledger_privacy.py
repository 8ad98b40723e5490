"""`[ledger] prompts = "hashed"`: keep prompt and response text only as keyed hashes.

Each text becomes `"hmac-sha256:" + hex(HMAC-SHA256(secret, text as UTF-8))`. Whoever holds
the secret can later show that a given text is the one logged (compute its digest with
`PromptHasher.digest` and compare); without it the digest tells nothing about the text, and
unlike a plain hash it cannot be tested against guessed prompts. The chain is computed over the
stored (hashed) event, so verification needs neither the secret nor the text.

Replaced: `request.messages[].content` (a string; in a list of parts, each part's `text`, and
any other part as a whole), `request.messages[].tool_calls[].function.arguments`,
`request.prompt` (a string or each string of a list), and of every `response.choices[]`:
`message.content`, `message.reasoning_content`, `message.tool_calls[].function.arguments`,
`text` and `logprobs` (tokens are text too). Everything else (account, key, model, parameters,
usage, status) is kept, so slices and detection-relevant metadata survive. The input event is
never changed: the parts that are hashed are copied.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import orjson

PREFIX = "hmac-sha256:"


class PromptHasher:
    """Replaces the text of an event by keyed hashes; see the module docstring for which."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the prompt secret must be at least 16 bytes long")
        self._key = hmac.new(secret, digestmod=hashlib.sha256)

    def digest(self, text: str) -> str:
        mac = self._key.copy()
        mac.update(text.encode("utf-8"))
        return PREFIX + mac.hexdigest()

    def _value(self, value: Any) -> Any:
        """A text as a digest; any other JSON value by its canonical bytes' digest."""
        if value is None:
            return None
        if isinstance(value, str):
            return self.digest(value)
        return self.digest(orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8"))

    def apply(self, event: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(event)
        request = event.get("request")
        if isinstance(request, dict):
            out["request"] = self._request(request)
        response = event.get("response")
        if isinstance(response, dict):
            out["response"] = self._response(response)
        return out

    def _request(self, request: dict[str, Any]) -> dict[str, Any]:
        out = dict(request)
        messages = request.get("messages")
        if isinstance(messages, list):
            out["messages"] = [self._message(m) for m in messages]
        prompt = request.get("prompt")
        if isinstance(prompt, list):
            out["prompt"] = [self._value(p) for p in prompt]
        elif prompt is not None:
            out["prompt"] = self._value(prompt)
        return out

    def _message(self, message: Any) -> Any:
        if not isinstance(message, dict):
            return self._value(message)
        out = dict(message)
        for key in ("content", "reasoning_content"):
            content = message.get(key)
            if isinstance(content, list):
                out[key] = [self._part(p) for p in content]
            elif content is not None:
                out[key] = self._value(content)
        calls = message.get("tool_calls")
        if isinstance(calls, list):
            out["tool_calls"] = [self._call(c) for c in calls]
        return out

    def _part(self, part: Any) -> Any:
        if isinstance(part, dict) and part.get("type") == "text":
            return {**part, "text": self._value(part.get("text"))}
        kind = part.get("type") if isinstance(part, dict) else None
        return {"type": kind, "hmac": self._value(part)}

    def _call(self, call: Any) -> Any:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            return self._value(call)
        return {
            **call,
            "function": {**function, "arguments": self._value(function.get("arguments"))},
        }

    def _response(self, response: dict[str, Any]) -> dict[str, Any]:
        out = dict(response)
        choices = response.get("choices")
        if isinstance(choices, list):
            out["choices"] = [self._choice(c) for c in choices]
        return out

    def _choice(self, choice: Any) -> Any:
        if not isinstance(choice, dict):
            return self._value(choice)
        out = dict(choice)
        message = choice.get("message")
        if message is not None:
            out["message"] = self._message(message)
        for key in ("text", "logprobs"):
            if choice.get(key) is not None:
                out[key] = self._value(choice[key])
        return out
