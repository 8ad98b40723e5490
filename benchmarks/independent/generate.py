"""An independent, detector-blind generator of model-API traffic with extraction campaigns.

    python benchmarks/independent/generate.py --out DIR --seed N [--accounts 250] [--days 2]
        [--variant base|twins] [--data ../shared/data]

writes DIR/events.jsonl (event log format v1, ../shared/spec/events.md, sorted by ts) and
DIR/labels.jsonl (one row per account: account, label, kind, campaign). Standard library and
numpy only; deterministic per seed and arguments. Written without reading the detector.

Where the numbers come from (my own choices; nothing here is fitted to a detector):
- Text: every user prompt is real, from ../shared/data (instruction sets, benchmarks, search
  and support queries, community system prompts); a few framing strings and follow-up lines are
  written here (cues.py, world.py). Responses are synthetic, sliced from real answers of the
  same kind (corpus.py), 4 characters a token; capped calls end at the cap with "length".
- Timing: ServeGen per-client rate shapes, diurnal/office-hours curves, flat workers or batch
  bursts, drawn per account (arrivals.py); chat answer lengths from the Azure 2023 conversation
  trace, inline-completion sizes from the Azure code trace. Text and timing come from different
  sources: no public source pairs them per customer.
- Cues: one label-blind prior over model, system prompt, tools, CoT phrasing, template,
  max_tokens, temperature, streaming, timing, time zone, address spread, account age, keys and
  error rate (cues.py, with the shares); a persona overrides only what its job fixes.
- Population (population.py, for 250 accounts): benign support bots 12, consumer chat apps 10,
  agent platforms 12, tutoring apps 6, benchmark runners 6, evaluation vendors 3, batch
  labellers 5, researchers 12, RAG apps 10, multi-tenant SaaS 4, content generators 3, coding
  assistants 8, log-likelihood evaluators 3, an enterprise of 20 team accounts and 48 small
  developers; extraction: broad harvesters 3, CoT harvesters 2, a code and a math harvester,
  a rubric harvester, agent-trace harvesters 2, chat-app posers 2, a reseller, a logit prober,
  a hydra cluster of 22 and a low-and-slow network of 50 (the two campaigns).
- Volumes (calls a day, lognormal): harvesters 700-2500 median, sigma 0.4; benign apps 80-1800
  median, sigma 0.5-1.0 (heavy-tailed); hydra members 350; low-and-slow members and small
  developers uniform 10-60.
- Variant "twins": each non-cluster attacker gets a benign twin with a copy of its cues, the
  enterprise takes the hydra's shape, and attackers mimic benign habits a little (see
  population.py and extraction.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import corpus
import numpy as np
import population
from extraction import campaign_call
from wire import Texts, Wire
from world import World

T0 = 1772409600.0  # 2026-03-02T00:00:00Z, a Monday
DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def make_world(
    pools: corpus.Pools, seed_rng: np.random.Generator, days: float, variant: str
) -> World:
    w = World(
        pools,
        Wire(Texts(pools.prose, pools.code, pools.steps)),
        T0,
        days,
        variant,
        np.random.default_rng(int(seed_rng.integers(1 << 62))),
    )
    w.src = {
        "instruct": pools.instruct(),
        "alpaca": pools.alpaca,
        "code": pools.code_alpaca,
        "t0": pools.t0,
        "gsm8k": pools.gsm8k,
        "humaneval": pools.humaneval,
        "mmlu": [q for _, q in pools.mmlu],
        "mt1": [t[0] for t in pools.mt_bench],
        "vicuna": pools.vicuna,
        "nq": pools.nq,
        "clinc": [t for t, _ in pools.clinc],
        "banking": [t for t, _ in pools.banking],
        "bitext": [t for t, _ in pools.bitext],
        "roles": [p for _, p in pools.roles],
    }
    w.code_set = set(pools.code_alpaca) | set(pools.humaneval)
    w.math_set = set(pools.gsm8k)
    return w


def run_campaign(w: World, rng: np.random.Generator, cid: str, members: list) -> None:
    """All members' calls in time order, each taking the next prompt of one shared walk, so no
    prompt is sent twice across the campaign (until the selection runs out)."""
    s = w.src
    if cid.startswith("hydra"):
        pool = s["instruct"]
    else:  # the network's own selection, de-duplicated
        pool = list(
            dict.fromkeys(s["alpaca"] + s["code"] + s["t0"] + s["gsm8k"] + s["vicuna"] + s["mt1"])
        )
    queue = w.walk(np.random.default_rng(int(rng.integers(1 << 62))), pool)
    ctxs = [{"system": a.cues.system, "tools": a.cues.tools, "median": 600.0} for a in members]
    times = sorted((float(t), i) for i, a in enumerate(members) for t in w.starts(a))
    for t, i in times:
        campaign_call(w, members[i], t, ctxs[i], next(queue))


def generate(out: Path, seed: int, accounts: int, days: float, variant: str, data: Path) -> dict:
    started = time.perf_counter()
    pools = corpus.load(data)
    rng = np.random.default_rng(seed)
    w = make_world(pools, rng, days, variant)
    jobs, campaigns = population.build(w, rng, accounts, variant == "twins")
    for job in jobs:
        a = job.account
        ctx = job.setup(w, a)
        for t in w.starts(a, a.cues.volume / job.per_start):
            job.conv(w, a, float(t), ctx)
    for cid, members in campaigns.items():
        run_campaign(w, rng, cid, members)
    everyone = [j.account for j in jobs] + [a for m in campaigns.values() for a in m]
    events = sorted((e for a in everyone for e in a.events), key=lambda e: e[0])
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "events.jsonl", "w", encoding="utf-8") as f:
        for _, line in events:
            f.write(line + "\n")
    active = sorted((a for a in everyone if a.events), key=lambda a: a.id)
    with open(out / "labels.jsonl", "w", encoding="utf-8") as f:
        for a in active:
            row = {"account": a.id, "label": a.label, "kind": a.kind, "campaign": a.campaign}
            f.write(json.dumps(row) + "\n")
    summary = {
        "seed": seed,
        "variant": variant,
        "days": days,
        "accounts": len(active),
        "accounts_without_events": len(everyone) - len(active),
        "events": len(events),
        "extraction_accounts": sum(a.label == "extraction" for a in active),
        "extraction_events": sum(len(a.events) for a in active if a.label == "extraction"),
        "bytes": (out / "events.jsonl").stat().st_size,
        "seconds": round(time.perf_counter() - started, 1),
    }
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--out", type=Path, required=True, help="folder for events.jsonl and labels.jsonl"
    )
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--accounts", type=int, default=250, help="about this many accounts")
    ap.add_argument("--days", type=float, default=2.0)
    ap.add_argument("--variant", choices=["base", "twins"], default="base")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    args = ap.parse_args(argv)
    summary = generate(args.out, args.seed, args.accounts, args.days, args.variant, args.data)
    print(json.dumps(summary), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
