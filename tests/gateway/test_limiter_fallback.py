"""Redis unreachable: requests are still answered and recorded, limits held locally."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path

import httpx
from gateway_harness import Gateway

from distillguard.events import EventReader
from distillguard.gateway.limits.fallback import FallbackRateLimiter
from distillguard.gateway.limits.redis_limiter import RedisRateLimiter
from distillguard.gateway.metrics import GatewayMetrics
from distillguard.store import Tier

ASK = [{"role": "user", "content": "What is a monad?"}]


def _dead_redis() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"  # nothing listens there now


def test_requests_are_served_and_recorded_while_redis_is_down(
    start_gateway: Callable[..., Gateway],
) -> None:
    gw = start_gateway(tier="tiny", limits={"backend": "redis", "redis_url": _dead_redis()})
    client = gw.client()
    served = [client.chat.completions.create(model="sim-small", messages=ASK) for _ in range(2)]
    assert all(r.choices[0].message.content for r in served)
    third = httpx.post(
        gw.url + "/v1/chat/completions",
        json={"model": "sim-small", "messages": ASK},
        headers={"authorization": f"Bearer {gw.secret}"},
    )
    assert third.status_code == 429  # tier "tiny" (2 a minute) still holds, on local buckets
    metrics = httpx.get(gw.url + "/metrics").text
    assert 'distillguard_limiter_fallbacks_total{operation="admit"} 3.0' in metrics
    folder = Path(gw.app.state.proxy.settings.events.dir)
    gw.stop()
    statuses = [e.raw["status"] for p in folder.glob("events-*.jsonl") for e in EventReader(p)]
    assert statuses == [200, 200, 429]


def test_redis_is_tried_again_after_the_fallback_time(redis_url: str, redis_prefix: str) -> None:
    now = [0.0]
    metrics = GatewayMetrics()
    dead = FallbackRateLimiter(
        RedisRateLimiter(_dead_redis(), redis_prefix), metrics, fallback_s=30, clock=lambda: now[0]
    )
    tier = Tier("t", requests_per_min=100)

    async def go() -> None:
        assert (await dead.admit("a", tier)).allowed  # Redis refused: decided locally
        now[0] = 10.0
        assert (await dead.admit("a", tier)).allowed  # within the fallback: Redis not tried
        live = FallbackRateLimiter(
            RedisRateLimiter(redis_url, redis_prefix), metrics, clock=lambda: now[0]
        )
        assert (await live.admit("a", tier)).allowed  # a healthy Redis: no fallback
        await dead.aclose()
        await live.aclose()

    asyncio.run(go())
    assert metrics.limiter_fallbacks.labels("admit")._value.get() == 2
