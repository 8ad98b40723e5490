"""Any OpenAI-compatible server (vLLM, llama.cpp, TGI, a hosted API) over pooled HTTP/1.1.

This is `client = "httpx"`; the default is `AiohttpUpstream`, which costs far less CPU per
request under concurrency (`benchmarks/gateway`). One `httpx.AsyncClient` per upstream keeps
up to `max_connections` connections alive. The timeout bounds connecting (`connect_timeout_s`)
and each read (`timeout_s`): for a stream, the wait for the next chunk. A refused or broken
connection raises `UpstreamError`; a timeout `UpstreamTimeoutError`; an error status from the
upstream `UpstreamError` with its status and body, so the gateway can pass a 4xx on and turn a
5xx into a 502.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson

from distillguard.errors import UpstreamError, UpstreamTimeoutError
from distillguard.gateway.upstreams.base import Endpoint
from distillguard.settings import UpstreamSettings

_JSON = {"content-type": "application/json", "accept-encoding": "identity"}


class HttpUpstream:
    """`Upstream` that forwards to `settings.url`; the caller's key is never sent on."""

    def __init__(self, name: str, settings: UpstreamSettings) -> None:
        assert settings.url is not None  # checked by UpstreamSettings
        self.name = name
        self._timeout_s = settings.timeout_s
        headers = {}
        if settings.api_key is not None:
            headers["authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
        self._client = httpx.AsyncClient(
            base_url=settings.url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s),
            limits=httpx.Limits(
                max_connections=settings.max_connections,
                max_keepalive_connections=settings.max_connections,
            ),
        )

    def _failed(self, err: httpx.HTTPError) -> UpstreamError:
        if isinstance(err, httpx.TimeoutException):
            return UpstreamTimeoutError(
                self.name, f"no answer within {self._timeout_s:g}s ({type(err).__name__})"
            )
        return UpstreamError(self.name, f"{type(err).__name__}: {err}".rstrip(": "))

    def _refused(self, status: int, body: bytes) -> UpstreamError:
        return UpstreamError(self.name, f"answered HTTP {status}", status=status, body=body)

    async def complete(self, endpoint: Endpoint, body: dict[str, Any]) -> bytes:
        try:
            r = await self._client.post(endpoint.path, content=orjson.dumps(body), headers=_JSON)
        except httpx.HTTPError as err:
            raise self._failed(err) from None
        if r.status_code >= 400:
            raise self._refused(r.status_code, r.content)
        return r.content

    async def open_stream(self, endpoint: Endpoint, body: dict[str, Any]) -> HttpStream:
        request = self._client.build_request(
            "POST", endpoint.path, content=orjson.dumps(body), headers=_JSON
        )
        try:
            r = await self._client.send(request, stream=True)
        except httpx.HTTPError as err:
            raise self._failed(err) from None
        if r.status_code >= 400:
            try:
                content = await r.aread()
            except httpx.HTTPError:
                content = b""
            finally:
                await r.aclose()
            raise self._refused(r.status_code, content)
        return HttpStream(self, r)

    async def list_models(self) -> list[str]:
        try:
            r = await self._client.get("/models")
            r.raise_for_status()
            data = r.json().get("data") or []
        except (httpx.HTTPError, ValueError, AttributeError):
            return []
        return [m["id"] for m in data if isinstance(m, dict) and isinstance(m.get("id"), str)]

    async def aclose(self) -> None:
        await self._client.aclose()


class HttpStream:
    """The body of a streaming answer, chunk by chunk as the upstream sends it."""

    def __init__(self, upstream: HttpUpstream, response: httpx.Response) -> None:
        self._up = upstream
        self._response = response

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_bytes():
                yield chunk
        except httpx.HTTPError as err:
            raise self._up._failed(err) from None
        finally:
            await self._response.aclose()

    async def aclose(self) -> None:
        await self._response.aclose()
