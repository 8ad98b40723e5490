"""Both rate limiters through one suite; Redis also as two limiters sharing one limit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from distillguard.gateway.limits import MemoryRateLimiter, RateLimiter
from distillguard.gateway.limits.base import Verdict
from distillguard.gateway.limits.redis_limiter import RedisRateLimiter
from distillguard.store import Tier


@pytest.fixture(params=["memory", "redis"])
def make_limiter(request: pytest.FixtureRequest) -> Callable[[], RateLimiter]:
    if request.param == "memory":
        shared = MemoryRateLimiter()
        return lambda: shared
    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    return lambda: RedisRateLimiter(url, prefix)


async def _admits(limiter: RateLimiter, tier: Tier, n: int, account: str = "a") -> list[Verdict]:
    return [await limiter.admit(account, tier) for _ in range(n)]


def test_requests_per_minute(make_limiter: Callable[[], RateLimiter]) -> None:
    async def go() -> None:
        limiter = make_limiter()
        tier = Tier("t", requests_per_min=3)
        got = await _admits(limiter, tier, 4)
        assert [v.allowed for v in got] == [True, True, True, False]
        assert got[-1].limit == "requests"
        assert 15 < got[-1].retry_after_s <= 20  # one request comes back every 20 s
        assert got[-1].retry_after_header in {"19", "20"}
        assert (await limiter.admit("other", tier)).allowed  # per account
        await limiter.aclose()

    asyncio.run(go())


def test_tokens_per_minute_and_daily_budget(make_limiter: Callable[[], RateLimiter]) -> None:
    async def go() -> None:
        limiter = make_limiter()
        tpm = Tier("t", tokens_per_min=100)
        assert (await limiter.admit("a", tpm)).allowed
        await limiter.charge("a", tpm, 150)
        refused = await limiter.admit("a", tpm)
        assert (refused.allowed, refused.limit) == (False, "tokens")
        assert 20 < refused.retry_after_s <= 31
        day = Tier("d", daily_tokens=50)
        assert (await limiter.admit("b", day)).allowed
        await limiter.charge("b", day, 60)
        over = await limiter.admit("b", day)
        assert (over.allowed, over.limit) == (False, "daily_tokens")
        assert 0 < over.retry_after_s <= 86_400
        await limiter.aclose()

    asyncio.run(go())


def test_unlimited_tier_always_admits(make_limiter: Callable[[], RateLimiter]) -> None:
    async def go() -> None:
        limiter = make_limiter()
        free = Tier("unlimited")
        assert all(v.allowed for v in await _admits(limiter, free, 50))
        await limiter.charge("a", free, 10**9)
        assert (await limiter.admit("a", free)).allowed
        await limiter.aclose()

    asyncio.run(go())


def test_memory_bucket_refills_with_time() -> None:
    now = [1_000_000.0]
    limiter = MemoryRateLimiter(clock=lambda: now[0])
    tier = Tier("t", requests_per_min=2)

    async def go() -> list[bool]:
        out = [v.allowed for v in await _admits(limiter, tier, 3)]
        now[0] += 30  # one request's worth
        out += [v.allowed for v in await _admits(limiter, tier, 2)]
        return out

    assert asyncio.run(go()) == [True, True, False, True, False]


def test_redis_limit_is_shared_between_replicas(redis_url: str, redis_prefix: str) -> None:
    async def go() -> list[bool]:
        one, two = (
            RedisRateLimiter(redis_url, redis_prefix),
            RedisRateLimiter(redis_url, redis_prefix),
        )
        tier = Tier("t", requests_per_min=4)
        got = await asyncio.gather(*(lim.admit("acct", tier) for lim in [one, two] * 4))
        await one.aclose()
        await two.aclose()
        return [v.allowed for v in got]

    assert sorted(asyncio.run(go())) == [False] * 4 + [True] * 4
