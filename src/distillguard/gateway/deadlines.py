"""A total deadline on an upstream call, beside the per-read timeouts of its HTTP client.

A server that drips one byte at a time passes every read timeout; `total_timeout_s` of its
`[upstreams.NAME]` bounds the whole answer, from the request going out to the last chunk.
Running past it raises `UpstreamTimeoutError`, as a read timeout does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

from distillguard.errors import UpstreamTimeoutError
from distillguard.gateway.upstreams import ReplyStream, Upstream
from distillguard.settings import Settings

DEFAULT_S = 600.0
T = TypeVar("T")


def total_timeout(settings: Settings, upstream: Upstream) -> float:
    conf = settings.upstreams.get(upstream.name)
    return conf.total_timeout_s if conf is not None else DEFAULT_S


def _late(upstream: Upstream, total: float) -> UpstreamTimeoutError:
    return UpstreamTimeoutError(upstream.name, f"the whole answer took over {total:g}s")


async def within(call: Awaitable[T], upstream: Upstream, deadline: float, total: float) -> T:
    """`call` (an upstream's `complete` or `open_stream`), cut at `deadline` (loop time)."""
    try:
        async with asyncio.timeout_at(deadline):
            return await call
    except TimeoutError:
        raise _late(upstream, total) from None


async def chunks(
    upstream: Upstream, stream: ReplyStream, deadline: float, total: float
) -> AsyncIterator[bytes]:
    """The stream's chunks until `deadline` (loop time). The timeout wraps each wait for the
    next chunk, never a `yield`, so it cannot fire while the client is being written to."""
    it = aiter(stream.chunks())
    while True:
        try:
            async with asyncio.timeout_at(deadline):
                chunk = await anext(it)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise _late(upstream, total) from None
        yield chunk
