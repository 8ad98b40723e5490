"""Who a request speaks for: its bearer key checked against the store, briefly cached.

Checking a key costs a scrypt hash (tens of ms), so a key that passed is trusted for
`auth.cache_ttl_s` seconds, keyed by a SHA-256 of the secret (never the secret itself). One
check per key runs at a time (concurrent requests with it wait for that one), and a busy key
is checked again in the background shortly before its entry expires (the entry serving on
while that check runs, at most a fifth of its lifetime past expiry), so its requests never
queue behind scrypt.
Revoking a key or suspending an account therefore takes effect within that time on every
replica, and at once on the replica that did it through `forget`.

The same cost makes bad keys a way to burn the gateway's CPU, so a rejected secret is
remembered for as long (a retry costs nothing), a client address past
`auth.failures_per_min` failed checks a minute is refused without checking, and at most
`auth.concurrent_checks` scrypt hashes run at once. While the store is down, keys in the
cache keep working and the rest get a 503.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any, TypeVar

from distillguard.errors import InvalidKeyError, StoreUnavailableError
from distillguard.gateway.api_errors import ApiError, suspended, unauthorized
from distillguard.gateway.metrics import GatewayMetrics
from distillguard.settings import AuthSettings
from distillguard.store import Principal, Store

_MAX_CACHED = 100_000
_WINDOW_S = 60.0
_STORE_RETRY_S = "5"
_REFRESH_AHEAD = 0.2  # in the last fifth of its time, a cached key is checked again
T = TypeVar("T", bound=dict[Any, Any])


class Authenticator:
    def __init__(self, store: Store, settings: AuthSettings, metrics: GatewayMetrics) -> None:
        self._store = store
        self._ttl_s = settings.cache_ttl_s
        self._max_failures = settings.failures_per_min
        self._checks = asyncio.Semaphore(settings.concurrent_checks)
        self._metrics = metrics
        self._cache: dict[bytes, tuple[float, Principal]] = {}
        self._rejected: dict[bytes, tuple[float, str]] = {}
        self._failures: dict[str, tuple[float, int]] = {}  # address -> (window start, count)
        self._inflight: dict[bytes, asyncio.Future[Principal]] = {}
        self._refreshes: set[asyncio.Task[None]] = set()

    async def principal(self, authorization: str | None, ip: str | None = None) -> Principal:
        """The account behind an `Authorization: Bearer KEY` header, or a 401/403 `ApiError`."""
        if not authorization:
            raise unauthorized("No API key provided; send it as 'Authorization: Bearer sk-dg-...'.")
        scheme, _, secret = authorization.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            raise unauthorized("The Authorization header must read 'Bearer sk-dg-...'.")
        digest = hashlib.sha256(secret.encode()).digest()
        now = time.monotonic()
        hit = self._cache.get(digest)
        # While the key's check runs, its entry still serves, for at most the refresh window
        # past its expiry: a refresh that lands a little late must not make requests wait.
        grace = self._ttl_s * _REFRESH_AHEAD if digest in self._inflight else 0.0
        if hit is not None and hit[0] + grace > now:
            who = hit[1]
            if hit[0] - now < self._ttl_s * _REFRESH_AHEAD and digest not in self._inflight:
                self._refresh(secret, digest, ip)
        else:
            who = await self._shared(secret, digest, ip)
        if not who.account.active:
            raise suspended(who.account.id)
        return who

    async def _shared(self, secret: str, digest: bytes, ip: str | None) -> Principal:
        """One check per key at a time: concurrent requests with the key wait for it."""
        pending = self._inflight.get(digest)
        if pending is None:
            pending = asyncio.ensure_future(self._check(secret, digest, ip, time.monotonic()))
            self._inflight[digest] = pending
            pending.add_done_callback(lambda _: self._inflight.pop(digest, None))
        return await asyncio.shield(pending)

    def _refresh(self, secret: str, digest: bytes, ip: str | None) -> None:
        """Check a cached key again shortly before it expires, while it is still served."""

        async def again() -> None:
            try:
                await self._shared(secret, digest, ip)
            except ApiError as err:
                if err.status == 401:  # revoked now: the next request is refused
                    self._cache.pop(digest, None)

        task = asyncio.ensure_future(again())
        self._refreshes.add(task)
        task.add_done_callback(self._refreshes.discard)

    async def _check(self, secret: str, digest: bytes, ip: str | None, now: float) -> Principal:
        rejected = self._rejected.get(digest)
        if rejected is not None and rejected[0] > now:
            raise unauthorized(f"Incorrect API key: {rejected[1]}.")
        self._refuse_if_failing(ip, now)
        try:
            async with self._checks:
                who = await asyncio.to_thread(self._store.authenticate, secret)
        except InvalidKeyError as err:
            self._remember_failure(digest, err.problem, ip, now)
            raise unauthorized(f"Incorrect API key: {err.problem}.") from None
        except StoreUnavailableError:
            self._metrics.auth_refused.labels("store_unavailable").inc()
            raise ApiError(
                503,
                "The account store is unavailable, so this key cannot be checked; retry shortly.",
                type="server_error",
                code="store_unavailable",
                headers={"retry-after": _STORE_RETRY_S},
            ) from None
        if self._ttl_s > 0:
            _bounded(self._cache)[digest] = (now + self._ttl_s, who)
        return who

    def _refuse_if_failing(self, ip: str | None, now: float) -> None:
        if ip is None:
            return
        start, count = self._failures.get(ip, (now, 0))
        if now - start < _WINDOW_S and count >= self._max_failures:
            self._metrics.auth_refused.labels("too_many_failures").inc()
            retry = max(1, int(start + _WINDOW_S - now + 0.999))
            raise ApiError(
                429,
                f"Too many failed API key checks from {ip}; retry after {retry} s.",
                type="requests",
                code="too_many_failed_keys",
                headers={"retry-after": str(retry)},
            )

    def _remember_failure(self, digest: bytes, problem: str, ip: str | None, now: float) -> None:
        _bounded(self._rejected)[digest] = (now + max(self._ttl_s, 1.0), problem)
        if ip is None:
            return
        start, count = self._failures.get(ip, (now, 0))
        if now - start >= _WINDOW_S:
            start, count = now, 0
        _bounded(self._failures)[ip] = (start, count + 1)

    def forget(self) -> None:
        """Drop every cached key, after a revocation or suspension made here."""
        self._cache.clear()


def _bounded(table: T, limit: int = _MAX_CACHED) -> T:
    """The table, emptied first when full: memory stays bounded whatever clients send."""
    if len(table) >= limit:
        table.clear()
    return table
