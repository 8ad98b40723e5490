"""Surface traits: what an account looks like, drawn blind to its label.

Every cue a detector might latch on to without understanding the traffic lives here:
volume, timing shape, account age, address spread, client, models, sampling parameters,
max_tokens, streaming, tools, chain-of-thought phrasing, templates, system prompts,
logprobs. `CueRates` holds the probability of each on/off cue; it is drawn once per
family and run, from wide ranges, and serves both sides of the family. Accounts come in
twin pairs: `pair` draws one surface and builds its twin by taking each trait from it or
from a second, independent draw with even odds, so both sides share one distribution
exactly (and a pair stays comparable). Families override a trait only where it is the
family's defining behaviour (tools on an agent platform), and then on both sides unless
the defining behaviour is benign (a batch labeller's flat 24/7 rate).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, fields, replace

SHAPES = ("diurnal", "flat", "sparse", "bursts")
NETS = ("cloud", "corp", "residential", "own")
MODELS = ("m-large", "m-small", "m-mini", "m-reason", "m-large-2026-09", "m-code")
REASONING = "m-reason"
TEMPERATURES = (0.0, 0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, 1.0, 1.2)
MAX_TOKENS = (64, 128, 256, 300, 512, 800, 1000, 1024, 1500, 2048, 4096, 8192)


def loguniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


@dataclass(frozen=True, slots=True)
class CueRates:
    """Probability of each on/off cue for every account of one family, either label."""

    system: float
    tools: float
    cot: float
    template: float
    max_set: float
    stream: float
    logprobs: float
    json_mode: float
    seed_param: float
    multi_n: float
    temp_varies: float
    reasoning: float
    young: float  # share of accounts that first appear during the trace
    shape_w: tuple[float, ...]
    net_w: tuple[float, ...]

    @classmethod
    def draw(cls, rng: random.Random) -> CueRates:
        u = rng.uniform
        return cls(
            system=u(0.3, 0.95),
            tools=u(0.05, 0.45),
            cot=u(0.05, 0.5),
            template=u(0.1, 0.6),
            max_set=u(0.3, 0.9),
            stream=u(0.1, 0.7),
            logprobs=u(0.0, 0.15),
            json_mode=u(0.0, 0.25),
            seed_param=u(0.0, 0.2),
            multi_n=u(0.0, 0.1),
            temp_varies=u(0.0, 0.3),
            reasoning=u(0.0, 0.25),
            young=u(0.1, 0.4),
            shape_w=tuple(u(0.2, 1.0) for _ in SHAPES),
            net_w=tuple(u(0.2, 1.0) for _ in NETS),
        )


@dataclass(frozen=True, slots=True)
class Surface:
    """One account's label-blind traits."""

    per_day: float
    shape: str
    active_from: float  # fraction of the trace that passes before the account's first request
    models: tuple[str, ...]
    temperature: float | None
    temp_varies: bool
    top_p: float | None
    max_param: str | None  # "max_tokens", "max_completion_tokens" or None
    max_tokens: int
    stream: bool
    n: int
    system: bool
    tools: int  # number of tool definitions sent; 0 = none
    tools_share: float  # share of requests that carry them
    cot: str  # "" none, "system" or "user": where step-by-step phrasing goes
    template: bool
    logprobs: int  # 0 none, -1 logprobs only, k > 0 top_logprobs
    seed_param: bool
    json_mode: bool
    net: str
    subnets: int
    ips: int
    user_agents: int


def draw(rng: random.Random, cues: CueRates, per_day: tuple[float, float]) -> Surface:
    """A fresh surface; `per_day` is the family's range (log-uniform)."""
    r = rng.random
    n_models = rng.choices((1, 2, 3), (0.65, 0.25, 0.1))[0]
    models = rng.sample(MODELS[:3] + MODELS[4:], n_models)
    if r() < cues.reasoning:
        models = [REASONING, *models[1:]]
    subnets = max(1, int(loguniform(rng, 1, 24)))
    return Surface(
        per_day=loguniform(rng, *per_day),
        shape=rng.choices(SHAPES, cues.shape_w)[0],
        active_from=rng.uniform(0.05, 0.8) if r() < cues.young else 0.0,
        models=tuple(models),
        temperature=None if r() < 0.2 else rng.choice(TEMPERATURES),
        temp_varies=r() < cues.temp_varies,
        top_p=rng.choice((0.9, 0.95, 1.0)) if r() < 0.15 else None,
        max_param=_max_param(rng, cues),
        max_tokens=rng.choice(MAX_TOKENS),
        stream=r() < cues.stream,
        n=rng.choice((2, 3, 4)) if r() < cues.multi_n else 1,
        system=r() < cues.system,
        tools=rng.randint(1, 9) if r() < cues.tools else 0,
        tools_share=rng.uniform(0.3, 1.0),
        cot=rng.choice(("system", "user")) if r() < cues.cot else "",
        template=r() < cues.template,
        logprobs=rng.choice((-1, 1, 3, 5, 10, 20)) if r() < cues.logprobs else 0,
        seed_param=r() < cues.seed_param,
        json_mode=r() < cues.json_mode,
        net=rng.choices(NETS, cues.net_w)[0],
        subnets=subnets,
        ips=subnets * rng.randint(1, 4),
        user_agents=rng.choices((1, 2, 3), (0.7, 0.22, 0.08))[0],
    )


def _max_param(rng: random.Random, cues: CueRates) -> str | None:
    if rng.random() >= cues.max_set:
        return None
    return "max_tokens" if rng.random() < 0.7 else "max_completion_tokens"


def couple(rng: random.Random, base: Surface, other: Surface) -> Surface:
    """Each trait from `base` or `other` with even odds: same marginal law as either."""
    take = {f.name: getattr(other, f.name) for f in fields(Surface) if rng.random() < 0.5}
    return replace(base, **take)


def pair(
    rng: random.Random, cues: CueRates, per_day: tuple[float, float]
) -> tuple[Surface, Surface]:
    """(benign, attack) surfaces of one twin pair; which one is the base is a coin flip."""
    a = draw(rng, cues, per_day)
    b = couple(rng, a, draw(rng, cues, per_day))
    return (a, b) if rng.random() < 0.5 else (b, a)
