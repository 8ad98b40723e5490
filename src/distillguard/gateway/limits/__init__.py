"""Rate limits per account: in this process by default, in Redis to hold across replicas."""

from __future__ import annotations

from distillguard.gateway.limits.base import RateLimiter, Verdict
from distillguard.gateway.limits.memory_limiter import MemoryRateLimiter
from distillguard.settings import LimitSettings

__all__ = ["MemoryRateLimiter", "RateLimiter", "Verdict", "open_limiter"]


def open_limiter(settings: LimitSettings) -> RateLimiter:
    """The limiter the settings name; the only place a limiter backend is chosen."""
    if settings.backend == "redis":
        from distillguard.gateway.limits.redis_limiter import RedisRateLimiter

        return RedisRateLimiter(settings.redis_url, settings.key_prefix)
    return MemoryRateLimiter()
