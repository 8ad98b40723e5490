"""Rate limits per account: in this process by default, in Redis to hold across replicas."""

from __future__ import annotations

from distillguard.gateway.limits.base import RateLimiter, Verdict
from distillguard.gateway.limits.memory_limiter import MemoryRateLimiter
from distillguard.gateway.metrics import GatewayMetrics
from distillguard.settings import LimitSettings

__all__ = ["MemoryRateLimiter", "RateLimiter", "Verdict", "open_limiter"]


def open_limiter(settings: LimitSettings, metrics: GatewayMetrics) -> RateLimiter:
    """The limiter the settings name; the only place a limiter backend is chosen."""
    if settings.backend == "redis":
        from distillguard.gateway.limits.fallback import FallbackRateLimiter
        from distillguard.gateway.limits.redis_limiter import RedisRateLimiter

        shared = RedisRateLimiter(settings.redis_url, settings.key_prefix)
        return FallbackRateLimiter(shared, metrics)
    return MemoryRateLimiter()
