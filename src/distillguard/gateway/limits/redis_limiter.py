"""Rate limits in Redis, so that one limit holds across every gateway replica.

Each decision is one Lua script run atomically in Redis on Redis's own clock, so replicas
neither race nor need synchronised clocks. Keys: `PREFIX:req:ACCOUNT` and `PREFIX:tok:ACCOUNT`
(buckets, expiring after two idle minutes) and `PREFIX:day:ACCOUNT:DAY` (tokens used that UTC
day, expiring after two days).
"""

from __future__ import annotations

import time
from typing import Any

from distillguard.gateway.limits.base import ALLOWED, Verdict
from distillguard.store import Tier

# KEYS: req bucket, tok bucket, day counter. ARGV: rpm, tpm, daily, reserve.
# Returns {ok, limit, wait}.
_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rpm, tpm, daily = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local reserve = tonumber(ARGV[4])
local function level(key, cap)
  local b = redis.call('HMGET', key, 'v', 't')
  local v, last = tonumber(b[1]), tonumber(b[2])
  if v == nil then return cap end
  return math.min(cap, v + math.max(0, now - last) * cap / 60)
end
local req, tok = 0, 0
if rpm > 0 then
  req = level(KEYS[1], rpm)
  if req < 1 then return {0, 'requests', tostring((1 - req) * 60 / rpm)} end
end
if tpm > 0 then
  tok = level(KEYS[2], tpm)
  local need = math.max(1, math.min(reserve, tpm))
  if tok < need then return {0, 'tokens', tostring((need - tok) * 60 / tpm)} end
end
if daily > 0 then
  local used = tonumber(redis.call('GET', KEYS[3]) or '0')
  if used + reserve > daily then return {0, 'daily_tokens', tostring(86400 - now % 86400)} end
end
if rpm > 0 then
  redis.call('HSET', KEYS[1], 'v', tostring(req - 1), 't', tostring(now))
  redis.call('EXPIRE', KEYS[1], 120)
end
if tpm > 0 then
  redis.call('HSET', KEYS[2], 'v', tostring(math.max(tok - reserve, -tpm)), 't', tostring(now))
  redis.call('EXPIRE', KEYS[2], 120)
end
if daily > 0 and reserve > 0 then
  redis.call('INCRBY', KEYS[3], reserve)
  redis.call('EXPIRE', KEYS[3], 172800)
end
return {1, '', '0'}
"""

# KEYS: tok bucket, day counter. ARGV: tpm, tokens given back (negative: taken), daily.
_SETTLE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tpm, back, daily = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if tpm > 0 then
  local b = redis.call('HMGET', KEYS[1], 'v', 't')
  local v, last = tonumber(b[1]), tonumber(b[2])
  if v == nil then v = tpm else v = math.min(tpm, v + math.max(0, now - last) * tpm / 60) end
  v = math.min(tpm, math.max(v + back, -tpm))
  redis.call('HSET', KEYS[1], 'v', tostring(v), 't', tostring(now))
  redis.call('EXPIRE', KEYS[1], 120)
end
if daily > 0 then
  local left = redis.call('DECRBY', KEYS[2], back)
  if left < 0 then redis.call('SET', KEYS[2], 0) end
  redis.call('EXPIRE', KEYS[2], 172800)
end
return 1
"""


class RedisRateLimiter:
    """`RateLimiter` shared by every gateway that names the same Redis and key prefix."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis.asyncio as aioredis

        self._redis: Any = aioredis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix
        self._admit = self._redis.register_script(_ADMIT)
        self._settle = self._redis.register_script(_SETTLE)

    def _keys(self, account: str) -> tuple[str, str, str]:
        # Buckets refill on Redis's clock; only the daily counter's name uses this host's.
        day = int(time.time() // 86_400)
        p = self._prefix
        return f"{p}:req:{account}", f"{p}:tok:{account}", f"{p}:day:{account}:{day}"

    async def admit(self, account: str, tier: Tier, reserve: int = 0) -> Verdict:
        if not (tier.requests_per_min or tier.tokens_per_min or tier.daily_tokens):
            return ALLOWED
        ok, limit, wait = await self._admit(
            keys=list(self._keys(account)),
            args=[tier.requests_per_min, tier.tokens_per_min, tier.daily_tokens, reserve],
        )
        if int(ok):
            return ALLOWED
        return Verdict(False, _text(limit), float(_text(wait)))

    async def settle(self, account: str, tier: Tier, reserved: int, used: int) -> None:
        if not (tier.tokens_per_min or tier.daily_tokens) or reserved == used:
            return
        _, tok, day = self._keys(account)
        await self._settle(
            keys=[tok, day],
            args=[tier.tokens_per_min, reserved - used, tier.daily_tokens],
        )

    async def aclose(self) -> None:
        await self._redis.aclose()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
