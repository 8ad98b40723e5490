"""A built-in model server: deterministic text from the prompt, realistic lengths, streaming.

The same model, prompt and choice index always give the same answer. Its length in tokens
(one word is one token here) is drawn from a log-normal around `median_tokens` seeded by the
prompt, and cut at `max_tokens` (finish_reason "length"). Latency is `latency_ms` before the
first token plus `token_ms` per token; both are 0 by default.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import random
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson

from distillguard.gateway.tokens import count_tokens, prompt_text
from distillguard.gateway.upstreams.base import Endpoint
from distillguard.settings import UpstreamSettings

_STOCK = (
    "the model answer is based on a careful reading of your question and the usual approach "
    "would be to consider each part in turn first we define the terms then we compare the "
    "options and finally we check the result against an example this method works well in "
    "practice because it keeps every step small clear and easy to verify note that other "
    "approaches exist and may suit different data or constraints so treat this as one "
    "reasonable path rather than the only one in short the key idea holds for most cases "
    "while a few edge cases need more care such as empty inputs large values or missing data"
)
_WORDS = tuple(_STOCK.split(" "))


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    tokens: int
    finish_reason: str


def compose(model: str, prompt: str, index: int, median: int, cap: int | None) -> Answer:
    """The answer of `model` to `prompt` (choice `index`): the same inputs, the same answer."""
    seed = hashlib.blake2b(f"{model}\x00{index}\x00{prompt}".encode(), digest_size=8).digest()
    rng = random.Random(int.from_bytes(seed, "big"))
    n = max(1, round(rng.lognormvariate(math.log(median), 0.6)))
    finish = "stop"
    if cap is not None and n > cap:
        n, finish = cap, "length"
    # Echo a few of the prompt's own words, as answers do, among the stock ones.
    echo = [w for w in prompt.split() if w.isalpha() and len(w) > 3][:40]
    words: list[str] = []
    for i in range(n):
        w = rng.choice(echo) if echo and rng.random() < 0.15 else rng.choice(_WORDS)
        if i == 0 or words[-1].endswith("."):
            w = w.capitalize()
        if i == n - 1 or rng.random() < 0.08:
            w += "."
        words.append(w)
    return Answer(" ".join(words), n, finish)


class SimulatedUpstream:
    """`Upstream` that answers every model name itself, without a network."""

    def __init__(self, name: str, settings: UpstreamSettings) -> None:
        self.name = name
        self._settings = settings

    def _answers(self, endpoint: Endpoint, body: dict[str, Any]) -> tuple[list[Answer], int]:
        prompt = prompt_text(body)
        cap = body.get("max_completion_tokens") or body.get("max_tokens")
        n = body.get("n") or 1
        model = str(body.get("model", ""))
        median = self._settings.median_tokens
        answers = [compose(model, prompt, i, median, cap) for i in range(n)]
        return answers, count_tokens(prompt)

    async def _wait(self, ms: float) -> None:
        if ms > 0:
            await asyncio.sleep(ms / 1000)

    async def complete(self, endpoint: Endpoint, body: dict[str, Any]) -> bytes:
        answers, prompt_tokens = self._answers(endpoint, body)
        used = sum(a.tokens for a in answers)
        await self._wait(self._settings.latency_ms + self._settings.token_ms * used)
        chat = endpoint is Endpoint.CHAT
        choices = [
            {
                "index": i,
                **(
                    {"message": {"role": "assistant", "content": a.text}}
                    if chat
                    else {"text": a.text}
                ),
                "finish_reason": a.finish_reason,
                "logprobs": None,
            }
            for i, a in enumerate(answers)
        ]
        return orjson.dumps(
            {
                "id": _id(chat),
                "object": "chat.completion" if chat else "text_completion",
                "created": int(time.time()),
                "model": body.get("model"),
                "choices": choices,
                "usage": _usage(prompt_tokens, used),
            }
        )

    async def open_stream(self, endpoint: Endpoint, body: dict[str, Any]) -> SimulatedStream:
        answers, prompt_tokens = self._answers(endpoint, body)
        return SimulatedStream(self, endpoint, body, answers, prompt_tokens)

    async def list_models(self) -> list[str]:
        return []

    async def aclose(self) -> None:
        return None


class SimulatedStream:
    """The SSE frames of simulated answers, a few words per chunk, paced like a model."""

    def __init__(
        self,
        upstream: SimulatedUpstream,
        endpoint: Endpoint,
        body: dict[str, Any],
        answers: list[Answer],
        prompt_tokens: int,
    ) -> None:
        self._up = upstream
        self._endpoint = endpoint
        self._body = body
        self._answers = answers
        self._prompt_tokens = prompt_tokens

    async def chunks(self) -> AsyncIterator[bytes]:
        chat = self._endpoint is Endpoint.CHAT
        base = {
            "id": _id(chat),
            "object": "chat.completion.chunk" if chat else "text_completion",
            "created": int(time.time()),
            "model": self._body.get("model"),
        }
        settings = self._up._settings
        await self._up._wait(settings.latency_ms)
        for i, answer in enumerate(self._answers):
            if chat:
                yield _frame(base, [_delta(i, {"role": "assistant", "content": ""}, None)])
            words = answer.text.split(" ")
            step = 3
            for start in range(0, len(words), step):
                piece = " ".join(words[start : start + step])
                if start:
                    piece = " " + piece
                await self._up._wait(settings.token_ms * min(step, len(words) - start))
                choice = _delta(i, {"content": piece}, None) if chat else _text(i, piece, None)
                yield _frame(base, [choice])
            finish = answer.finish_reason
            end = _delta(i, {}, finish) if chat else _text(i, "", finish)
            yield _frame(base, [end])
        options = self._body.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage"):
            used = sum(a.tokens for a in self._answers)
            yield _frame(base, [], usage=_usage(self._prompt_tokens, used))
        yield b"data: [DONE]\n\n"

    async def aclose(self) -> None:
        return None


def _id(chat: bool) -> str:
    return ("chatcmpl-" if chat else "cmpl-") + secrets.token_hex(12)


def _usage(prompt: int, completion: int) -> dict[str, int]:
    total = prompt + completion
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}


def _delta(i: int, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {"index": i, "delta": delta, "finish_reason": finish, "logprobs": None}


def _text(i: int, text: str, finish: str | None) -> dict[str, Any]:
    return {"index": i, "text": text, "finish_reason": finish, "logprobs": None}


def _frame(base: dict[str, Any], choices: list[dict[str, Any]], **extra: Any) -> bytes:
    return b"data: " + orjson.dumps({**base, "choices": choices, **extra}) + b"\n\n"
