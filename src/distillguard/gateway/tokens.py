"""Token counts when an upstream gives none: about four characters a token, as for English.

>>> count_tokens("Explain why the sky is blue.")
7
"""

from __future__ import annotations

import math
from typing import Any


def count_tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def prompt_text(body: dict[str, Any]) -> str:
    """The text of a chat request's messages, or of a completions request's prompt."""
    prompt = body.get("prompt")
    if prompt is not None:
        return "\n".join(prompt) if isinstance(prompt, list) else str(prompt)
    parts = []
    for m in body.get("messages") or ():
        content = m.get("content") if isinstance(m, dict) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts += [p.get("text", "") for p in content if isinstance(p, dict)]
    return "\n".join(parts)


def answer_text(response: dict[str, Any]) -> str:
    parts = []
    for c in response.get("choices") or ():
        if not isinstance(c, dict):
            continue
        message = c.get("message")
        text = message.get("content") if isinstance(message, dict) else c.get("text")
        if isinstance(text, str):
            parts.append(text)
    return "\n".join(parts)


def used_tokens(body: dict[str, Any], response: dict[str, Any] | None) -> int:
    """Tokens a call used: the upstream's `usage` when it reported one, else an estimate."""
    if response is None:
        return 0
    usage = response.get("usage")
    if isinstance(usage, dict):
        total = usage.get("total_tokens")
        if isinstance(total, int):
            return total
        parts = (usage.get("prompt_tokens"), usage.get("completion_tokens"))
        if any(isinstance(p, int) for p in parts):
            return sum(p for p in parts if isinstance(p, int))
    return count_tokens(prompt_text(body)) + count_tokens(answer_text(response))
