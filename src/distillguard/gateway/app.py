"""`build_app(settings)`: the gateway as an ASGI app. The composition root of distillguard.

It opens the store (migrating it), and builds the limiter, the upstreams, the metrics and the
event recorder; the recorder's background task starts with the app's lifespan, and shutdown
drains it and closes every client. Nothing happens at import time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from distillguard.gateway.admin import AdminApi
from distillguard.gateway.api_errors import ApiError
from distillguard.gateway.auth import Authenticator
from distillguard.gateway.enforcement import Enforcement
from distillguard.gateway.limits import open_limiter
from distillguard.gateway.metrics import GatewayMetrics
from distillguard.gateway.openapi import openapi_endpoint
from distillguard.gateway.proxy import Proxy
from distillguard.gateway.recorder import EventRecorder
from distillguard.gateway.size_limits import SizeLimits
from distillguard.gateway.upstreams import open_router
from distillguard.pipeline.supervisor import WorkerProcess
from distillguard.settings import Settings
from distillguard.store import Store, open_store


def build_app(
    settings: Settings, *, store: Store | None = None, worker: WorkerProcess | None = None
) -> Starlette:
    """The gateway app; `store` lets a caller share one it already opened; `worker` is a
    detection worker to run beside it, from start to shutdown."""
    from distillguard.console import console_mount  # it imports gateway modules: not at the top

    store = store if store is not None else open_store(settings)
    metrics = GatewayMetrics()
    enforcement = Enforcement(settings.policy, store)
    recorder = EventRecorder(
        settings.events, metrics, store, settings.ledger, enforcement, settings.pipeline
    )
    auth = Authenticator(store, settings.auth, metrics)
    proxy = Proxy(
        settings,
        auth,
        open_limiter(settings.limits, metrics),
        open_router(settings),
        recorder,
        metrics,
        enforcement,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await recorder.start()
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            await proxy.drain()
            await recorder.stop()
            if worker is not None:
                await asyncio.to_thread(worker.stop)  # it reads the journal to its end
            await proxy.router.aclose()
            await proxy.limiter.aclose()
            store.close()

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    async def health(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", proxy.chat, methods=["POST"]),
            Route("/v1/completions", proxy.completions, methods=["POST"]),
            Route("/v1/models", proxy.models, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            Route("/healthz", health, methods=["GET"]),
            Route("/openapi.json", openapi_endpoint(settings), methods=["GET"]),
            *AdminApi(settings, store, auth, recorder, enforcement).routes(),
            console_mount(settings, store, auth, recorder, enforcement),
        ],
        lifespan=lifespan,
        middleware=[
            Middleware(
                SizeLimits,
                max_body_bytes=settings.server.max_body_bytes,
                max_header_bytes=settings.server.max_header_bytes,
            )
        ],
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    app.state.proxy = proxy
    app.state.recorder = recorder
    app.state.store = store
    app.state.enforcement = enforcement
    return app


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"No endpoint {request.url.path}; this gateway serves /v1/chat/completions, "
        message += "/v1/completions, /v1/models, /metrics, /healthz and /admin/..."
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}."
    else:
        message = str(exc.detail)
    return ApiError(exc.status_code, message, headers=exc.headers).response()


async def _server_error(request: Request, exc: Exception) -> Response:
    return ApiError(
        500, "The gateway failed on this request; it was logged.", type="server_error"
    ).response()
