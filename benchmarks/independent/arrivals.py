"""When an account starts its conversations: an intensity over 10-minute bins, then Poisson.

Profiles (drawn per account, see cues.py): people in one time zone (diurnal), office hours,
round the clock (flat), the shape of a real client's rate in the ServeGen traces (Alibaba Cloud,
14 days, 10-minute windows; a random client and a random 2-day slice of it), and batch jobs
(1-4 bursts a day of 20-180 minutes). No source pairs real text with real per-customer timing, so
timing comes from ServeGen while text comes from the prompt data sets.
"""

from __future__ import annotations

import numpy as np
from wire import Cues

BIN_S = 600.0
DAY_S = 86400.0


def intensity(c: Cues, days: float, rng: np.random.Generator, start_s: float) -> np.ndarray:
    nbins = max(1, int(np.ceil(days * DAY_S / BIN_S)))
    hours = (np.arange(nbins) * BIN_S / 3600.0 + c.tz) % 24.0
    if c.timing == "diurnal":  # awake 7:00-23:00 local, peak mid-afternoon, a few night owls
        w = 0.05 + np.clip(np.sin(np.pi * (hours - 7.0) / 16.0), 0, None) ** 1.5
    elif c.timing == "business":
        w = np.where((hours >= 9) & (hours < 18), 1.0, 0.04)
    elif c.timing == "servegen" and c.shape:
        shape = np.asarray(c.shape, dtype=float)
        off = int(rng.integers(0, max(1, len(shape) - nbins)))
        w = np.resize(shape[off:], nbins) + 0.02 * (shape.mean() + 1e-9)
    elif c.timing == "jobs":
        w = np.full(nbins, 0.01)
        for day in range(int(np.ceil(days))):
            for _ in range(int(rng.integers(1, 5))):
                b0 = int((day + rng.random()) * DAY_S / BIN_S)
                w[b0 : b0 + int(rng.integers(2, 19))] = 1.0
    else:  # flat: a worker pool that never sleeps
        w = np.ones(nbins)
    w = w.astype(float)
    w[: int(start_s // BIN_S)] = 0.0  # a young account did not exist yet
    return w


def starts(
    c: Cues,
    rng: np.random.Generator,
    t0: float,
    days: float,
    start_s: float = 0.0,
    volume: float | None = None,
) -> np.ndarray:
    """Sorted start times (Unix s) of an account's conversations over the trace."""
    w = intensity(c, days, rng, start_s)
    if w.sum() <= 0:
        return np.zeros(0)
    active_days = max(days - start_s / DAY_S, 0.05)
    n = int(rng.poisson((volume if volume is not None else c.volume) * active_days))
    bins = rng.choice(len(w), size=n, p=w / w.sum())
    t = t0 + (bins + rng.random(n)) * BIN_S
    return np.sort(t[t < t0 + days * DAY_S])
