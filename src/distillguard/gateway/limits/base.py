"""What a rate limiter decides, and the interface of the in-process and Redis limiters.

Per account: a token bucket of requests (capacity `requests_per_min`, refilled at that rate per
minute), a token bucket of model tokens (`tokens_per_min`) and a budget of tokens per UTC day
(`daily_tokens`); 0 means no limit.

Tokens are reserved before the call, as TensorZero's rate limiter does: `admit` takes one
request and the most tokens the request can use (its prompt and its `max_tokens`), so that
concurrent requests cannot all pass on a budget that only one of them fits; `settle` gives back
what the finished request did not use. A tier's budget is therefore never exceeded by more than
what the estimate of a prompt misses. A reservation larger than a whole minute's budget waits
for a full bucket (the gateway refuses outright those that cannot fit a tier at all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from distillguard.store import Tier

DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: str = ""  # "requests", "tokens" or "daily_tokens" when refused
    retry_after_s: float = 0.0

    @property
    def retry_after_header(self) -> str:
        """Whole seconds, at least 1, as the Retry-After header takes them."""
        return str(max(1, math.ceil(self.retry_after_s)))


ALLOWED = Verdict(True)


class RateLimiter(Protocol):
    async def admit(self, account: str, tier: Tier, reserve: int = 0) -> Verdict:
        """Take one request and `reserve` tokens, or say which limit refuses and for how long."""
        ...

    async def settle(self, account: str, tier: Tier, reserved: int, used: int) -> None:
        """A request that reserved `reserved` tokens used `used`: give back (or take) the rest."""
        ...

    async def aclose(self) -> None: ...


def refill(level: float, last: float, now: float, per_min: int) -> float:
    """A bucket's level after refilling from `last` to `now`, capped at its capacity."""
    return min(float(per_min), level + max(0.0, now - last) * per_min / 60.0)


def wait_for(level: float, need: float, per_min: int) -> float:
    """Seconds until a bucket at `level` holds `need`."""
    return max(0.0, (need - level) * 60.0 / per_min)


def seconds_to_midnight(now: float) -> float:
    return DAY_S - now % DAY_S
