"""The console as a Starlette app mounted at /console: routes, templates, headers, error pages.

Every response carries a strict Content-Security-Policy (scripts, styles and images from the
console itself, no inline code, no framing, forms posting only here); templates escape
everything (Jinja2 autoescape), so text an attacker controls (prompts, account names, user
agents) is shown as text. Errors are pages: a bad form value is a 400 naming the field.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from distillguard.console.actions import Actions
from distillguard.console.errors import (
    ConsoleError,
    NotSignedInError,
    PageNotFoundError,
    ThrottledError,
)
from distillguard.console.pages import Pages
from distillguard.console.sessions import PATH, Gate
from distillguard.console.views import Views
from distillguard.errors import (
    InvalidValueError,
    NotFoundError,
    StoreError,
    StoreUnavailableError,
)
from distillguard.gateway.auth import Authenticator
from distillguard.gateway.enforcement import Enforcement
from distillguard.gateway.recorder import EventRecorder
from distillguard.settings import Settings
from distillguard.store import Store

log = logging.getLogger("distillguard.console")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """Adds the headers above to every console response; pages are not cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(PATH + "/static/")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(HEADERS)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, sending)


def templates() -> Environment:
    env = Environment(
        loader=PackageLoader("distillguard.console", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    return env


def _when(ts: float | None) -> str:
    from datetime import UTC, datetime

    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def console_mount(
    settings: Settings,
    store: Store,
    auth: Authenticator,
    recorder: EventRecorder,
    enforcement: Enforcement,
) -> Mount:
    """The console's routes under /console, for the gateway's route list."""
    env = templates()
    gate = Gate(settings, store)
    views = Views(settings, store, recorder, enforcement)
    pages = Pages(env, gate, store, views, recorder, settings)
    actions = Actions(gate, store, auth, enforcement, settings, env)
    page = _error_page(env)
    routes: list[BaseRoute] = [
        Route(r.path, _guarded(r.endpoint, page), methods=r.methods)
        for r in [*pages.routes(), *actions.routes()]
        if isinstance(r, Route)
    ]
    if not settings.console.enabled:
        routes = []
    routes.append(Mount("/static", StaticFiles(packages=[("distillguard.console", "static")])))
    routes.append(Route("/{rest:path}", _guarded(_missing, page), methods=["GET", "POST"]))
    return Mount(PATH, app=SecurityHeaders(Router(routes)))


async def _missing(request: Request) -> Response:
    raise PageNotFoundError("No such page in the console (is [console] enabled?).")


def _guarded(
    handler: Callable[[Request], Awaitable[Response]],
    page: Callable[[Request, Exception], Response],
) -> Callable[[Request], Awaitable[Response]]:
    """Every failure as a page: a form problem a 400, a missing case a 404, and so on."""

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except Exception as exc:  # each kind gets its page; the unknown ones are logged
            if not isinstance(exc, (ConsoleError, StoreError)):
                log.exception("console request failed: %s %s", request.method, request.url.path)
            return page(request, exc)

    return run


def _error_page(env: Environment) -> Callable[[Request, Exception], Response]:
    template = env.get_template("error.j2")

    def render(request: Request, exc: Exception) -> Response:
        if isinstance(exc, NotSignedInError):
            return RedirectResponse(PATH + "/login", status_code=303)
        status, message, headers = _described(exc)
        html = template.render(status=status, message=message, visitor=None, root=PATH)
        return HTMLResponse(html, status_code=status, headers=headers)

    return render


def _described(exc: Exception) -> tuple[int, str, dict[str, str]]:
    if isinstance(exc, ThrottledError):
        return exc.status, exc.message, {"retry-after": str(exc.retry_after)}
    if isinstance(exc, ConsoleError):
        return exc.status, exc.message, {}
    if isinstance(exc, NotFoundError):
        return 404, str(exc).split(";")[0] + ".", {}
    if isinstance(exc, InvalidValueError):
        return 400, str(exc), {}
    if isinstance(exc, StoreUnavailableError):
        return 503, "The store is unavailable; retry shortly.", {"retry-after": "5"}
    return 500, "The console failed on this request; it was logged.", {}
