"""Who is at the console: session cookies, sign-in throttling, CSRF tokens and roles.

The session cookie holds a random token (the store keeps its hash); it is Secure, HttpOnly
and SameSite=Strict, scoped to /console, and expires with the session. Browsers treat
http://127.0.0.1 and http://localhost as secure contexts, so a Secure cookie works there too.
Before sign-in, the login form is protected by a double-submit token (a cookie and the same
value in the form), so another site cannot sign a browser in as someone else.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from distillguard.console.errors import ForbiddenError, NotSignedInError, ThrottledError
from distillguard.console.forms import FormData, text
from distillguard.gateway.client_ip import ClientAddress
from distillguard.gateway.failures import FailureWindow
from distillguard.settings import Settings
from distillguard.store import ReviewerSession, Store
from distillguard.store.reviewers import LoginRejectedError, SessionExpiredError

SESSION_COOKIE = "dg_console"
LOGIN_COOKIE = "dg_console_login"
PATH = "/console"
LOGIN_TTL_S = 900  # a login form is good for this long
_REMEMBERED = 10_000  # addresses and names whose failures are counted, at most


@dataclass(frozen=True, slots=True)
class Visitor:
    """A signed-in reviewer on this request, with the CSRF token their forms carry."""

    session: ReviewerSession

    @property
    def name(self) -> str:
        return self.session.reviewer.name

    @property
    def can_act(self) -> bool:
        return self.session.reviewer.role.can_act

    @property
    def csrf(self) -> str:
        return self.session.csrf


def set_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        expires=max_age,
        path=PATH,
        secure=True,
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path=PATH, secure=True, httponly=True, samesite="strict")


def same(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


class Gate:
    def __init__(self, settings: Settings, store: Store) -> None:
        self._store = store
        self._ttl = settings.console.session_ttl_s
        per_min = settings.console.logins_per_min
        self._by_address: FailureWindow[str] = FailureWindow(per_min, _REMEMBERED)
        self._by_name: FailureWindow[str] = FailureWindow(per_min, _REMEMBERED)
        self._addresses = ClientAddress(settings.server.trusted_proxies)

    # -- every page
    async def visitor(self, request: Request) -> Visitor:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise NotSignedInError("sign in to use the console")
        try:
            session = await asyncio.to_thread(self._store.reviewer_session, token)
        except SessionExpiredError as err:
            raise NotSignedInError(str(err)) from None
        return Visitor(session)

    def check_csrf(self, visitor: Visitor, form: FormData) -> None:
        if not same(text(form, "csrf", required=False), visitor.csrf):
            raise ForbiddenError(
                "This form has no valid CSRF token (it is older than your session, or came "
                "from another site); reload the page and try again."
            )

    def require_actor(self, visitor: Visitor) -> None:
        if not visitor.can_act:
            raise ForbiddenError(
                f"{visitor.name} has the viewer role, which is read only; an admin can change "
                "it with `distillguard reviewers set NAME --role reviewer`."
            )

    # -- signing in and out
    def login_token(self) -> str:
        return secrets.token_urlsafe(24)

    async def sign_in(self, request: Request, form: FormData) -> ReviewerSession:
        """A new session for the form's name and password, or a `ThrottledError` /
        `LoginRejectedError`; both counts (address and name) grow on a failure."""
        if not same(text(form, "csrf", required=False), request.cookies.get(LOGIN_COOKIE, "")):
            raise ForbiddenError("The sign-in form expired; reload the page and sign in again.")
        name = text(form, "name")
        password = text(form, "password")
        address = self._address(request)
        now = time.monotonic()
        for window, key in ((self._by_address, address), (self._by_name, name)):
            retry = window.retry_after(key, now)
            if retry is not None:
                raise ThrottledError(
                    f"Too many failed sign-ins; try again in {retry} s.", retry_after=retry
                )
        try:
            return await asyncio.to_thread(self._store.login_reviewer, name, password, self._ttl)
        except LoginRejectedError:
            self._by_address.add(address, now)
            self._by_name.add(name, now)
            raise

    async def sign_out(self, request: Request) -> None:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await asyncio.to_thread(self._store.end_session, token)

    @property
    def ttl_s(self) -> int:
        return int(self._ttl)

    def _address(self, request: Request) -> str:
        peer = request.client.host if request.client else None
        return self._addresses.of(peer, request.headers.get("x-forwarded-for")) or "unknown"
