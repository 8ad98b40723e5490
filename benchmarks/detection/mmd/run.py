"""The MMD two-sample baseline over the families benchmark's scenarios (`run.py --with-mmd`).

Per scenario: read every event's query (the last user message, as PRADA's SimHash reads
it), keep each account's distinct queries, draw at most 200 of them, embed them
(embed.py), draw a reference and test each account against it (detector.py). The result
has the shape of `run.analyze_one`'s, so the benchmark's thresholds, LOFO and tables treat
it as one more detector.

The reference, `pool` (the default): the same scenario's traffic, drawn evenly across all
accounts, each account tested against it less its own rows. That is what a provider
can do on the day with no label at all: compare an account with everyone else in the same
period. Its weakness: the attackers are in the pool (a campaign of many accounts most of
all), so a kind of traffic that many accounts send looks normal.

`benign`: the calibration scenario's benign accounts ("historical benign traffic", as in
Liu et al. 2026). It reads the calibration labels of benign accounts, as the benchmark's
thresholds already do, but never an attack label. Its weakness here: the test scenarios
draw their prompts from other data sets than the calibration one (`prompt_split`), so
every test account, benign or not, has drifted from it.

Time: `events_per_s` divides the events by the CPU seconds of reading, testing and
embedding this scenario's texts; embedding is charged at the cache's measured rate
(texts per CPU second), so a rerun that finds the vectors cached reports the same cost.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from benchmarks.detection.mmd.detector import MMDConfig, Reference, mmd_test, reference_rows
from benchmarks.detection.mmd.embed import EmbeddingCache

from distillguard.evaluation import read_labels
from distillguard.events import EventReader

REFERENCES = {"pool": "mmd", "benign": "mmd_benignref"}
ALPHA = 0.01  # `flagged`: the permutation test rejects at this level


def query_text(event: Any) -> str:
    """The query a person would read: the last user turn, else every message's text."""
    text = event.request.last_user
    if not text:
        text = "\n".join(m.content for m in event.request.messages)
    return text


def read_queries(folder: Path) -> tuple[int, dict[str, list[str]]]:
    """Events in the folder, and each account's distinct queries in first-seen order.

    Distinct, because MMD compares what an account asks about: a resent prompt would
    count as a within-sample pair at full similarity and make an app that repeats one
    template look far from everyone, which is caching, not extraction.
    """
    seen: dict[str, dict[str, None]] = {}
    events = 0
    for event in EventReader(folder / "events.jsonl"):
        events += 1
        seen.setdefault(event.account, {})[query_text(event)] = None
    return events, {a: list(q) for a, q in seen.items()}


def draw(queries: dict[str, list[str]], cfg: MMDConfig) -> dict[str, list[str]]:
    """At most `per_account` queries of each account, drawn at random (seeded per account,
    so a run draws the same prompts whatever else changed)."""
    out = {}
    for account, texts in queries.items():
        if len(texts) <= cfg.per_account:
            out[account] = texts
            continue
        rng = np.random.default_rng([cfg.seed, zlib.crc32(account.encode())])
        idx = np.sort(rng.choice(len(texts), size=cfg.per_account, replace=False))
        out[account] = [texts[i] for i in idx]
    return out


class Scenario:
    """One scenario's drawn queries as rows of one embedding matrix."""

    def __init__(self, folder: Path, cache: EmbeddingCache, cfg: MMDConfig) -> None:
        self.folder = folder
        start = time.process_time()
        self.events, queries = read_queries(folder)
        drawn = draw(queries, cfg)
        self.read_cpu_s = time.process_time() - start
        texts: list[str] = []
        self.rows: dict[str, np.ndarray] = {}
        for account, qs in drawn.items():
            self.rows[account] = np.arange(len(texts), len(texts) + len(qs))
            texts += qs
        self.distinct_texts = len(set(texts))
        self.vectors = cache.embed(texts)

    def reference(self, accounts: set[str], cfg: MMDConfig, rng: np.random.Generator) -> Reference:
        rows, owners = reference_rows(
            {a: r for a, r in self.rows.items() if a in accounts}, cfg.reference, rng
        )
        return Reference(self.vectors[rows], owners)


