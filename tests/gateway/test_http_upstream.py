"""The HTTP upstream, with each client (httpx, aiohttp): another gateway as the model server,
servers that fail in each way, streaming chunk by chunk, the connection pool and its limit."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import openai
import orjson
import pytest
from gateway_harness import Gateway
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from distillguard.errors import UpstreamTimeoutError
from distillguard.gateway import BackgroundServer
from distillguard.gateway.upstreams import Endpoint, Upstream, open_router
from distillguard.settings import Settings, UpstreamSettings

CLIENTS = ("httpx", "aiohttp")
ASK = [{"role": "user", "content": "Summarise the causes of the French Revolution."}]


async def _misbehave(request: Request) -> Response:
    body = await request.json()
    model = body["model"]
    if model == "boom":
        return JSONResponse({"error": {"message": "kaput", "type": "server_error"}}, 500)
    if model == "refuse":
        error = {
            "message": "This model's maximum context length is 8 tokens.",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        }
        return JSONResponse({"error": error}, 400)
    if model == "slow":
        await asyncio.sleep(1.2)
        return JSONResponse({"choices": []})

    async def cut() -> AsyncIterator[bytes]:
        yield b'data: {"choices": [{"index": 0, "delta": {"content": "Half"}}]}\n\n'
        await asyncio.sleep(0.05)
        raise RuntimeError("upstream died midway")

    return StreamingResponse(cut(), media_type="text/event-stream")


@pytest.fixture(scope="module")
def bad_upstream() -> Iterator[str]:
    app = Starlette(routes=[Route("/v1/chat/completions", _misbehave, methods=["POST"])])
    with BackgroundServer(app) as server:
        yield server.url + "/v1"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=CLIENTS)
def fronting(
    request: pytest.FixtureRequest, start_gateway: Callable[..., Gateway], bad_upstream: str
) -> Callable[[str], Gateway]:
    def make(url: str = bad_upstream, secret: str | None = None) -> Gateway:
        upstream = {
            "kind": "http",
            "url": url,
            # Under the "slow" model's 1.2 s, and well over the 0.05 s a cut stream takes
            # to close (0.3 s timed out once on a loaded CI machine).
            "timeout_s": 0.8,
            "connect_timeout_s": 0.5,
            "client": request.param,
        }
        if secret:
            upstream["api_key"] = secret
        return start_gateway(upstreams={"far": upstream}, models={"*": "far"})

    return make


def test_another_gateway_as_upstream(
    start_gateway: Callable[..., Gateway], fronting: Callable[..., Gateway]
) -> None:
    inner = start_gateway()
    outer = fronting(inner.url + "/v1", inner.secret)
    client = outer.client()
    direct = inner.client().chat.completions.create(model="sim-large", messages=ASK)
    relayed = client.chat.completions.create(model="sim-large", messages=ASK)
    assert relayed.choices[0].message.content == direct.choices[0].message.content
    streamed = client.chat.completions.create(model="sim-large", messages=ASK, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
    assert text == direct.choices[0].message.content
    assert sorted(m.id for m in client.models.list()) == ["sim-large", "sim-small"]
    # The outer gateway spoke to the inner one with its own key, not the caller's.
    assert inner.store.list_accounts()[0].id == inner.account.id


def test_upstream_5xx_is_502(fronting: Callable[..., Gateway]) -> None:
    gw = fronting()
    with pytest.raises(openai.APIStatusError) as err:
        gw.client().chat.completions.create(model="boom", messages=ASK)
    assert err.value.status_code == 502
    assert err.value.type == "upstream_error"


def test_upstream_4xx_is_passed_on(fronting: Callable[..., Gateway]) -> None:
    gw = fronting()
    with pytest.raises(openai.BadRequestError) as err:
        gw.client().chat.completions.create(model="refuse", messages=ASK)
    assert err.value.code == "context_length_exceeded"
    assert err.value.param == "messages"


def test_upstream_timeout_is_504(fronting: Callable[..., Gateway]) -> None:
    gw = fronting()
    for stream in (False, True):
        with pytest.raises(openai.APIStatusError) as err:
            gw.client().chat.completions.create(model="slow", messages=ASK, stream=stream)
        assert err.value.status_code == 504
        assert err.value.code == "upstream_timeout"


def test_unreachable_upstream_is_502(fronting: Callable[..., Gateway]) -> None:
    gw = fronting(f"http://127.0.0.1:{_closed_port()}/v1")
    for stream in (False, True):
        with pytest.raises(openai.APIStatusError) as err:
            gw.client().chat.completions.create(model="any", messages=ASK, stream=stream)
        assert err.value.status_code == 502
        # httpx names it ConnectError, aiohttp ClientConnectorError.
        assert re.search(r"The model server failed \(\w*Connect\w*Error: ", err.value.message)


def test_stream_cut_midway_ends_with_an_error(fronting: Callable[..., Gateway]) -> None:
    gw = fronting()
    got = []
    with pytest.raises(openai.APIError, match="model server failed"):
        for chunk in gw.client().chat.completions.create(model="cut", messages=ASK, stream=True):
            got.append(chunk.choices[0].delta.content)
    assert got == ["Half"]


def test_failures_are_counted_in_metrics(fronting: Callable[..., Gateway]) -> None:
    import httpx

    gw = fronting()
    with pytest.raises(openai.APIStatusError):
        gw.client().chat.completions.create(model="boom", messages=ASK)
    text = httpx.get(gw.url + "/metrics").text
    assert 'distillguard_upstream_errors_total{kind="status",upstream="far"} 1.0' in text
    assert 'distillguard_requests_total{endpoint="chat.completions",status="502"} 1.0' in text


# -- each client on its own, without a gateway in front


class Probe:
    """A model server that records its connections and lets a test pace a stream."""

    def __init__(self) -> None:
        self.peers: set[tuple[str, int]] = set()
        self.active = 0
        self.most_active = 0
        self.seen_first = threading.Event()
        self.paced = False  # the client held the first chunk before the second was sent

    async def handle(self, request: Request) -> Response:
        if request.client is not None:
            self.peers.add((request.client.host, request.client.port))
        body = await request.json()
        model = body["model"]
        if model == "hold":
            self.active += 1
            self.most_active = max(self.most_active, self.active)
            await asyncio.sleep(0.15)
            self.active -= 1
            return JSONResponse({"id": body["user"], "choices": []})

        async def paced() -> AsyncIterator[bytes]:
            yield b"data: first\n\n"
            if model == "stall":
                await asyncio.sleep(1.0)
            else:  # the second chunk only once the client holds the first
                self.paced = await asyncio.to_thread(self.seen_first.wait, 5)
            yield b"data: second\n\n"

        return StreamingResponse(paced(), media_type="text/event-stream")


@pytest.fixture
def probe() -> Iterator[tuple[Probe, str]]:
    p = Probe()
    app = Starlette(routes=[Route("/v1/chat/completions", p.handle, methods=["POST"])])
    with BackgroundServer(app) as server:
        yield p, server.url + "/v1"


def _upstream(client: str, url: str, **conf: Any) -> Upstream:
    settings = UpstreamSettings(kind="http", url=url, client=client, **conf)
    return open_router(Settings(upstreams={"u": settings}, models={"*": "u"})).upstreams["u"]


@pytest.mark.parametrize("client", CLIENTS)
def test_stream_is_relayed_chunk_by_chunk(client: str, probe: tuple[Probe, str]) -> None:
    server, url = probe

    async def read() -> list[bytes]:
        up = _upstream(client, url, timeout_s=10)
        stream = await up.open_stream(Endpoint.CHAT, {"model": "drip", "stream": True})
        got = []
        async for chunk in stream.chunks():
            got.append(chunk)
            server.seen_first.set()  # the server sends the rest only now
        await up.aclose()
        return got

    got = asyncio.run(read())
    assert got[0] == b"data: first\n\n"
    assert b"".join(got) == b"data: first\n\ndata: second\n\n"
    assert server.paced


@pytest.mark.parametrize("client", CLIENTS)
def test_stream_stalled_midway_times_out(client: str, probe: tuple[Probe, str]) -> None:
    async def read() -> list[bytes]:
        up = _upstream(client, probe[1], timeout_s=0.3)
        got = []
        try:
            stream = await up.open_stream(Endpoint.CHAT, {"model": "stall", "stream": True})
            async for chunk in stream.chunks():
                got.append(chunk)
        finally:
            await up.aclose()
        return got

    with pytest.raises(UpstreamTimeoutError, match=r"no answer within 0\.3s") as err:
        asyncio.run(read())
    assert err.value.upstream == "u"


@pytest.mark.parametrize("client", CLIENTS)
def test_connections_are_pooled_and_capped(client: str, probe: tuple[Probe, str]) -> None:
    server, url = probe

    async def burst() -> list[bytes]:
        up = _upstream(client, url, max_connections=3, timeout_s=5)
        try:
            asks = [up.complete(Endpoint.CHAT, {"model": "hold", "user": str(i)}) for i in range(9)]
            answers = await asyncio.gather(*asks)
            # Later requests reuse the pooled connections rather than opening new ones.
            answers.append(await up.complete(Endpoint.CHAT, {"model": "hold", "user": "last"}))
            return answers
        finally:
            await up.aclose()

    answers = asyncio.run(burst())
    assert [orjson.loads(a)["id"] for a in answers] == [*map(str, range(9)), "last"]
    assert server.most_active == 3
    assert len(server.peers) == 3
