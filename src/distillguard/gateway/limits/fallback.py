"""A shared limiter that cannot fail a request: local buckets while Redis is unreachable.

When Redis does not answer (down, restarting, a network partition), a request must still get
an answer and leave its event, never a 500. For `fallback_s` after a failure, decisions are
made by this replica's own in-memory buckets, each counted in
`distillguard_limiter_fallbacks_total`; then Redis is tried again. While it lasts, a limit is
kept per replica rather than across them: with R replicas an account can get up to R times
its limit, for at most that long. That is the documented price of staying up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from distillguard.gateway.limits.base import RateLimiter, Verdict
from distillguard.gateway.limits.memory_limiter import MemoryRateLimiter
from distillguard.gateway.metrics import GatewayMetrics
from distillguard.store import Tier

log = logging.getLogger("distillguard.gateway.limits")
FALLBACK_S = 30.0


class FallbackRateLimiter:
    def __init__(
        self,
        shared: RateLimiter,
        metrics: GatewayMetrics,
        *,
        fallback_s: float = FALLBACK_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._shared = shared
        self._local = MemoryRateLimiter()
        self._metrics = metrics
        self._fallback_s = fallback_s
        self._clock = clock
        self._down_until = 0.0

    async def admit(self, account: str, tier: Tier, reserve: int = 0) -> Verdict:
        if self._clock() >= self._down_until:
            try:
                return await self._shared.admit(account, tier, reserve)
            except Exception as err:  # any failure of the shared store, by design
                self._failed("admit", err)
        self._metrics.limiter_fallbacks.labels("admit").inc()
        return await self._local.admit(account, tier, reserve)

    async def settle(self, account: str, tier: Tier, reserved: int, used: int) -> None:
        if self._clock() >= self._down_until:
            try:
                await self._shared.settle(account, tier, reserved, used)
                return
            except Exception as err:
                self._failed("settle", err)
        self._metrics.limiter_fallbacks.labels("settle").inc()
        await self._local.settle(account, tier, reserved, used)

    def _failed(self, operation: str, err: Exception) -> None:
        self._down_until = self._clock() + self._fallback_s
        log.warning(
            "shared rate limiter failed; using local buckets",
            extra={
                "operation": operation,
                "error": f"{type(err).__name__}: {err}"[:300],
                "for_s": self._fallback_s,
            },
        )

    async def aclose(self) -> None:
        try:
            await self._shared.aclose()
        finally:
            await self._local.aclose()
