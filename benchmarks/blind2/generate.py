"""blind2: an independent, detector-blind traffic generator for a model API (event log spec v1).

    python benchmarks/blind2/generate.py --out DIR --seed N [--accounts 250] [--days 2]
                                         [--variant base|twins] [--data /work/shared/data]

Writes DIR/events.jsonl (sorted by ts) and DIR/labels.jsonl (one row per account).
Written without reading the detector or the other generators.

Guesses (not measurements) behind the world; everything is a lognormal/Poisson draw around these:
- Start 2026-03-10T00:00Z (Tue); 10-minute intensity bins with gamma(4, .25) bin-to-bin noise.
- Time zones: US West/East 17% each, Central Europe 15%, UK 8%, East Asia 13%, India 7%, rest.
- Account age: 10% younger than 14 days, otherwise lognormal median 160 days (any label).
- Client settings (label-agnostic): stream never/always/mixed ~ 3/8, 3/8, 2/8; temperature omitted
  30%; max_tokens omitted 35% (30% of setters use max_completion_tokens); 12% of accounts add a
  chain-of-thought phrase; 40% wrap prompts in a template; 5% send seed; 25% mix two models;
  1-12 keys (60% one); rate-limit 429s at 0-3% of requests; 0.3% 5xx without a response.
- Benign median events/day: indie dev 25, researcher 250, content 200, tutoring 400, RAG 400,
  support bot 500, coding 500, consumer chat 700, agent platform 900, enterprise 1500, eval vendor
  2500, batch labeller 3500, aggregator 4000, multi-tenant SaaS 5000 (sigma 0.8-1.3: heavy tails).
- Benign mix: indie 17%, chat 11%, support 10%, coding 8%, RAG 8%, research 7%, content 7%, agents
  7%, enterprise 6%, tutoring 5%, eval 5%, labelling 4%, SaaS 3%, aggregators 2%.
- Extraction ~1/3 of accounts: hydra 8% (20 of 250; 250-700 req/day each, young accounts, one
  residential proxy pool, one shared queue), low-and-slow 19% (48; 10-60 req/day, own /24, own
  system prompt and frame, one shared no-repeat selection), solo harvesters 7% (median
  1000-4000 req/day; broad, CoT, code, math, rubric, agent-trace, logprob, reseller, chat-poser,
  Magpie).  Resellers route 25-50% extraction through otherwise genuine end-customer traffic.
- Token lengths: conversational/code outputs sampled from the Azure 2023 LLM traces; others
  lognormal; responses are slices of real answers from the data sets (synthetic pairing).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import attack
import benign
import benign2
from common import Account, iso, twin_of
from pools import Pools
from twins import TWIN_JOB

BENIGN_MIX = [
    ("indie_dev", 0.17),
    ("consumer_chat", 0.11),
    ("support_bot", 0.10),
    ("coding_assistant", 0.08),
    ("rag_app", 0.08),
    ("researcher", 0.07),
    ("content_gen", 0.07),
    ("agent_platform", 0.07),
    ("enterprise_team", 0.06),
    ("tutoring", 0.05),
    ("eval_vendor", 0.05),
    ("batch_labeller", 0.04),
    ("multitenant_saas", 0.03),
    ("aggregator_proxy", 0.02),
]
SOLO_ORDER = [
    "broad_harvester",
    "cot_harvester",
    "code_harvester",
    "agent_trace_harvester",
    "logprob_prober",
    "rubric_harvester",
    "chat_poser",
    "reseller_mixed",
    "math_harvester",
    "magpie_harvester",
]


def allocate(n, mix):
    """Largest-remainder split of n accounts over the mix (deterministic)."""
    raw = np.array([w for _, w in mix]) * n
    cnt = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - cnt), kind="stable")[: n - cnt.sum()]:
        cnt[i] += 1
    return [(k, int(c)) for (k, _), c in zip(mix, cnt, strict=False)]


def build(seed, n_accounts, days, variant, data):
    P = Pools(data)
    ss = np.random.SeedSequence(seed)
    world_rng = np.random.default_rng(ss.spawn(1)[0])
    n_hydra = max(2, round(0.08 * n_accounts))
    n_low = max(3, round(0.19 * n_accounts))
    n_solo = max(1, round(0.072 * n_accounts))
    n_benign = n_accounts - n_hydra - n_low - n_solo
    if variant == "twins":
        n_benign -= n_solo
    if n_benign < 1:
        raise SystemExit("too few accounts for this variant")
    seeds = iter(ss.spawn(n_accounts + 8))
    accts = []

    def new(label, kind, campaign=None):
        rng = np.random.default_rng(next(seeds))
        a = Account(rng, label, kind, campaign)
        accts.append(a)
        return a, rng

    for kind, c in allocate(n_benign, BENIGN_MIX):
        for _ in range(c):
            a, rng = new("benign", kind)
            (getattr(benign, kind, None) or getattr(benign2, kind))(rng, P, a, days)
    solos = []
    for i in range(n_solo):
        kind = SOLO_ORDER[i % len(SOLO_ORDER)]
        a, rng = new("extraction", kind)
        getattr(attack, kind)(rng, P, a, days)
        solos.append(a)
    hyd = [new("extraction", "hydra_member", "hydra-1")[0] for _ in range(n_hydra)]
    attack.hydra(np.random.default_rng(next(seeds)), P, hyd, days)
    low = [new("extraction", "lowslow_member", "lowslow-1")[0] for _ in range(n_low)]
    attack.lowslow(np.random.default_rng(next(seeds)), P, low, days)
    if variant == "twins":
        trng = np.random.default_rng(next(seeds))
        for s in solos:
            t = twin_of(trng, s, "twin_" + s.kind)
            accts.append(t)
            TWIN_JOB[s.kind](np.random.default_rng(next(seeds)), P, t, days)
    order = world_rng.permutation(len(accts))
    return [accts[int(i)] for i in order]


def write(out, accts):
    os.makedirs(out, exist_ok=True)
    rows = []
    for a in accts:
        for j, e in enumerate(a.events):
            rows.append((e["ts"], a.id, j, e))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with open(os.path.join(out, "events.jsonl"), "w", encoding="utf-8") as f:
        buf = []
        for ts, _, _, e in rows:
            d = {"ts": iso(ts)}
            d.update((k, v) for k, v in e.items() if k != "ts")
            buf.append(dumps(d))
            if len(buf) >= 5000:
                f.write("\n".join(buf) + "\n")
                buf = []
        if buf:
            f.write("\n".join(buf) + "\n")
    with open(os.path.join(out, "labels.jsonl"), "w", encoding="utf-8") as f:
        for a in sorted(accts, key=lambda a: a.id):
            f.write(
                json.dumps(
                    {"account": a.id, "label": a.label, "kind": a.kind, "campaign": a.campaign}
                )
                + "\n"
            )
    return len(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--accounts", type=int, default=250)
    ap.add_argument("--days", type=float, default=2.0)
    ap.add_argument("--variant", choices=["base", "twins"], default="base")
    ap.add_argument("--data", default="/work/shared/data")
    args = ap.parse_args(argv)
    t0 = time.time()
    accts = build(args.seed, args.accounts, args.days, args.variant, args.data)
    n = write(args.out, accts)
    lab = sum(a.label == "extraction" for a in accts)
    print(
        f"{n} events, {len(accts)} accounts ({lab} extraction) "
        f"in {time.time() - t0:.1f}s -> {args.out}"
    )


if __name__ == "__main__":
    main()
