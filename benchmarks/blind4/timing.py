"""Arrival times and network identity (IPs), both drawn from the account's ``Style`` only."""

from __future__ import annotations

import numpy as np

from .data import Pools
from .style import Style

BIN = 600.0  # seconds: the ServeGen window


def bin_weights(rng: np.random.Generator, style: Style, pools: Pools, n_bins: int) -> np.ndarray:
    """Relative request rate per 10-minute bin over the whole window."""
    t = np.arange(n_bins, dtype=np.float64)
    kind = style.timing
    if kind == "servegen" and (pools.shapes_long or pools.shapes_day):
        use_long = pools.shapes_long and (rng.random() < 0.5 or not pools.shapes_day)
        for _ in range(8):
            if use_long:
                src = pools.shapes_long[int(rng.integers(len(pools.shapes_long)))]
            else:
                src = pools.shapes_day[int(rng.integers(len(pools.shapes_day)))]
            off = int(rng.integers(src.size))
            idx = (off + np.arange(n_bins)) % src.size
            w = src[idx].copy()
            if (w > 0).sum() >= max(2, n_bins // 40):
                return w * rng.lognormal(0.0, 0.15, size=n_bins)
        kind = "diurnal"
    if kind == "diurnal":
        peak = rng.uniform(0.0, 1.0)
        amp = rng.uniform(0.4, 0.95)
        w = 1.0 + amp * np.cos(2 * np.pi * (t * BIN / 86400.0 - peak))
        return np.maximum(w, 0.03) * rng.lognormal(0.0, 0.25, size=n_bins)
    if kind == "batch":
        w = np.zeros(n_bins)
        for _ in range(int(rng.integers(1, 7))):
            s = int(rng.integers(n_bins))
            w[s : s + int(rng.integers(1, 19))] += rng.uniform(0.5, 2.0)
        return w
    if kind == "periodic":
        period = int(rng.choice((6, 12, 24, 36, 144)))
        phase = int(rng.integers(period))
        width = int(rng.integers(1, 4))
        w = np.where(((t.astype(int) - phase) % period) < width, 1.0, 0.0)
        return w + 0.002
    return np.ones(n_bins) * rng.lognormal(0.0, 0.1, size=n_bins)


def arrivals(
    rng: np.random.Generator, style: Style, pools: Pools, window_s: float, n: int
) -> np.ndarray:
    """``n`` sorted arrival times in ``[0, window_s)`` inside the account's active span."""
    n_bins = max(1, int(np.ceil(window_s / BIN)))
    w = bin_weights(rng, style, pools, n_bins)
    lo = int(style.start_frac * n_bins)
    hi = max(lo + 1, int(np.ceil(style.end_frac * n_bins)))
    w[:lo] = 0.0
    w[hi:] = 0.0
    if w.sum() <= 0:
        w[lo:hi] = 1.0
    counts = rng.multinomial(n, w / w.sum())
    starts = np.repeat(np.arange(n_bins) * BIN, counts)
    times = starts + rng.uniform(0.0, BIN, size=starts.size)
    times = np.minimum(times, window_s - 0.001)
    times.sort()
    return times


_HOSTING = (
    3,
    13,
    18,
    20,
    34,
    35,
    44,
    52,
    54,
    64,
    104,
    128,
    134,
    137,
    138,
    139,
    143,
    146,
    157,
    159,
    161,
    164,
    165,
    167,
    168,
    178,
    185,
    188,
    193,
    194,
    195,
    198,
    206,
    209,
)
_ISP = (
    24,
    31,
    37,
    46,
    47,
    49,
    58,
    59,
    60,
    61,
    62,
    67,
    68,
    71,
    73,
    76,
    77,
    78,
    79,
    81,
    82,
    83,
    84,
    85,
    86,
    87,
    88,
    89,
    90,
    91,
    92,
    93,
    94,
    95,
    98,
    99,
    108,
    109,
    112,
    114,
    116,
    119,
    121,
    124,
    171,
    175,
    176,
    177,
    180,
    181,
    182,
    183,
    186,
    187,
    189,
    190,
    201,
)


def _addr(a: int, b: int, c: int, d: int) -> str:
    return f"{a}.{b}.{c}.{d}"


def ip_pool(rng: np.random.Generator, style: Style) -> list[str]:
    """The addresses one account sends from (chosen per session, or per request behind proxies)."""
    mode, n = style.ip_mode, style.n_ips
    hosting, isp = np.array(_HOSTING), np.array(_ISP)
    if mode == "single":
        n = 1
    if mode in ("single", "few"):
        a, b, c = int(pick(rng, _HOSTING)), int(rng.integers(256)), int(rng.integers(256))
        hosts = rng.choice(np.arange(2, 254), size=min(n, 252), replace=False)
        return [_addr(a, b, c, int(h)) for h in hosts]
    if mode in ("cloud", "proxy"):
        k = int(rng.integers(2, 5)) if mode == "cloud" else int(rng.integers(3, 12))
        nets = np.stack(
            [
                hosting[rng.integers(len(hosting), size=k)],
                rng.integers(0, 256, k),
                rng.integers(0, 256, k),
            ],
            axis=1,
        )
        which = rng.integers(0, k, n)
        third = rng.integers(0, 256, n) if mode == "cloud" else nets[which, 2]
        last = rng.integers(1, 255, n)
        return [
            _addr(int(nets[w, 0]), int(nets[w, 1]), int(t), int(x))
            for w, t, x in zip(which, third, last, strict=True)
        ]
    octs = np.stack(
        [
            isp[rng.integers(len(isp), size=n)],
            rng.integers(0, 256, n),
            rng.integers(0, 256, n),
            rng.integers(1, 255, n),
        ],
        axis=1,
    )
    v6 = rng.integers(1, 65535, size=(n, 4))
    out = []
    for i in range(n):
        if i % 9 == 8:
            out.append(
                f"2a0{1 + v6[i, 0] % 9}:{4096 + v6[i, 1] % 61439:x}:{v6[i, 2]:x}::{v6[i, 3]:x}"
            )
        else:
            out.append(_addr(*(int(x) for x in octs[i])))
    return out


def pick(rng: np.random.Generator, seq):
    """One element of a short sequence (cheaper than ``Generator.choice``)."""
    return seq[int(rng.integers(len(seq)))]


def hex_id(rng: np.random.Generator, n: int = 10) -> str:
    return rng.bytes((n + 1) // 2).hex()[:n]
