"""Rate limits held in this process: exact and fast, but each gateway replica counts alone."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from distillguard.gateway.limits.base import (
    ALLOWED,
    DAY_S,
    Verdict,
    refill,
    seconds_to_midnight,
    wait_for,
)
from distillguard.store import Tier


@dataclass(slots=True)
class _Buckets:
    requests: float
    tokens: float
    last: float
    day: int
    day_tokens: int = 0


class MemoryRateLimiter:
    """`RateLimiter` over a dict of accounts; `clock` gives Unix seconds (for tests)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._state: dict[str, _Buckets] = {}

    def _buckets(self, account: str, tier: Tier, now: float) -> _Buckets:
        b = self._state.get(account)
        day = int(now // DAY_S)
        if b is None:
            b = self._state[account] = _Buckets(
                float(tier.requests_per_min), float(tier.tokens_per_min), now, day
            )
            return b
        if tier.requests_per_min:
            b.requests = refill(b.requests, b.last, now, tier.requests_per_min)
        if tier.tokens_per_min:
            b.tokens = refill(b.tokens, b.last, now, tier.tokens_per_min)
        b.last = max(b.last, now)
        if b.day != day:
            b.day, b.day_tokens = day, 0
        return b

    async def admit(self, account: str, tier: Tier, reserve: int = 0) -> Verdict:
        now = self._clock()
        b = self._buckets(account, tier, now)
        if tier.requests_per_min and b.requests < 1:
            return Verdict(False, "requests", wait_for(b.requests, 1, tier.requests_per_min))
        if tier.tokens_per_min:
            need = max(1, min(reserve, tier.tokens_per_min))
            if b.tokens < need:
                return Verdict(False, "tokens", wait_for(b.tokens, need, tier.tokens_per_min))
        if tier.daily_tokens and b.day_tokens + reserve > tier.daily_tokens:
            return Verdict(False, "daily_tokens", seconds_to_midnight(now))
        if tier.requests_per_min:
            b.requests -= 1
        if tier.tokens_per_min:
            b.tokens = max(b.tokens - reserve, -float(tier.tokens_per_min))
        if tier.daily_tokens:
            b.day_tokens += reserve
        return ALLOWED

    async def settle(self, account: str, tier: Tier, reserved: int, used: int) -> None:
        b = self._buckets(account, tier, self._clock())
        back = reserved - used
        if tier.tokens_per_min:
            b.tokens = min(
                float(tier.tokens_per_min), max(b.tokens + back, -float(tier.tokens_per_min))
            )
        if tier.daily_tokens:
            b.day_tokens = max(0, b.day_tokens - back)

    async def aclose(self) -> None:
        self._state.clear()
