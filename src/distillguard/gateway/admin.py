"""The admin API under `/admin`: accounts, keys, tiers and what detection thinks, over HTTP.

Off until `[admin] token` is set; every call sends it as `Authorization: Bearer TOKEN`
(compared in constant time). A client address that sends a wrong token
`ADMIN_FAILURES_PER_MIN` times in a minute is refused (429, Retry-After) until the minute is
over, even with the right token: otherwise a guess that hit would still show. Behind a proxy,
set `server.trusted_proxies` so that addresses are the clients'. It mirrors the CLI
(`distillguard accounts|keys ...`) for operators' tools that cannot run the CLI beside the
store. Errors use the OpenAI error JSON of the rest of the gateway, and never carry the
database URL. Store calls block, so they run in worker threads.

    GET  /admin/accounts                      POST /admin/accounts {name, tier?, org?, ...}
    GET  /admin/accounts/{id}                 PATCH /admin/accounts/{id} {verification?, ...}
    POST /admin/accounts/{id}/suspend         POST /admin/accounts/{id}/activate
    GET  /admin/accounts/{id}/keys            POST /admin/accounts/{id}/keys   (secret, once)
    POST /admin/keys/{key_id}/revoke          GET  /admin/tiers
    GET  /admin/detection                     flagged accounts and campaigns, with reasons

and the review queue and audit log of `admin_cases`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from distillguard.errors import InvalidValueError, NotFoundError, StoreUnavailableError
from distillguard.gateway.admin_body import attributes, field, json_response, object_body
from distillguard.gateway.admin_cases import CaseApi
from distillguard.gateway.api_errors import ApiError, bad_request
from distillguard.gateway.auth import Authenticator
from distillguard.gateway.client_ip import ClientAddress
from distillguard.gateway.enforcement import Enforcement
from distillguard.gateway.failures import FailureWindow
from distillguard.gateway.recorder import EventRecorder
from distillguard.settings import AdminSettings, Settings
from distillguard.store import AccountStatus, Store

T = TypeVar("T")
# Not a setting (settings.py belongs to the composition): wrong tokens an address may send a
# minute, and how many addresses are remembered (least recently seen forgotten first).
ADMIN_FAILURES_PER_MIN = 10
_ADDRESSES = 10_000
Handler = Callable[[Request], Awaitable[Response]]


def _record(value: Any) -> dict[str, Any]:
    return dataclasses.asdict(value)


class AdminApi:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        auth: Authenticator,
        recorder: EventRecorder,
        enforcement: Enforcement,
    ) -> None:
        self._settings: AdminSettings = settings.admin
        self._default_tier = settings.default_tier
        self._store = store
        self._auth = auth
        self._recorder = recorder
        self._enforcement = enforcement
        self._cases = CaseApi(store, auth, enforcement, settings.policy.sanction)
        self._addresses = ClientAddress(settings.server.trusted_proxies)
        self._failures: FailureWindow[str] = FailureWindow(ADMIN_FAILURES_PER_MIN, _ADDRESSES)

    def routes(self) -> list[BaseRoute]:
        g = self._guard
        return [
            Route("/admin/accounts", g(self.list_accounts), methods=["GET"]),
            Route("/admin/accounts", g(self.create_account), methods=["POST"]),
            Route("/admin/accounts/{id}", g(self.get_account), methods=["GET"]),
            Route("/admin/accounts/{id}", g(self.set_attributes), methods=["PATCH"]),
            Route("/admin/accounts/{id}/suspend", g(self.suspend), methods=["POST"]),
            Route("/admin/accounts/{id}/activate", g(self.activate), methods=["POST"]),
            Route("/admin/accounts/{id}/keys", g(self.list_keys), methods=["GET"]),
            Route("/admin/accounts/{id}/keys", g(self.create_key), methods=["POST"]),
            Route("/admin/keys/{id}/revoke", g(self.revoke_key), methods=["POST"]),
            Route("/admin/tiers", g(self.list_tiers), methods=["GET"]),
            Route("/admin/detection", g(self.detection), methods=["GET"]),
            *(Route(p, g(h), methods=[m]) for p, h, m in self._cases.handlers()),
        ]

    # -- the guard every route goes through
    def _guard(self, handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            self._check_token(request)
            try:
                return await handler(request)
            except NotFoundError as err:
                raise ApiError(404, str(err), code="not_found") from None
            except InvalidValueError as err:
                raise bad_request(str(err), err.field) from None
            except StoreUnavailableError:  # its message is for operators' logs, not clients
                raise ApiError(
                    503,
                    "The account store is unavailable; retry shortly.",
                    type="server_error",
                    code="store_unavailable",
                    headers={"retry-after": "5"},
                ) from None

        return guarded

    def _check_token(self, request: Request) -> None:
        token = self._settings.token
        if token is None:
            raise ApiError(
                404,
                "The admin API is off; set [admin] token (or DISTILLGUARD_ADMIN__TOKEN) to use it.",
                code="admin_disabled",
            )
        peer = request.client.host if request.client else None
        ip = self._addresses.of(peer, request.headers.get("x-forwarded-for")) or "unknown"
        now = time.monotonic()
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        expected = token.get_secret_value().encode()
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected):
            # The right token always passes: behind a load balancer every client shares one
            # address, and wrong guesses from anyone must not lock the operator out. Guessing
            # a token of 16+ random characters at 10 a minute is hopeless anyway.
            return
        self._refuse_if_failing(ip, now)
        self._failures.add(ip, now)
        raise ApiError(401, "A valid admin token is required.", code="invalid_admin_token")

    def _refuse_if_failing(self, ip: str, now: float) -> None:
        retry = self._failures.retry_after(ip, now)
        if retry is not None:
            raise ApiError(
                429,
                f"Too many wrong admin tokens from {ip}; retry after {retry} s.",
                type="requests",
                code="too_many_failed_tokens",
                headers={"retry-after": str(retry)},
            )

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(partial(fn, *args, **kwargs))

    # -- accounts
    async def list_accounts(self, request: Request) -> Response:
        accounts = await self._call(self._store.list_accounts)
        return json_response({"data": [_record(a) for a in accounts]})

    async def create_account(self, request: Request) -> Response:
        body = await object_body(request)
        name = field(body, "name", str, required=True)
        tier = field(body, "tier", str) or self._default_tier
        org = field(body, "org", str)
        account = await self._call(self._store.create_account, name, tier=tier, org=org)
        given = attributes(body)
        if given:
            account = await self._call(self._store.set_attributes, account.id, **given)
        return json_response(_record(account), 201)

    async def get_account(self, request: Request) -> Response:
        account = await self._call(self._store.get_account, request.path_params["id"])
        out = _record(account)
        out["detection"] = await asyncio.to_thread(self._account_detection, account.id)
        return json_response(out)

    async def set_attributes(self, request: Request) -> Response:
        given = attributes(await object_body(request))
        account_id = request.path_params["id"]
        account = await self._call(self._store.set_attributes, account_id, **given)
        self._auth.forget()  # cached principals carry the old attributes
        self._enforcement.introduce(account, account.tier, time.time())
        return json_response(_record(account))

    async def suspend(self, request: Request) -> Response:
        return await self._set_status(request, AccountStatus.SUSPENDED)

    async def activate(self, request: Request) -> Response:
        return await self._set_status(request, AccountStatus.ACTIVE)

    async def _set_status(self, request: Request, status: AccountStatus) -> Response:
        account = await self._call(self._store.set_status, request.path_params["id"], status)
        self._auth.forget()  # this replica at once; the others within auth.cache_ttl_s
        return json_response(_record(account))

    # -- keys and tiers
    async def list_keys(self, request: Request) -> Response:
        keys = await self._call(self._store.list_keys, request.path_params["id"])
        return json_response({"data": [_record(k) for k in keys]})

    async def create_key(self, request: Request) -> Response:
        issued = await self._call(self._store.create_key, request.path_params["id"])
        return json_response({"key": _record(issued.key), "secret": issued.secret}, 201)

    async def revoke_key(self, request: Request) -> Response:
        key = await self._call(self._store.revoke_key, request.path_params["id"])
        self._auth.forget()
        return json_response(_record(key))

    async def list_tiers(self, request: Request) -> Response:
        tiers = await self._call(self._store.list_tiers)
        out = []
        for t in tiers:
            row = _record(t)
            row["allowed_params"] = None if t.allowed_params is None else sorted(t.allowed_params)
            out.append(row)
        return json_response({"data": out})

    # -- detection
    async def detection(self, request: Request) -> Response:
        return json_response(await asyncio.to_thread(self._detection))

    def _detection(self) -> dict[str, Any]:
        analyzer = self._recorder.analyzer
        if analyzer is None:
            return {"enabled": False, "accounts": [], "campaigns": []}
        with self._recorder.lock:
            accounts, campaigns = analyzer.results()
            events = analyzer.events
        return {
            "enabled": True,
            "events": events,
            "threshold": analyzer.config.threshold,
            "accounts": [_record(a) for a in accounts if a.flagged],
            "campaigns": [_record(c) for c in campaigns],
        }

    def _account_detection(self, account_id: str) -> dict[str, Any] | None:
        analyzer = self._recorder.analyzer
        if analyzer is None or account_id not in analyzer.tracks:
            return None
        with self._recorder.lock:
            accounts, _ = analyzer.results()
        return next((_record(a) for a in accounts if a.account == account_id), None)
