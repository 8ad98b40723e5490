"""Build a scenario's accounts, draw their arrivals, merge them and write the log.

Memory stays small at any size: arrival times are numpy arrays (one float per event), a
stable global argsort gives the order, and each event body is built only when its turn
comes, written with orjson and dropped. Ties keep account order, so output is
byte-identical for the same configuration.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

import numpy as np
import orjson

from distillguard.events import EventWriter, parse_ts
from distillguard.sim.actor import Actor, Context
from distillguard.sim.attacks import (
    BroadHarvest,
    CapabilityHarvest,
    CotHarvest,
    Evasive,
    LogitProbe,
    RubricGrading,
)
from distillguard.sim.benchmarks import BenchmarkRunner
from distillguard.sim.campaigns import Campaign, HydraMember, Reseller
from distillguard.sim.config import MIXES, VARIANTS, ScenarioConfig, SimSummary
from distillguard.sim.identity import Slot, assign_identities
from distillguard.sim.personas import BatchProcessor, ConsumerChat, RagApp, Researcher, SupportBot
from distillguard.sim.prompts import load_bank
from distillguard.sim.rates import DAY_S, RateModel
from distillguard.sim.responses import Responder
from distillguard.sim.traces import load_traces

ACTORS: dict[str, type[Actor]] = {
    cls.kind: cls
    for cls in (
        ConsumerChat,
        SupportBot,
        RagApp,
        BenchmarkRunner,
        BatchProcessor,
        Researcher,
        BroadHarvest,
        CotHarvest,
        CapabilityHarvest,
        RubricGrading,
        LogitProbe,
        HydraMember,
        Reseller,
        Evasive,
    )
}


def campaign_sizes(rng: random.Random, members: int, campaigns: int) -> list[int]:
    """Split hydra members into campaigns of similar size (within ~15%), two or more each."""
    if members == 0:
        return []
    n = max(1, min(campaigns, members // 2))
    sizes = [members // n + (1 if i < members % n else 0) for i in range(n)]
    for i in range(n - 1):  # campaigns are not all the same size
        move = rng.randint(0, max(0, min(sizes[i] // 7, sizes[i] - 2)))
        sizes[i] -= move
        sizes[i + 1] += move
    return sizes


def build_actors(config: ScenarioConfig, ctx: Context) -> list[Actor]:
    """Every account of the scenario, in a seeded shuffled order (index = tie-break)."""
    rng = random.Random(config.seed)
    mix = MIXES[config.scenario]
    counts = mix.counts(config.accounts)
    sizes = campaign_sizes(rng, counts["hydra"], mix.campaigns)
    slots = [Slot(ACTORS[k].label, k) for k, n in counts.items() if k != "hydra" for _ in range(n)]
    slots += [Slot("extraction", "hydra", c) for c, size in enumerate(sizes) for _ in range(size)]
    rng.shuffle(slots)
    identities = assign_identities(rng, slots, sizes)
    operations = [
        Campaign(f"camp_{rng.getrandbits(32):08x}", ctx, random.Random(rng.getrandbits(64)))
        for _ in sizes
    ]
    actors: list[Actor] = []
    for slot, ident in zip(slots, identities, strict=True):
        own = random.Random(rng.getrandbits(64))
        if slot.campaign is not None:
            actors.append(HydraMember(ctx, own, ident, operations[slot.campaign]))
        else:
            actors.append(ACTORS[slot.kind](ctx, own, ident))
    return actors


def merged_arrivals(
    actors: list[Actor], seed: int, start: float, days: int
) -> tuple[np.ndarray, np.ndarray]:
    """All arrival times in order, with the index of the actor each belongs to."""
    children = np.random.SeedSequence([seed, 0xA771]).spawn(len(actors))
    end = start + days * DAY_S
    times, owners = [], []
    for i, (actor, child) in enumerate(zip(actors, children, strict=True)):
        rng = np.random.default_rng(child)
        t = actor.arrivals(rng)
        t = t[(t >= start) & (t < end)]
        if len(t) == 0:  # every labelled account appears at least once in the log
            t = np.array([rng.uniform(start, end)])
        times.append(t)
        owners.append(np.full(len(t), i, dtype=np.int32))
    ts = np.concatenate(times)
    own = np.concatenate(owners)
    order = np.argsort(ts, kind="stable")
    return ts[order], own[order]


def make_context(config: ScenarioConfig) -> Context:
    """Load text pools and traces (absent folder: built-in stand-ins) for one run."""
    data_dir = config.data_dir if config.data_dir is not None and config.data_dir.is_dir() else None
    traces = load_traces(data_dir)
    return Context(
        bank=load_bank(data_dir),
        responder=Responder(traces),
        rates=RateModel(traces),
        variant=VARIANTS[config.scenario],
        start=parse_ts(MIXES[config.scenario].start),
        days=config.days,
        volume=config.volume,
    )


def simulate(config: ScenarioConfig, out_dir: str | Path) -> SimSummary:
    """Write `events.jsonl` and `labels.jsonl` into `out_dir`; see the package docstring."""
    began = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ctx = make_context(config)
    actors = build_actors(config, ctx)
    ts, owners = merged_arrivals(actors, config.seed, ctx.start, config.days)

    per_actor = np.bincount(owners, minlength=len(actors))
    events_path = out / "events.jsonl"
    with EventWriter(events_path) as writer:
        for t, i in zip(ts.tolist(), owners.tolist(), strict=True):
            writer.write(actors[i].event(t))

    labels_path = out / "labels.jsonl"
    with open(labels_path, "wb") as fh:
        for a in sorted(actors, key=lambda a: a.account):
            row = {"account": a.account, "label": a.label}
            if a.campaign:
                row["campaign"] = a.campaign
            row["kind"] = a.kind
            fh.write(orjson.dumps(row) + b"\n")

    events_by_kind: Counter[str] = Counter()
    for a, n in zip(actors, per_actor.tolist(), strict=True):
        events_by_kind[a.kind] += n
    return SimSummary(
        events=len(ts),
        accounts=len(actors),
        days=config.days,
        elapsed_s=time.perf_counter() - began,
        events_path=events_path,
        labels_path=labels_path,
        used_fallback=not (
            ctx.bank.complete and ctx.rates.traces.real_rates and ctx.rates.traces.real_tokens
        ),
        accounts_by_kind=dict(Counter(a.kind for a in actors)),
        events_by_kind=dict(events_by_kind),
    )
