"""Arrival times for one account, as a sorted numpy array of Unix seconds.

`RateModel.arrivals` takes a shape (`diurnal`, `flat`, `sparse`) and a mean daily
volume. With traces it picks a ServeGen client of that shape, a slice of its 14 days and
a time-zone shift, rescales the slice to the volume, draws a Poisson count per 10-minute
window and spreads the window's arrivals with Gamma gaps of the window's measured CV
(CV > 1 gives bursts). Without traces it uses a sine day/night swing instead.
`bursts` serves scripted runs (a whole benchmark, then idle); `cap_per_day` enforces a
hard daily ceiling (hydra members stay under a per-account limit).
"""

from __future__ import annotations

import numpy as np

from distillguard.sim.traces import WINDOW_S, WINDOWS_PER_DAY, ClientTrace, TraceSet

DAY_S = 86400.0
SHAPES = ("diurnal", "flat", "sparse")


class RateModel:
    """Draws arrival times; one instance is shared by every account of a run."""

    def __init__(self, traces: TraceSet) -> None:
        self.traces = traces

    def arrivals(
        self, rng: np.random.Generator, shape: str, per_day: float, start: float, days: int
    ) -> np.ndarray:
        rate, cv = self._profile(rng, shape, days)
        total = float(rate.sum())
        if total <= 0 or per_day <= 0:
            return np.empty(0)
        expected = rate / total * per_day * days
        counts = rng.poisson(expected)
        return spread(rng, counts, cv, start)

    def _profile(
        self, rng: np.random.Generator, shape: str, days: int
    ) -> tuple[np.ndarray, np.ndarray]:
        pool = self.traces.shapes.get(shape, ())
        n = days * WINDOWS_PER_DAY
        if pool:
            trace = pool[int(rng.integers(len(pool)))]
            rate, cv = _slice(rng, trace, days)
            if rate.sum() > 0:
                # Clients live in different time zones: shift by whole hours.
                shift = int(rng.integers(24)) * (WINDOWS_PER_DAY // 24)
                return np.roll(rate, shift), np.roll(cv, shift)
        return _parametric(rng, shape, n)


def _slice(
    rng: np.random.Generator, trace: ClientTrace, days: int
) -> tuple[np.ndarray, np.ndarray]:
    """A `days`-long slice starting at a day boundary, preferring one with traffic."""
    n = days * WINDOWS_PER_DAY
    rate, cv = trace.rate, trace.cv
    if len(rate) < n:  # a one-day trace for a longer run: repeat it
        rate, cv = np.resize(rate, n), np.resize(cv, n)
    starts = np.arange(0, len(rate) - n + 1, WINDOWS_PER_DAY)
    order = rng.permutation(starts)
    for s in order[:8]:
        if rate[s : s + n].sum() > 0:
            return rate[s : s + n], cv[s : s + n]
    s = int(order[0])
    return rate[s : s + n], cv[s : s + n]


def _parametric(rng: np.random.Generator, shape: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    hours = (np.arange(n) * WINDOW_S / 3600.0 + rng.uniform(0, 24)) % 24
    if shape == "diurnal":
        rate = 1.0 + 0.7 * np.sin(2 * np.pi * (hours - 9.0) / 24.0)
    elif shape == "sparse":
        rate = np.where(rng.random(n) < 0.08, rng.exponential(1.0, n), 0.0)
        if rate.sum() == 0:
            rate[int(rng.integers(n))] = 1.0
    else:
        rate = np.ones(n)
    return rate, np.full(n, 1.2 if shape == "sparse" else 1.0)


def spread(
    rng: np.random.Generator, counts: np.ndarray, cv: np.ndarray, start: float
) -> np.ndarray:
    """Place `counts[w]` arrivals inside window `w` with Gamma gaps of CV `cv[w]`.

    The n arrivals of a window are the first n of n+1 normalised cumulative gaps: with
    shape 1 that is a uniform (Poisson) spread; shapes below 1 clump arrivals together.
    """
    counts = counts.astype(np.int64)
    if counts.sum() == 0:
        return np.empty(0)
    shape = 1.0 / np.clip(np.nan_to_num(cv, nan=1.0), 0.7, 3.0) ** 2
    gaps_per = counts + 1
    win = np.repeat(np.arange(len(counts)), gaps_per)
    gaps = rng.gamma(np.repeat(shape, gaps_per)) + 1e-12
    csum = np.cumsum(gaps)
    last = np.cumsum(gaps_per) - 1  # index of each window's final gap
    first = last - counts
    base = csum[first] - gaps[first]
    local = csum - base[win]
    frac = local / local[last][win]
    keep = np.ones(len(gaps), dtype=bool)
    keep[last] = False
    t = start + win[keep] * float(WINDOW_S) + frac[keep] * WINDOW_S
    return np.sort(t)


def bursts(
    rng: np.random.Generator, sizes: list[int], rps: float, start: float, end: float
) -> np.ndarray:
    """Scripted runs: run i sends `sizes[i]` requests back to back at about `rps`.

    Runs start at sorted uniform times; a run that would spill past `end` is cut.
    """
    if not sizes:
        return np.empty(0)
    starts = np.sort(rng.uniform(start, end, len(sizes)))
    parts = []
    for s, size in zip(starts, sizes, strict=True):
        t = s + np.cumsum(rng.exponential(1.0 / rps, size))
        parts.append(t[t < end])
    return np.sort(np.concatenate(parts))


def cap_per_day(rng: np.random.Generator, t: np.ndarray, start: float, cap: int) -> np.ndarray:
    """Drop random arrivals from any calendar day (counted from `start`) above `cap`."""
    day = ((t - start) // DAY_S).astype(np.int64)
    keep = np.ones(len(t), dtype=bool)
    for d in np.unique(day):
        idx = np.flatnonzero(day == d)
        if len(idx) > cap:
            keep[rng.choice(idx, len(idx) - cap, replace=False)] = False
    return t[keep]
