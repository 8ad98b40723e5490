"""The shape shared by every simulated account, benign or not.

An `Actor` draws its arrival times once (`arrivals`), then is asked for one event per
arrival in global time order (`event`). Subclasses implement `turn()` (the request and
its reply) and may keep small state between calls, such as open conversations. Each actor
owns a `random.Random`, so its content does not depend on how others interleave.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np

from distillguard.events import format_ts
from distillguard.sim.identity import Identity
from distillguard.sim.prompts import PromptBank
from distillguard.sim.rates import RateModel, cap_per_day
from distillguard.sim.responses import Reply, Responder

T = TypeVar("T")
REASONING_MODEL = "m-reason"
EFFORTS = ("low", "medium", "high")


@dataclass(frozen=True, slots=True)
class Context:
    """What every actor of one run shares."""

    bank: PromptBank
    responder: Responder
    rates: RateModel
    variant: int  # 0 = standard scenario, 1 = holdout (other templates and rates)
    start: float
    days: int
    volume: float


@dataclass(frozen=True, slots=True)
class Turn:
    request: dict[str, Any]
    reply: Reply
    endpoint: str = "chat.completions"


def loguniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


class Actor:
    """One account (or, inside a reseller, one of its customers)."""

    kind: ClassVar[str] = ""
    label: ClassVar[str] = "benign"
    shape: str = "diurnal"  # instances may change it in setup()
    # Requests per day, (low, high) per variant; drawn log-uniformly per account.
    per_day_range: ClassVar[tuple[tuple[float, float], tuple[float, float]]] = (
        (100.0, 1000.0),
        (100.0, 1000.0),
    )
    cap: ClassVar[int | None] = None
    models: ClassVar[tuple[tuple[str, float], ...]] = (("m-large", 0.6), ("m-small", 0.4))

    def __init__(
        self,
        ctx: Context,
        rng: random.Random,
        identity: Identity | None = None,
        campaign: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.rng = rng
        self.identity = identity
        self.campaign = campaign
        lo, hi = self.per_day_range[ctx.variant]
        self.per_day = loguniform(rng, lo, hi) * ctx.volume
        names = [m for m, _ in self.models]
        weights = [w for _, w in self.models]
        # An account mostly sticks to one model, as apps pin a model name in config.
        self.model = rng.choices(names, weights)[0]
        self.setup()

    def setup(self) -> None:
        """Build the persona's fixed traits and state from `self.rng`."""

    def arrivals(self, rng: np.random.Generator) -> np.ndarray:
        ctx = self.ctx
        t = ctx.rates.arrivals(rng, self.shape, self.per_day, ctx.start, ctx.days)
        if self.cap is not None:
            t = cap_per_day(rng, t, ctx.start, self.cap)
        return t

    def turn(self) -> Turn:
        raise NotImplementedError

    # -- helpers for subclasses --------------------------------------------------------
    def chat(self, messages: list[dict[str, Any]], **params: Any) -> dict[str, Any]:
        """A chat request body with this account's model (and effort, if it reasons)."""
        model = params.pop("model", None) or self.model
        req: dict[str, Any] = {"model": model, "messages": messages}
        if model == REASONING_MODEL and "reasoning_effort" not in params:
            req["reasoning_effort"] = self.rng.choice(EFFORTS)
        req.update({k: v for k, v in params.items() if v is not None})
        return req

    def ask(self, request: dict[str, Any], endpoint: str = "chat.completions", **kw: Any) -> Turn:
        reply = self.ctx.responder.reply(self.rng, request, endpoint=endpoint, **kw)
        return Turn(request, reply, endpoint)

    def pick(self, pool: Sequence[T]) -> T:
        return pool[self.rng.randrange(len(pool))]

    # -- the event ---------------------------------------------------------------------
    @property
    def account(self) -> str:
        return self._identity().account

    def _identity(self) -> Identity:
        if self.identity is None:  # reseller customers have none; they never write events
            raise RuntimeError(f"{type(self).__name__} has no identity; it cannot be an account")
        return self.identity

    def event(self, ts: float) -> dict[str, Any]:
        ident = self._identity()
        t = self.turn()
        ev: dict[str, Any] = {
            "ts": format_ts(ts),
            "account": ident.account,
            "key": self._usual(ident.keys),
            "org": ident.org,
            "ip": self._usual(ident.ips),
            "user_agent": self._usual(ident.user_agents),
        }
        if t.endpoint != "chat.completions":
            ev["endpoint"] = t.endpoint
        ev["request"] = t.request
        if t.reply.response is not None:
            ev["response"] = t.reply.response
        ev["status"] = t.reply.status
        ev["latency_ms"] = t.reply.latency_ms
        return ev

    def _usual(self, seq: tuple[str, ...]) -> str:
        if len(seq) == 1 or self.rng.random() < 0.7:
            return seq[0]
        return seq[self.rng.randrange(len(seq))]
