"""Turn one account's plan into timestamped events."""

from __future__ import annotations

import numpy as np

from .data import Pools
from .engine import Ctx, event_bytes
from .population import KINDS, Plan
from .timing import arrivals


def _gap(rng: np.random.Generator, kind: str, think_s: float) -> float:
    if kind == "user":
        return float(rng.lognormal(np.log(think_s), 0.8))
    if kind == "tool":
        return float(rng.uniform(0.05, 3.0))
    if kind == "retry":
        return float(rng.uniform(0.5, 8.0))
    return float(rng.exponential(0.3) + 0.02)


def run_account(
    plan: Plan, pools: Pools, seed: np.random.SeedSequence, window_s: float, days: float
) -> list[tuple[int, int, bytes]]:
    """Events of one account as ``(ts_ms, seq, json_bytes)``; ``seq`` breaks ties stably."""
    st = plan.style
    assert st is not None
    s_setup, s_time, s_run = seed.spawn(3)
    persona = KINDS[plan.kind]
    ctx = Ctx(np.random.default_rng(s_setup), st, pools, persona.domain)
    persona.setup(ctx, plan.shared)
    rng_t = np.random.default_rng(s_time)
    # ``volume`` is requests per day of the window, spent inside the account's active span
    n = int(rng_t.poisson(st.volume * days))
    times = arrivals(rng_t, st, pools, window_s, n)
    rng = np.random.default_rng(s_run)
    ctx.rng = rng
    kw = np.cumsum([1.0 / (i + 1) ** 1.3 for i in range(len(plan.keys))])
    kw /= kw[-1]
    rotate = st.ip_mode == "proxy"
    out: list[tuple[int, int, bytes]] = []
    ptr = 0
    while ptr < times.size:
        t = float(times[ptr])
        ctx.state["now_frac"] = t / window_s
        ctx.steps = []
        persona.session(ctx)
        key = plan.keys[min(len(plan.keys) - 1, int(np.searchsorted(kw, rng.random())))]
        ip = plan.ips[int(rng.integers(len(plan.ips)))]
        for step in ctx.steps:
            if t >= window_s:
                break
            if rotate:
                ip = plan.ips[int(rng.integers(len(plan.ips)))]
            ms = int(t * 1000)
            out.append(
                (ms, len(out), event_bytes(ms, plan.account, key, plan.org, ip, st.ua, step))
            )
            t += step.latency_ms / 1000.0 + _gap(rng, step.gap, st.think_s)
        ptr += max(1, len(ctx.steps))
    return out
