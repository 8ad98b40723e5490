"""Simulated model responses: short content, realistic token counts and latency.

Content stays short (a truncated dataset answer, or a sentence of filler derived from
the prompt) so that a 300k-event log stays readable; the *token counts* carry the
realism: prompt tokens ~ len(text)/4 of the messages, completion tokens drawn from the
Azure 2023 GeneratedTokens distribution and scaled per persona, cut at `max_tokens`.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from typing import Any

import orjson

from distillguard.sim.traces import TraceSet

FAIL_RATE = 0.003  # rate limits and server errors, the same for every account
FAILURES = ((429, 0.6), (500, 0.2), (503, 0.15), (400, 0.05))
EFFORT_SCALE = {"low": 1.0, "medium": 2.5, "high": 5.0}
REASONING_SHARE = 0.85  # reasoning models sometimes answer without a visible trace
ANSWER_CHARS = 240

OPENERS = (
    "Sure.",
    "Here is a short answer.",
    "Good question.",
    "In brief:",
    "Certainly.",
    "Let me help with that.",
    "Here you go.",
)
BODIES = (
    "The key points are summarised below, with the most important one first.",
    "There are a few parts to this; the main idea is explained step by step.",
    "In short, it depends on the details, but the usual answer is outlined here.",
    "Below is a worked answer with a brief justification.",
    "The answer follows, then one example that makes it concrete.",
)
# Stand-in token strings (no tokenizer here); only their shape matters to detectors.
VOCAB = (
    " the",
    " a",
    " of",
    " to",
    " and",
    " is",
    " in",
    "A",
    "B",
    "C",
    "D",
    " yes",
    " no",
    ".",
    ",",
    " it",
    " that",
    " 1",
    " 2",
    " 3",
)


@dataclass(frozen=True, slots=True)
class Reply:
    """A response body (None when the request failed), its status, latency and text."""

    response: dict[str, Any] | None
    status: int
    latency_ms: float
    content: str


def filler(prompt: str) -> str:
    """One or two sentences derived from the prompt, the same for the same prompt."""
    h = zlib.crc32(prompt.encode("utf-8", "replace"))
    topic = " ".join(prompt.split()[:8]).replace('"', "'")
    return f'{OPENERS[h % len(OPENERS)]} On "{topic}": {BODIES[(h >> 4) % len(BODIES)]}'


def prompt_tokens(request: dict[str, Any]) -> int:
    """About four characters a token, plus a few tokens of chat framing per message."""
    messages = request.get("messages")
    if messages is None:
        prompt = request.get("prompt", "")
        text = prompt if isinstance(prompt, str) else "".join(prompt)
        return max(1, len(text) // 4)
    chars = 0
    for m in messages:
        c = m.get("content")
        if isinstance(c, str):
            chars += len(c)
        for call in m.get("tool_calls") or ():
            chars += len(call["function"]["arguments"]) + 16
    tools = request.get("tools")
    if tools:
        chars += len(orjson.dumps(tools))
    return max(1, chars // 4 + 4 * len(messages))


class Responder:
    """Builds response bodies; shared by all accounts, stateless apart from the traces."""

    def __init__(self, traces: TraceSet) -> None:
        self.lengths = {k: list(v) for k, v in traces.generated.items()}

    def completion(self, rng: random.Random, lengths: str, scale: float) -> int:
        base = rng.choice(self.lengths[lengths])
        return max(1, int(base * scale * rng.uniform(0.7, 1.3)))

    def reply(
        self,
        rng: random.Random,
        request: dict[str, Any],
        *,
        endpoint: str = "chat.completions",
        scale: float = 1.0,
        lengths: str = "conv",
        answer: str | None = None,
        tool: str | None = None,
    ) -> Reply:
        if rng.random() < FAIL_RATE:
            status = rng.choices([s for s, _ in FAILURES], [w for _, w in FAILURES])[0]
            return Reply(None, status, round(rng.uniform(20, 400), 1), "")
        p_tokens = prompt_tokens(request)
        prompt = _last_user(request)
        text = answer[:ANSWER_CHARS] if answer else filler(prompt)
        limit = request.get("max_tokens") or request.get("max_completion_tokens") or 1 << 16
        effort = request.get("reasoning_effort")
        choices = []
        completion_total = 0
        reasoning_total = 0
        for i in range(int(request.get("n") or 1)):
            tokens = self.completion(rng, lengths, scale)
            finish = "length" if tokens >= limit else "stop"
            tokens = min(tokens, limit)
            content = text if i == 0 else f"{text} (alternative {i + 1})"
            choice: dict[str, Any] = {"index": i, "finish_reason": finish}
            message: dict[str, Any] = {"role": "assistant", "content": content}
            if tokens == 1:
                content = message["content"] = _one_token(request, text)
            if tool:
                message = {"role": "assistant", "content": None, "tool_calls": [_call(rng, tool)]}
                choice["finish_reason"] = "tool_calls"
            if effort and rng.random() < REASONING_SHARE:
                reasoning = self.completion(rng, "conv", EFFORT_SCALE.get(effort, 2.0))
                reasoning_total += reasoning
                message["reasoning_content"] = f"Let me think. {filler(prompt)}"
            asked = request.get("logprobs")
            if asked is not None and asked is not False:
                if endpoint == "completions":  # legacy: an integer count of alternatives
                    choice["logprobs"] = _legacy_logprobs(rng, content, tokens, int(asked))
                else:
                    top = request.get("top_logprobs")
                    choice["logprobs"] = _logprobs(rng, content, tokens, top)
            if endpoint == "completions":
                choice["text"] = content
            else:
                choice["message"] = message
            choices.append(choice)
            completion_total += tokens
        usage: dict[str, Any] = {
            "prompt_tokens": p_tokens,
            "completion_tokens": completion_total + reasoning_total,
            "total_tokens": p_tokens + completion_total + reasoning_total,
        }
        if effort:
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_total}
        decode_ms = (completion_total + reasoning_total) * rng.uniform(8.0, 25.0)
        latency = rng.uniform(120, 450) + p_tokens * 0.02 + decode_ms
        body = {"model": request.get("model"), "choices": choices, "usage": usage}
        return Reply(body, 200, round(latency, 1), text)


def _last_user(request: dict[str, Any]) -> str:
    messages = request.get("messages")
    if messages is None:
        prompt = request.get("prompt", "")
        return prompt if isinstance(prompt, str) else " ".join(prompt)
    for m in reversed(messages):
        if m.get("role") == "user" and isinstance(m.get("content"), str):
            return str(m["content"])
    return ""


def _one_token(request: dict[str, Any], text: str) -> str:
    bias = request.get("logit_bias")
    if bias:  # a large positive bias wins the argmax: the probe reads it back
        return VOCAB[int(next(iter(bias))) % len(VOCAB)]
    return VOCAB[7 + zlib.crc32(text.encode()) % 4]  # "A".."D", as a multiple-choice answer


def _logprobs(rng: random.Random, content: str, tokens: int, top: Any) -> dict[str, Any]:
    # A few tokens only: the presence and width of logprobs matter, not their length.
    # Alternatives are listed best first, the sampled token among them, as the API does.
    k = int(top or 0)
    words = content.split()[: min(tokens, 3)] or [content or "."]
    entries = []
    for w in words:
        lp = -round(rng.expovariate(4.0), 4)
        others = [v for v in VOCAB if v.strip() != w.strip()]
        start = rng.randrange(len(others))
        alts = [{"token": w, "logprob": lp}] if k else []
        value = lp
        for j in range(k - 1):
            value -= rng.uniform(0.1, 1.5)
            alts.append({"token": others[(start + j) % len(others)], "logprob": round(value, 4)})
        entries.append({"token": w, "logprob": lp, "top_logprobs": alts})
    return {"content": entries}


def _legacy_logprobs(rng: random.Random, content: str, tokens: int, k: int) -> dict[str, Any]:
    """The completions endpoint's shape: parallel lists, alternatives as token -> logprob."""
    chat = _logprobs(rng, content, tokens, k)["content"]
    return {
        "tokens": [e["token"] for e in chat],
        "token_logprobs": [e["logprob"] for e in chat],
        "top_logprobs": [{a["token"]: a["logprob"] for a in e["top_logprobs"]} for e in chat],
    }


def _call(rng: random.Random, tool: str) -> dict[str, Any]:
    args = orjson.dumps({"path": f"src/module_{rng.randrange(40)}.py"}).decode()
    return {
        "id": f"call_{rng.getrandbits(48):012x}",
        "type": "function",
        "function": {"name": tool, "arguments": args},
    }
