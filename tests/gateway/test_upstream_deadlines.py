"""Upstreams that misbehave slowly or oddly: a total deadline, malformed stream chunks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import openai
import pytest
from gateway_harness import Gateway
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from distillguard.events import EventReader
from distillguard.gateway import BackgroundServer

ASK = [{"role": "user", "content": "Name the planets."}]
FRAME = b'data: {"choices": [{"index": 0, "delta": {"content": "Mercury"}}]}\n\n'


async def _odd(request: Request) -> Response:
    body = await request.json()

    async def drip() -> AsyncIterator[bytes]:  # each byte well within the read timeout
        for byte in b'{"choices": [{"index": 0, "message": {"content": "slow"}}]}':
            await asyncio.sleep(0.1)
            yield bytes([byte])

    async def bad_chunk() -> AsyncIterator[bytes]:
        yield FRAME
        yield b'data: {"choices": [{"index": 0, "delta": {"tool_calls": 5}}]}\n\n'
        yield FRAME

    async def drip_frames() -> AsyncIterator[bytes]:
        for _ in range(100):
            await asyncio.sleep(0.1)
            yield FRAME

    if body["model"] == "drip":
        return StreamingResponse(drip(), media_type="application/json")
    if body["model"] == "bad-chunk":
        return StreamingResponse(bad_chunk(), media_type="text/event-stream")
    return StreamingResponse(drip_frames(), media_type="text/event-stream")


@pytest.fixture(scope="module")
def odd_upstream() -> Iterator[str]:
    app = Starlette(routes=[Route("/v1/chat/completions", _odd, methods=["POST"])])
    with BackgroundServer(app) as server:
        yield server.url + "/v1"


@pytest.fixture(params=["httpx", "aiohttp"])
def gateway(
    request: pytest.FixtureRequest, start_gateway: Callable[..., Gateway], odd_upstream: str
) -> Gateway:
    upstream = {
        "kind": "http",
        "url": odd_upstream,
        "timeout_s": 0.5,
        "total_timeout_s": 1.0,
        "client": request.param,
    }
    return start_gateway(upstreams={"odd": upstream}, models={"*": "odd"})


def _statuses(gw: Gateway) -> list[object]:
    folder = Path(gw.app.state.proxy.settings.events.dir)
    gw.stop()
    return [e.raw["status"] for p in folder.glob("events-*.jsonl") for e in EventReader(p)]


def test_a_dripping_answer_is_cut_at_the_total_deadline(gateway: Gateway) -> None:
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as err:
        gateway.client().chat.completions.create(model="drip", messages=ASK)
    assert err.value.status_code == 504
    assert "took over 1s" in str(err.value)
    assert time.monotonic() - started < 3  # the drip would take ~6 s
    assert _statuses(gateway) == [504]


def test_a_dripping_stream_ends_with_an_error_frame_at_the_deadline(gateway: Gateway) -> None:
    started = time.monotonic()
    text = []
    with pytest.raises(openai.APIError, match="took over 1s"):
        for chunk in gateway.client().chat.completions.create(
            model="drip-frames", messages=ASK, stream=True
        ):
            text.append(chunk.choices[0].delta.content)
    assert 3 <= len(text) <= 12 and time.monotonic() - started < 3
    assert _statuses(gateway) == [504]


def test_a_malformed_chunk_ends_the_stream_with_an_error_frame(gateway: Gateway) -> None:
    got = []
    with pytest.raises(openai.APIError, match="tool_calls must be a list"):
        for chunk in gateway.client().chat.completions.create(
            model="bad-chunk", messages=ASK, stream=True
        ):
            got.append(chunk.choices[0].delta.content)
    # Relayed up to the chunk holding the bad frame (which may hold the first one too), never past.
    assert got in (["Mercury"], [])
    assert _statuses(gateway) == [502]
