"""Who a request speaks for: its bearer key checked against the store, briefly cached.

Checking a key costs a scrypt hash (tens of ms), so a key that passed is trusted for
`auth.cache_ttl_s` seconds, keyed by a SHA-256 of the secret (never the secret itself).
Revoking a key or suspending an account therefore takes effect within that time on every
replica, and at once on the replica that did it through `forget`.
"""

from __future__ import annotations

import asyncio
import hashlib
import time

from distillguard.errors import InvalidKeyError
from distillguard.gateway.api_errors import suspended, unauthorized
from distillguard.store import Principal, Store

_MAX_CACHED = 100_000


class Authenticator:
    def __init__(self, store: Store, ttl_s: float) -> None:
        self._store = store
        self._ttl_s = ttl_s
        self._cache: dict[bytes, tuple[float, Principal]] = {}

    async def principal(self, authorization: str | None) -> Principal:
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
        if hit is not None and hit[0] > now:
            who = hit[1]
        else:
            try:
                who = await asyncio.to_thread(self._store.authenticate, secret)
            except InvalidKeyError as err:
                raise unauthorized(f"Incorrect API key: {err.problem}.") from None
            if self._ttl_s > 0:
                if len(self._cache) >= _MAX_CACHED:
                    self._cache.clear()
                self._cache[digest] = (now + self._ttl_s, who)
        if not who.account.active:
            raise suspended(who.account.id)
        return who

    def forget(self) -> None:
        """Drop every cached key, after a revocation or suspension made here."""
        self._cache.clear()