def score(
    scenario: Scenario, ref: Reference, cfg: MMDConfig, detector: str, embed_rate: float
) -> dict[str, Any]:
    """Every account of the scenario tested against `ref`: a run like `analyze_one`'s."""
    rng = np.random.default_rng([cfg.seed, zlib.crc32(scenario.folder.name.encode())])
    start = time.process_time()
    scores, flagged, reasons, detail = {}, {}, {}, {}
    for account, rows in sorted(scenario.rows.items()):
        if len(rows) < cfg.min_prompts:
            scores[account], flagged[account] = 0.0, False
            reasons[account] = [f"{len(rows)} distinct prompts: too few to test"]
            continue
        r = mmd_test(scenario.vectors[rows], ref, account, cfg.permutations, rng)
        # The statistic is the score: it ranks (a p-value of 1/201 ties every clear case)
        # and it sits on the 0..1 scale the benchmark's +0.02 threshold margin assumes
        # (a Gaussian kernel's MMD^2 is at most 2, and well under 1 with a median sigma).
        scores[account] = min(1.0, max(0.0, r.mmd2))
        flagged[account] = r.p <= ALPHA
        reasons[account] = [f"MMD^2 {r.mmd2:.4f} against the reference, p {r.p:.3f}, z {r.z:.1f}"]
        detail[account] = {"mmd2": r.mmd2, "p": r.p, "z": r.z, "m": r.m}
    test_cpu = time.process_time() - start
    embed_cpu = scenario.distinct_texts / embed_rate
    cpu = scenario.read_cpu_s + test_cpu + embed_cpu
    return {
        "folder": str(scenario.folder),
        "detector": detector,
        "events": scenario.events,
        "cpu_s": round(cpu, 2),
        "events_per_s": round(scenario.events / cpu),
        "events_per_s_without_embedding": round(scenario.events / (scenario.read_cpu_s + test_cpu)),
        "read_cpu_s": round(scenario.read_cpu_s, 2),
        "test_cpu_s": round(test_cpu, 2),
        "embed_cpu_s": round(embed_cpu, 2),
        "embedded_texts": scenario.distinct_texts,
        "sigma": ref.sigma,
        "scores": scores,
        "flagged": flagged,
        "reasons": reasons,
        "mmd": detail,
    }


def mmd_runs(
    folders: Mapping[str, Path], work: Path, references: list[str], cfg: MMDConfig | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Runs of the MMD detector(s) over every scenario, and what embedding cost."""
    cfg = cfg or MMDConfig()
    cache = EmbeddingCache(work / "mmd-cache")
    wall = time.time()
    scenarios = {name: Scenario(folder, cache, cfg) for name, folder in folders.items()}
    rate = cache.rate()
    runs = []
    if "benign" in references:
        cal = scenarios["calibration"]
        labels = read_labels(cal.folder / "labels.jsonl")
        benign = {a for a, lab in labels.items() if not lab.extraction}
        ref = cal.reference(benign, cfg, np.random.default_rng([cfg.seed, 1]))
        for s in scenarios.values():
            runs.append(score(s, ref, cfg, REFERENCES["benign"], rate["per_cpu_s"]))
    if "pool" in references:
        for s in scenarios.values():
            ref = s.reference(set(s.rows), cfg, np.random.default_rng([cfg.seed, 2]))
            runs.append(score(s, ref, cfg, REFERENCES["pool"], rate["per_cpu_s"]))
    summary = {
        "config": vars(cfg) | {"max_tokens": 128, "model": "all-MiniLM-L6-v2"},
        "embedding": rate | {"this_run": dict(cache.run)},
        "wall_s": round(time.time() - wall, 1),
        "scenarios": {
            n: {
                "events": s.events,
                "accounts": len(s.rows),
                "embedded_texts": s.distinct_texts,
            }
            for n, s in scenarios.items()
        },
        # Per detector and scenario: what its events/s is made of (build_report keeps only
        # the events/s itself).
        "timing": {
            d: {
                Path(r["folder"]).name: {k: r[k] for k in TIMING}
                for r in runs
                if r["detector"] == d
            }
            for d in sorted({r["detector"] for r in runs})
        },
    }
    return runs, summary


TIMING = (
    "events",
    "events_per_s",
    "events_per_s_without_embedding",
    "read_cpu_s",
    "test_cpu_s",
    "embed_cpu_s",
    "embedded_texts",
    "sigma",
)
