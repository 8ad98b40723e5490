"""Build the families' accounts, replay them in time order, write events and labels.

Each family gets its own seeded generator (from the seed and its name), so asking for a
subset of families leaves the others' accounts as they were. Accounts are merged by a
heap on their next request time: only the heap, each account's session start times and
its open sessions are held, and each event is written as soon as it is built.
"""

from __future__ import annotations

import heapq
import random
import time
from collections import Counter
from pathlib import Path

import numpy as np
import orjson

from distillguard.events import EventWriter, parse_ts
from distillguard.sim.families.build import Builder
from distillguard.sim.families.catalog import FAMILIES
from distillguard.sim.families.config import FamiliesConfig, FamiliesSummary
from distillguard.sim.families.network import Dresser
from distillguard.sim.families.persona import Ctx, Persona
from distillguard.sim.families.replies import Answerer, corpus_of
from distillguard.sim.families.sources import Pools
from distillguard.sim.prompts import load_bank
from distillguard.sim.rates import DAY_S, RateModel
from distillguard.sim.responses import Responder
from distillguard.sim.traces import load_traces

START = "2027-01-11T00:00:00Z"  # a Monday, midnight UTC: day buckets are calendar days


def make_ctx(config: FamiliesConfig) -> tuple[Ctx, bool]:
    """The run's shared context, and whether any built-in stand-in was used."""
    d = config.data_dir if config.data_dir is not None and config.data_dir.is_dir() else None
    bank, traces = load_bank(d), load_traces(d)
    pools = Pools(bank, config.prompt_split, random.Random(f"{config.seed}:pools"))
    personas = tuple(
        it.text for n in ("roles", "orca") if n in pools.by_name for it in pools.by_name[n].items
    )
    ctx = Ctx(
        pools=pools,
        answerer=Answerer(Responder(traces), corpus_of(pools)),
        rates=RateModel(traces),
        start=parse_ts(START) + (config.seed % 4) * 7 * DAY_S,
        days=config.days,
        volume=config.volume,
        personas=personas,
    )
    fallback = not (bank.complete and traces.real_rates and traces.real_tokens)
    return ctx, fallback


def build_personas(config: FamiliesConfig, ctx: Ctx) -> list[Persona]:
    """Every account of the run, twins linked, in family order."""
    out: list[Persona] = []
    for name in config.names:
        fam = FAMILIES[name]
        rng = random.Random(f"{config.seed}:{name}")
        dresser = Dresser(random.Random(f"{config.seed}:{name}:ids"))
        for ben, att in fam.build(Builder(ctx, rng, dresser, name), fam.size(config.accounts)):
            ben.twin, att.twin = att.ident.account, ben.ident.account
            out += [ben, att]
    return out


def replay(personas: list[Persona], ctx: Ctx, writer: EventWriter) -> list[int]:
    """Write every account's events in global time order; events per account."""
    counts = [0] * len(personas)
    heap = []
    for i, p in enumerate(personas):
        p.plan(np.random.default_rng(p.rng.getrandbits(64)))
        if p.next_time() < ctx.end:
            heap.append((p.next_time(), i))
    heapq.heapify(heap)
    while heap:
        i = heap[0][1]
        p = personas[i]
        _t, ev = p.emit()
        if ev is not None:
            writer.write(ev)
            counts[i] += 1
        nt = p.next_time()
        if nt < ctx.end:
            heapq.heapreplace(heap, (nt, i))
        else:
            heapq.heappop(heap)
    return counts


def label_row(p: Persona) -> dict[str, object]:
    row: dict[str, object] = {"account": p.ident.account, "label": p.label}
    if p.campaign:
        row["campaign"] = p.campaign
    row["kind"] = p.kind
    row["family"] = p.family
    if p.twin:
        row["twin"] = p.twin
    if p.strength is not None:
        row["strength"] = round(p.strength, 3)
    return row


def simulate_families(config: FamiliesConfig, out: Path) -> FamiliesSummary:
    """Write `out/events.jsonl` and `out/labels.jsonl`; see the package docstring."""
    began = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ctx, fallback = make_ctx(config)
    personas = build_personas(config, ctx)
    events_path, labels_path = out / "events.jsonl", out / "labels.jsonl"
    with EventWriter(events_path) as writer:
        counts = replay(personas, ctx, writer)
    with open(labels_path, "wb") as fh:
        for p in sorted(personas, key=lambda p: p.ident.account):
            fh.write(orjson.dumps(label_row(p)) + b"\n")
    by_family: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    for p, c in zip(personas, counts, strict=True):
        by_family[p.family] += c
        by_kind[p.kind] += c
    return FamiliesSummary(
        events=sum(counts),
        accounts=len(personas),
        days=config.days,
        elapsed_s=time.perf_counter() - began,
        bytes_written=events_path.stat().st_size,
        events_path=events_path,
        labels_path=labels_path,
        prompt_split=config.prompt_split,
        used_fallback=fallback,
        accounts_by_family=dict(Counter(p.family for p in personas)),
        events_by_family=dict(by_family),
        accounts_by_kind=dict(Counter(p.kind for p in personas)),
        events_by_kind=dict(by_kind),
    )
