"""Real rate and length traces from `shared/data/traces`, or parametric stand-ins.

- ServeGen (Alibaba Cloud) gives, per client, 10-minute windows over 14 days: mean rate
  and the coefficient of variation of inter-arrival gaps. Clients are sorted by shape:
  `diurnal` and `flat` (busy almost every window, with or without a day/night swing) and
  `sparse` (idle most of the time, then bursts).
- The Azure LLM inference traces (2023) give real ContextTokens/GeneratedTokens pairs
  for a code and a conversation service; completion lengths are drawn from them.

No source pairs text with per-customer timing, so the simulator combines them.
"""

from __future__ import annotations

import csv
import io
import math
import random
import tarfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

WINDOW_S = 600
WINDOWS_PER_DAY = 86400 // WINDOW_S
SERVEGEN_FILES = (
    "servegen_language_m-small_client_traces.tar.gz",
    "servegen_reason_deepseek-r1_client_traces.tar.gz",
)


@dataclass(frozen=True, slots=True)
class ClientTrace:
    """One ServeGen client: rate (requests/s) and gap CV per 10-minute window."""

    name: str
    rate: np.ndarray
    cv: np.ndarray

    @property
    def days(self) -> int:
        return len(self.rate) // WINDOWS_PER_DAY


@dataclass(frozen=True, slots=True)
class TraceSet:
    """Client traces grouped by shape, and the Azure generated-token samples."""

    shapes: dict[str, tuple[ClientTrace, ...]]
    generated: dict[str, tuple[int, ...]]  # "conv" / "code" -> GeneratedTokens samples
    real_rates: bool
    real_tokens: bool


def _read_servegen(path: Path) -> list[ClientTrace]:
    out = []
    with tarfile.open(path, "r:gz") as tar:
        members = sorted((m for m in tar.getmembers() if m.name.endswith(".csv")), key=_order)
        for m in members:
            fh = tar.extractfile(m)
            if fh is None:
                continue
            rows = list(csv.reader(io.TextIOWrapper(fh, encoding="utf-8")))[1:]
            rate = np.array([float(r[1] or 0) for r in rows])
            cv = np.array([float(r[2] or 0) for r in rows])
            out.append(ClientTrace(f"{path.name.split('_')[1]}/{Path(m.name).stem}", rate, cv))
    return out


def _order(m: tarfile.TarInfo) -> tuple[str, int]:
    stem = Path(m.name).stem  # chunk-12-trace
    digits = "".join(c for c in stem if c.isdigit())
    return (str(Path(m.name).parent), int(digits or 0))


def classify(trace: ClientTrace) -> str | None:
    """`diurnal`, `flat` or `sparse` from the share of busy windows and the daily swing."""
    busy = float((trace.rate > 0).mean())
    if trace.rate.sum() <= 0 or busy < 0.005:
        return None
    if busy < 0.8:
        return "sparse"
    days = trace.days
    if days < 1:
        return None
    daily = trace.rate[: days * WINDOWS_PER_DAY].reshape(days, 24, 6).sum(axis=(0, 2))
    swing = daily.max() / max(daily.min(), 1e-9)
    return "diurnal" if swing > 2.5 else "flat"


def _read_azure(path: Path) -> tuple[int, ...]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    return tuple(int(r[2]) for r in rows if len(r) >= 3 and r[2].isdigit() and int(r[2]) > 0)


def _parametric_generated(kind: str) -> tuple[int, ...]:
    # Log-normal fits by eye to the Azure medians (conv ~130 tokens, code ~13).
    rng = random.Random(1)
    mu, sigma = (math.log(130), 0.9) if kind == "conv" else (math.log(14), 1.1)
    return tuple(max(1, int(rng.lognormvariate(mu, sigma))) for _ in range(4000))


@lru_cache(maxsize=4)
def load_traces(data_dir: Path | None) -> TraceSet:
    """Traces from `data_dir/traces`; shapes or token pools absent there are parametric."""
    folder = data_dir / "traces" if data_dir is not None else None
    shapes: dict[str, list[ClientTrace]] = {"diurnal": [], "flat": [], "sparse": []}
    if folder is not None:
        for name in SERVEGEN_FILES:
            if (folder / name).is_file():
                for trace in _read_servegen(folder / name):
                    shape = classify(trace)
                    if shape is not None:
                        shapes[shape].append(trace)
    generated = {}
    real_tokens = True
    for kind in ("conv", "code"):
        path = folder / f"azure_llm_2023_{kind}.csv" if folder is not None else None
        if path is not None and path.is_file():
            generated[kind] = _read_azure(path)
        else:
            generated[kind] = _parametric_generated(kind)
            real_tokens = False
    return TraceSet(
        shapes={k: tuple(v) for k, v in shapes.items()},
        generated=generated,
        real_rates=all(shapes.values()),
        real_tokens=real_tokens,
    )
