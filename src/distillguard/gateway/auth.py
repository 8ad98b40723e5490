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
remembered for as long (a retry costs nothing), and at most `auth.concurrent_checks` scrypt
hashes run at once. Failed checks are counted per (client address, key id), the id read from
the secret's text without hashing (`sk-dg-<id>-<random>`); past `auth.failures_per_min` in a
minute that address is refused (429) for that key id without checking. Counting per address
alone let one attacker behind a load balancer lock every customer out; per pair, a flood of
wrong secrets never refuses another key's valid secret, and the flooded key's own secret
still passes if it passed here before (its digest is remembered). Secrets of no key's shape
are counted per address under one pseudo id and refused early past the limit: none can be a
real key. Ids the store does not have cost no scrypt (the store answers from its index, so
they cannot burn CPU); each is counted for its own id, and all of them per address, which
past the limit turns their 401 into a 429 asking the client to back off. They cannot be
refused before the lookup: only the store can tell them from a real key's id.

Every table (cache, rejected secrets, failure counts) is a bounded LRU: when full, the least
recently used entry goes, not the whole table (which reset every counter at once).
While the store is down, keys in the cache keep working and the rest get a 503.
"""

from __future__ import annotations

import asyncio
import hashlib
import time

from distillguard.errors import InvalidKeyError, StoreUnavailableError
from distillguard.gateway.api_errors import ApiError, suspended, unauthorized
from distillguard.gateway.failures import FailureWindow, Lru
from distillguard.gateway.metrics import GatewayMetrics
from distillguard.settings import AuthSettings
from distillguard.store import Principal, Store
from distillguard.store.secrets import key_id_of

_MAX_CACHED = 100_000
_STORE_RETRY_S = "5"
_REFRESH_AHEAD = 0.2  # in the last fifth of its time, a cached key is checked again
_NOT_OURS = "#malformed"  # the pseudo key id of secrets without a distillguard key's shape
_UNKNOWN = "#unknown"  # ... and of all secrets naming key ids the store does not have
_WHAT = {_NOT_OURS: "malformed keys", _UNKNOWN: "key ids that do not exist"}


class Authenticator:
    def __init__(
        self,
        store: Store,
        settings: AuthSettings,
        metrics: GatewayMetrics,
        *,
        max_entries: int = _MAX_CACHED,
    ) -> None:
        self._store = store
        self._ttl_s = settings.cache_ttl_s
        self._max_failures = settings.failures_per_min
        self._checks = asyncio.Semaphore(settings.concurrent_checks)
        self._metrics = metrics
        self._cache: Lru[bytes, tuple[float, Principal]] = Lru(max_entries)
        self._rejected: Lru[bytes, tuple[float, str]] = Lru(max_entries)
        # (address, key id) -> (window start, failures in it)
        self._failures: FailureWindow[tuple[str, str]] = FailureWindow(
            settings.failures_per_min, max_entries
        )
        # Digests that passed a check here -> the stored hash they matched: checked again,
        # they cost a store lookup, not a scrypt (which would take the gateway's core).
        self._passed: Lru[bytes, str] = Lru(max_entries)
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
        hit = self._cache.touch(digest)
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
        rejected = self._rejected.touch(digest)
        if rejected is not None and rejected[0] > now:
            raise unauthorized(f"Incorrect API key: {rejected[1]}.")
        claimed = key_id_of(secret) or _NOT_OURS
        if digest not in self._passed:
            self._refuse_if_failing(ip, claimed, now)
        try:
            async with self._checks:
                known = self._passed.get(digest, "")
                who = await asyncio.to_thread(self._store.authenticate, secret, known)
        except InvalidKeyError as err:
            self._rejected.put(digest, (now + max(self._ttl_s, 1.0), err.problem))
            self._passed.pop(digest, None)  # revoked since it passed: throttled like the rest
            self._count_failure(ip, claimed, now)
            if err.key_id is None and claimed != _NOT_OURS:  # an id the store does not have
                self._refuse_if_failing(ip, _UNKNOWN, now)
                self._count_failure(ip, _UNKNOWN, now)
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
        self._passed.put(digest, who.key_hash)
        if self._ttl_s > 0:
            self._cache.put(digest, (now + self._ttl_s, who))
        return who

    def _refuse_if_failing(self, ip: str | None, key_id: str, now: float) -> None:
        """A 429 if this address is past the limit of failed checks for this key id."""
        if ip is None:
            return
        retry = self._failures.retry_after((ip, key_id), now)
        if retry is not None:
            self._metrics.auth_refused.labels("too_many_failures").inc()
            what = _WHAT.get(key_id, f"key id {key_id}")
            raise ApiError(
                429,
                f"Too many failed API key checks for {what} from {ip}; retry after {retry} s.",
                type="requests",
                code="too_many_failed_keys",
                headers={"retry-after": str(retry)},
            )

    def _count_failure(self, ip: str | None, key_id: str, now: float) -> None:
        if ip is None:
            return
        self._failures.add((ip, key_id), now)

    def forget(self) -> None:
        """Drop every cached key, after a revocation or suspension made here."""
        self._cache.clear()
