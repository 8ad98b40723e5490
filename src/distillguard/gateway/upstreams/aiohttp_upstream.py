"""Any OpenAI-compatible server over pooled HTTP/1.1, with aiohttp (`client = "aiohttp"`, the
default).

The same contract as `HttpUpstream` (httpx) with a much cheaper client on the hot path: with
100 requests in flight it spends a fraction of httpx's CPU time per request, and the gateway
answers several times more requests per core (`benchmarks/gateway/RESULTS.md`). One
`aiohttp.ClientSession` per upstream keeps up to `max_connections` connections alive; it is
opened on first use, because a session belongs to the event loop that serves the gateway and
none runs while the app is built.

Timeouts mirror httpx's: `connect_timeout_s` bounds opening a connection, `timeout_s` bounds
waiting for a free pooled connection and each read (for a stream, the wait for the next
chunk). A refused or broken connection raises `UpstreamError`; a timeout
`UpstreamTimeoutError`; an error status `UpstreamError` with its status and body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
from yarl import URL

from distillguard.errors import UpstreamError, UpstreamTimeoutError
from distillguard.gateway.upstreams.base import Endpoint
from distillguard.settings import UpstreamSettings

_JSON = {"content-type": "application/json", "accept-encoding": "identity"}
_IDLE_S = 4.0


class AiohttpUpstream:
    """`Upstream` that forwards to `settings.url`; the caller's key is never sent on."""

    def __init__(self, name: str, settings: UpstreamSettings) -> None:
        assert settings.url is not None  # checked by UpstreamSettings
        self.name = name
        self._settings = settings
        base = settings.url.rstrip("/")
        # Parsed once: building a URL from a string on every request shows in profiles.
        self._urls = {e: URL(base + e.path) for e in Endpoint}
        self._models_url = URL(base + "/models")
        self._headers = dict(_JSON)
        if settings.api_key is not None:
            self._headers["authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            s = self._settings
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=s.max_connections,
                    limit_per_host=0,
                    # Below the 5 s after which uvicorn-based model servers (vLLM, ...) close
                    # an idle connection, so a request is not sent down one being closed.
                    keepalive_timeout=_IDLE_S,
                ),
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=s.timeout_s,  # pool wait + connect, like httpx's pool timeout
                    sock_connect=s.connect_timeout_s,
                    sock_read=s.timeout_s,
                ),
                headers=self._headers,
                skip_auto_headers=("user-agent",),
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    def _failed(self, err: Exception) -> UpstreamError:
        if isinstance(err, TimeoutError):  # aiohttp's timeouts subclass it
            return UpstreamTimeoutError(
                self.name, f"no answer within {self._settings.timeout_s:g}s ({type(err).__name__})"
            )
        return UpstreamError(self.name, f"{type(err).__name__}: {err}".rstrip(": "))

    def _refused(self, status: int, body: bytes) -> UpstreamError:
        return UpstreamError(self.name, f"answered HTTP {status}", status=status, body=body)

    async def complete(self, endpoint: Endpoint, body: dict[str, Any]) -> bytes:
        try:
            async with self._client().post(self._urls[endpoint], data=orjson.dumps(body)) as r:
                content = await r.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise self._failed(err) from None
        if r.status >= 400:
            raise self._refused(r.status, content)
        return content

    async def open_stream(self, endpoint: Endpoint, body: dict[str, Any]) -> AiohttpStream:
        try:
            r = await self._client().post(self._urls[endpoint], data=orjson.dumps(body))
        except (aiohttp.ClientError, TimeoutError) as err:
            raise self._failed(err) from None
        if r.status >= 400:
            try:
                content = await r.read()
            except (aiohttp.ClientError, TimeoutError):
                content = b""
            finally:
                r.release()
            raise self._refused(r.status, content)
        return AiohttpStream(self, r)

    async def list_models(self) -> list[str]:
        try:
            async with self._client().get(self._models_url) as r:
                if r.status >= 400:
                    return []
                data = orjson.loads(await r.read()).get("data") or []
        except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError, AttributeError):
            return []
        return [m["id"] for m in data if isinstance(m, dict) and isinstance(m.get("id"), str)]

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class AiohttpStream:
    """The body of a streaming answer, chunk by chunk as the upstream sends it."""

    def __init__(self, upstream: AiohttpUpstream, response: aiohttp.ClientResponse) -> None:
        self._up = upstream
        self._response = response

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except (aiohttp.ClientError, TimeoutError) as err:
            raise self._up._failed(err) from None
        finally:
            self._response.release()

    async def aclose(self) -> None:
        # A connection whose answer was not read to the end is closed, not pooled.
        self._response.release()
