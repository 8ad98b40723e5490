"""When an account's sessions start: real client rate traces, or scripted bursts.

A *session* is a conversation, an agent task or an evaluation run; its later turns are
scheduled by the persona as the conversation unfolds (after the reply's latency and a
think time). Session starts come from `sim.rates.RateModel` (ServeGen client traces of
the drawn shape, rescaled to the account's volume) or, for the `bursts` shape, from
scripted runs at a steady rate. Accounts that are young in the trace start late.
"""

from __future__ import annotations

import random

import numpy as np

from distillguard.sim.families.surface import Surface
from distillguard.sim.rates import DAY_S, RateModel, bursts, cap_per_day


def session_starts(
    nrng: np.random.Generator,
    rates: RateModel,
    s: Surface,
    sessions_per_day: float,
    start: float,
    days: int,
    cap: int | None = None,
) -> list[float]:
    """Sorted start times within [account start, trace end); at least one."""
    end = start + days * DAY_S
    begin = start + s.active_from * (end - start)
    if s.shape == "bursts":
        t = _bursts(nrng, sessions_per_day, start, days)
    else:
        t = rates.arrivals(nrng, s.shape, sessions_per_day, start, days)
    if cap is not None:
        t = cap_per_day(nrng, t, start, cap)
    t = t[(t >= begin) & (t < end)]
    if len(t) == 0:  # every account appears at least once in the log
        t = np.array([nrng.uniform(begin, end)])
    return [float(x) for x in t]


def _bursts(nrng: np.random.Generator, per_day: float, start: float, days: int) -> np.ndarray:
    """Scripted runs of 20-2000 back-to-back sessions at a steady rate (cron jobs, scripts)."""
    total = per_day * days
    mean_run = float(np.clip(total / 6, 20, 2000))
    runs = max(1, int(nrng.poisson(total / mean_run)))
    sizes = [max(1, int(nrng.exponential(mean_run))) for _ in range(runs)]
    rps = float(np.exp(nrng.uniform(np.log(0.05), np.log(4.0))))
    return bursts(nrng, sizes, rps, start, start + days * DAY_S)


def think_s(rng: random.Random, median: float) -> float:
    """A human (or scripted) pause before the next turn, log-normal around `median`."""
    return max(0.4, rng.lognormvariate(0.0, 0.8) * median)


def extra_turns(rng: random.Random, mean: float, cap: int = 8) -> int:
    """Follow-up turns after the first: geometric with the given mean, at most `cap`."""
    if mean <= 0:
        return 0
    p = 1.0 / (1.0 + mean)
    k = 0
    while k < cap and rng.random() > p:
        k += 1
    return k
