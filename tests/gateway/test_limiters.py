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
        assert (await limiter.admit("a", tpm, 10)).allowed
        await limiter.settle("a", tpm, 10, 150)  # used more than it reserved
        refused = await limiter.admit("a", tpm)
        assert (refused.allowed, refused.limit) == (False, "tokens")
        assert 20 < refused.retry_after_s <= 31
        day = Tier("d", daily_tokens=50)
        assert (await limiter.admit("b", day, 10)).allowed
        await limiter.settle("b", day, 10, 60)
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
        await limiter.settle("a", free, 0, 10**9)
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


def test_concurrent_requests_cannot_share_one_budget(
    make_limiter: Callable[[], RateLimiter],
) -> None:
    """Tokens are reserved at admission: of 20 concurrent requests that may each use 300
    tokens, only 3 fit a 1,000-token minute, whatever the order they finish in."""

    async def go() -> None:
        limiter = make_limiter()
        tier = Tier("t", tokens_per_min=1000, daily_tokens=100_000)
        got = await asyncio.gather(*(limiter.admit("c", tier, 300) for _ in range(20)))
        assert sum(v.allowed for v in got) == 3
        refused = next(v for v in got if not v.allowed)
        assert refused.limit == "tokens"
        assert 10 < refused.retry_after_s <= 13  # 200 tokens short at 1,000 a minute
        await limiter.aclose()

    asyncio.run(go())


def test_settling_gives_back_what_a_request_did_not_use(
    make_limiter: Callable[[], RateLimiter],
) -> None:
    async def go() -> None:
        limiter = make_limiter()
        tier = Tier("t", tokens_per_min=1000)
        assert (await limiter.admit("d", tier, 900)).allowed
        assert not (await limiter.admit("d", tier, 900)).allowed
        await limiter.settle("d", tier, 900, 50)  # it used 50: 850 come back
        assert (await limiter.admit("d", tier, 900)).allowed
        day = Tier("d", daily_tokens=1000)
        assert (await limiter.admit("e", day, 600)).allowed
        assert not (await limiter.admit("e", day, 600)).allowed
        await limiter.settle("e", day, 600, 100)
        assert (await limiter.admit("e", day, 600)).allowed
        await limiter.aclose()

    asyncio.run(go())
