"""Arrival times, rhythms and token lengths.

Rhythms are per-minute intensity shapes over the window. `servegen` shapes are real per-client
request-rate series (Alibaba ServeGen, 10-minute windows) cut to the window length; token
lengths come from the Azure 2023 LLM inference traces. Text and timing come from different
sources: no public set pairs them.
"""

from __future__ import annotations

import csv
import tarfile
from pathlib import Path

import numpy as np

RHYTHMS = ["diurnal", "office", "flat", "servegen", "batch", "cron"]
RHYTHM_W = [0.26, 0.14, 0.14, 0.24, 0.16, 0.06]


class Traces:
    def __init__(self, data: str | Path):
        d = Path(data) / "traces"
        self.series: list[np.ndarray] = []
        for name in (
            "servegen_language_m-small_client_traces.tar.gz",
            "servegen_reason_deepseek-r1_client_traces.tar.gz",
        ):
            with tarfile.open(d / name) as tf:
                for m in sorted(tf.getmembers(), key=lambda m: m.name):
                    if not m.isfile():
                        continue
                    rows = tf.extractfile(m).read().decode().split()
                    rate = np.array([float(r.split(",")[1] or 0) for r in rows])
                    if (rate > 0).mean() > 0.05:  # clients active in at least 5% of windows
                        self.series.append(rate)
        self.gen: dict[str, np.ndarray] = {}
        self.ctx: dict[str, np.ndarray] = {}
        for kind in ("conv", "code"):
            with open(d / f"azure_llm_2023_{kind}.csv", encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
            self.gen[kind] = np.array([int(r["GeneratedTokens"]) for r in rows])
            self.ctx[kind] = np.array([int(r["ContextTokens"]) for r in rows])

    def gen_tokens(self, rng, kind: str = "conv", scale: float = 1.0) -> int:
        a = self.gen[kind]
        return max(1, int(a[int(rng.integers(0, len(a)))] * scale * rng.uniform(0.8, 1.25)))


def draw_rhythm(rng) -> dict:
    """A rhythm spec; the shape itself is drawn later, so a copied spec gives a fresh draw."""
    kind = RHYTHMS[int(rng.choice(len(RHYTHMS), p=RHYTHM_W))]
    spec = {"kind": kind}
    if kind == "batch":
        spec["jobs_per_day"] = float(rng.choice([1, 2, 3, 6]))
        spec["hours"] = float(rng.choice([0.5, 1.5, 4, 8]))
    if kind == "cron":
        spec["every_min"] = int(rng.choice([15, 30, 60, 120]))
        spec["burst_min"] = int(rng.choice([2, 5, 10]))
    return spec


def shape(rng, spec: dict, days: int, tz: float, traces: Traces) -> np.ndarray:
    """Per-minute relative intensity over `days` days (UTC minutes)."""
    n = days * 1440
    minute = np.arange(n)
    local_h = ((minute / 60.0) + tz) % 24
    kind = spec["kind"]
    if kind == "diurnal":
        s = 0.12 + np.exp(-((local_h - 11.5) ** 2) / 8) + 1.2 * np.exp(-((local_h - 20.5) ** 2) / 6)
    elif kind == "office":
        s = 0.03 + ((local_h > 8.5) & (local_h < 18)) * (
            1 - 0.5 * np.exp(-((local_h - 12.8) ** 2) / 0.6)
        )
    elif kind == "flat":
        s = np.ones(n)
    elif kind == "servegen":
        for _ in range(20):
            series = traces.series[int(rng.integers(0, len(traces.series)))]
            off = int(rng.integers(0, max(1, len(series) - days * 144)))
            win = series[off : off + days * 144]
            if win.sum() > 0:
                break
        s = np.repeat(win, 10)[:n]
        if len(s) < n:
            s = np.pad(s, (0, n - len(s)))
    elif kind == "batch":
        s = np.full(n, 0.002)
        jobs = max(1, rng.poisson(spec["jobs_per_day"] * days))
        for _ in range(jobs):
            st = int(rng.integers(0, n))
            dur = max(10, int(spec["hours"] * 60 * rng.uniform(0.5, 1.5)))
            s[st : st + dur] += rng.uniform(0.5, 1.5)
    else:  # cron
        s = np.full(n, 0.001)
        ph = int(rng.integers(0, spec["every_min"]))
        for st in range(ph, n, spec["every_min"]):
            s[st : st + spec["burst_min"]] += 1.0
    s = np.asarray(s, dtype=float) * rng.lognormal(0, 0.25, n)  # minute-level noise
    return s


def arrivals(rng, s: np.ndarray, count: int, lo: float, hi: float) -> np.ndarray:
    """`count` arrival offsets (seconds from window start) following shape `s` within [lo, hi)."""
    n = len(s)
    a, b = int(lo // 60), min(n, int(np.ceil(hi / 60)))
    w = np.zeros(n)
    w[a:b] = s[a:b]
    if count <= 0 or b <= a:
        return np.zeros(0)
    if w.sum() <= 0:  # the rhythm is idle while the account is active: spread evenly
        w[a:b] = 1.0
    counts = rng.multinomial(count, w / w.sum())
    idx = np.repeat(np.arange(n), counts)
    t = idx * 60.0 + rng.uniform(0, 60, len(idx))
    t = t[(t >= lo) & (t < hi)]
    return np.sort(t)


def human_gap(rng, mean_s: float = 45.0) -> float:
    """Reading and typing time between turns of a person."""
    return float(rng.lognormal(np.log(mean_s), 0.8)) + 2.0


def latency_ms(rng, model: str, prompt_tokens: int, completion_tokens: int, tpot: float) -> float:
    ttft = rng.lognormal(np.log(350), 0.4) + prompt_tokens * 0.04
    return round(float(ttft + completion_tokens * tpot * rng.uniform(0.8, 1.3)), 1)
