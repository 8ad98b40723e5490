"""The shape every simulated account shares, whatever its family and label.

A `Persona` owns its label-blind `Surface`, its wire identity (`Account`), its own
`random.Random` (so its content does not depend on how accounts interleave) and a small
heap of pending turns. The run asks each persona for the time of its next request
(`next_time`) and then for that request (`emit`); a persona opens a session at each
drawn start time (`open`) and may schedule later turns of it (`later`, `follow`), so
conversations, tool loops and evaluation runs unfold in time order with bounded state.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass
from typing import Any

import numpy as np

from distillguard.events import format_ts
from distillguard.sim.families.replies import Answerer
from distillguard.sim.families.sources import Pools
from distillguard.sim.families.surface import REASONING, TEMPERATURES, Surface
from distillguard.sim.families.timing import session_starts
from distillguard.sim.rates import DAY_S, RateModel
from distillguard.sim.responses import Reply

INF = float("inf")


@dataclass(frozen=True, slots=True)
class Ctx:
    """What every persona of one run shares."""

    pools: Pools
    answerer: Answerer
    rates: RateModel
    start: float
    days: int
    volume: float
    personas: tuple[str, ...]  # persona system prompts from the split's data sets

    @property
    def end(self) -> float:
        return self.start + self.days * DAY_S


@dataclass(frozen=True, slots=True)
class Account:
    """What the provider sees of an account besides its traffic."""

    account: str
    org: str | None
    keys: tuple[str, ...]
    ips: tuple[str, ...]
    user_agents: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request, its reply, and the endpoint it went to."""

    request: dict[str, Any]
    reply: Reply
    endpoint: str = "chat.completions"


class Persona:
    """One account. Subclasses implement `open` and, for multi-turn sessions, `follow`."""

    def __init__(
        self,
        ctx: Ctx,
        rng: random.Random,
        surface: Surface,
        account: Account,
        *,
        label: str,
        family: str,
        kind: str,
    ) -> None:
        self.ctx, self.rng, self.s, self.ident = ctx, rng, surface, account
        self.label, self.family, self.kind = label, family, kind
        self.campaign: str | None = None
        self.twin: str | None = None
        self.strength: float | None = None  # an attack's drawn strength (0 subtle, 1 plain)
        self.cap: int | None = None  # most sessions a day (accounts kept under a limit)
        self._starts: list[float] = []
        self._i = 0
        self._later: list[tuple[float, int, Any]] = []
        self._seq = 0
        self._seed = rng.randrange(1 << 31)

    # -- scheduling -----------------------------------------------------------------
    def events_per_session(self) -> float:
        """Expected requests per session, so that volume is requests (not sessions) a day."""
        return 1.0

    def plan(self, nrng: np.random.Generator) -> None:
        per_day = self.s.per_day * self.ctx.volume / max(self.events_per_session(), 1.0)
        c = self.ctx
        self._starts = session_starts(nrng, c.rates, self.s, per_day, c.start, c.days, self.cap)

    def next_time(self) -> float:
        a = self._starts[self._i] if self._i < len(self._starts) else INF
        b = self._later[0][0] if self._later else INF
        return a if a < b else b

    def later(self, t: float, state: Any) -> None:
        """Schedule a later turn of a session; `follow(t, state)` will build it."""
        self._seq += 1
        heapq.heappush(self._later, (t, self._seq, state))

    def emit(self) -> tuple[float, dict[str, Any] | None]:
        """The next request as an event (None when the persona skips this slot)."""
        if self._later and (
            self._i >= len(self._starts) or self._later[0][0] <= self._starts[self._i]
        ):
            t, _seq, state = heapq.heappop(self._later)
            ex = self.follow(t, state)
        else:
            t = self._starts[self._i]
            self._i += 1
            ex = self.open(t)
        return t, (self.event(t, ex) if ex is not None else None)

    def open(self, t: float) -> Exchange | None:
        raise NotImplementedError

    def follow(self, t: float, state: Any) -> Exchange | None:
        return None

    # -- requests -------------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        """Sampling and output parameters from the surface, fixed per account."""
        s, r = self.s, self.rng
        p: dict[str, Any] = {}
        model = s.models[0] if len(s.models) == 1 or r.random() < 0.75 else r.choice(s.models)
        p["model"] = model
        temp = r.choice(TEMPERATURES) if s.temp_varies else s.temperature
        if temp is not None:
            p["temperature"] = temp
        if s.top_p is not None:
            p["top_p"] = s.top_p
        if s.max_param:
            p[s.max_param] = s.max_tokens
        if s.n > 1:
            p["n"] = s.n
        if s.stream:
            p["stream"] = True
        if s.logprobs:
            p["logprobs"] = True
            if s.logprobs > 0:
                p["top_logprobs"] = s.logprobs
        if s.seed_param:
            p["seed"] = self._seed
        if s.json_mode:
            p["response_format"] = {"type": "json_object"}
        if model == REASONING:
            p["reasoning_effort"] = r.choice(("low", "medium", "high"))
        return p

    def chat(self, messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        """A chat request body: model and messages first, then parameters, then `extra`."""
        p = self.params()
        req: dict[str, Any] = {"model": p.pop("model"), "messages": messages}
        req.update(p)
        req.update({k: v for k, v in extra.items() if v is not None})
        return req

    def ask(self, request: dict[str, Any], **kw: Any) -> Exchange:
        return Exchange(request, self.ctx.answerer.reply(self.rng, request, **kw))

    # -- the event ------------------------------------------------------------------
    def event(self, t: float, ex: Exchange) -> dict[str, Any]:
        a = self.ident
        ev: dict[str, Any] = {"ts": format_ts(t), "account": a.account}
        ev["key"] = self._usual(a.keys, 0.85)
        if a.org:
            ev["org"] = a.org
        ev["ip"] = self._usual(a.ips, 0.6)
        ev["user_agent"] = self._usual(a.user_agents, 0.8)
        if ex.endpoint != "chat.completions":
            ev["endpoint"] = ex.endpoint
        ev["request"] = ex.request
        if ex.reply.response is not None:
            ev["response"] = ex.reply.response
        ev["status"] = ex.reply.status
        ev["latency_ms"] = ex.reply.latency_ms
        return ev

    def _usual(self, seq: tuple[str, ...], p: float) -> str:
        if len(seq) == 1 or self.rng.random() < p:
            return seq[0]
        return seq[self.rng.randrange(len(seq))]
