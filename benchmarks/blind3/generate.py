"""Detector-blind synthetic API traffic: benign customers and extraction campaigns.

    python benchmarks/blind3/generate.py --out DIR --seed N [--accounts 250] [--days 2]
        [--variant base|twins] [--data /work/shared/data]

Writes DIR/events.jsonl (spec/events.md, sorted by ts) and DIR/labels.jsonl, and prints a JSON
summary as its last line. Written without reading the detector, its policy, its tests or the
other benchmarks.

Every number below is a GUESS by the author, not a measurement:
- Accounts: about 66% benign, 34% extraction. At 250 accounts: 22 hydra members (8.8%), 38
  low-and-slow members (15.2%), 25 solo attackers (4 chat-app posers, 3 broad harvesters,
  4 chain-of-thought harvesters, 3 rubric/grading harvesters, 3 code harvesters, 3 tool-trace
  harvesters, 3 logprob harvesters, 2 resellers), the rest benign. Solo counts scale with
  --accounts; campaigns are shares.
- Benign mix (weights): indie dev 14, support bot 10, consumer chat 10, enterprise team 7,
  agent platform 6, benchmark runner 6, researcher 6, RAG app 6, coding assistant 6,
  tutoring 5, batch labeller 5, multi-tenant SaaS 4, content generator 4, eval vendor 3,
  log-likelihood evaluator 3. With --variant twins, 25 of the benign accounts are twins, one
  per solo attacker, copying its cues and volume (kind "<persona>_twin").
- Volumes (events per account-day, log-uniform in world.VOLUME, then x0.75): indie 5-60,
  low-and-slow 10-60, hydra 150-450 each, broad harvesters 1500-4000, eval vendors 800-3000,
  SaaS 800-3000, labellers 500-3000 ... About 190k-220k events (640-780 MB) for 250 accounts
  over 2 days; 20-30 s and about 2.1 GB RSS on 2 cores.
- Cue shares, drawn the same way for every account whatever its label (world.draw_cues):
  stream 35%, tools 12%, CoT phrase 15% (suffix 60% / system 30% / prefix 10%), system prompt
  on 65% (off 25%, sometimes 10%), max_tokens unset 40%, logprobs 3%, JSON mode 8%, n>1 3%,
  seed 8%, IP mode single 42% / few 33% / client-side residential 17% / rotating proxy 8% (three
  shared proxy providers; the hydra uses provider 0, which others may use too), rhythm diurnal
  26% / office 14% / flat 14% / real ServeGen client rate 24% / batch 16% / cron 6%, late
  start 12%, early stop 5%, re-send 0-8%, error rate 0.2-3%.
- Persona essentials, each with a counterpart on the other side: tools always for agent
  platforms and tool-trace harvesters; logprobs and tiny max_tokens for log-likelihood
  evaluators and logprob harvesters; a CoT phrase for CoT harvesters and half the benchmark
  runners; a system prompt always for tutoring and chat-app posers.
- Twins variant only: attackers follow up 5-30% of the time, re-send >= 2%, and 40% of those
  choosing a system prompt borrow a product one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the folder importable as a package
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "blind3"

from .attacks import CAMPAIGNS, SOLO
from .benign import PERSONAS as APPS
from .benign_eval import PERSONAS as EVALS
from .emit import Ctx
from .text import Pools
from .timing import Traces
from .world import build


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--accounts", type=int, default=250)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--variant", choices=["base", "twins"], default="base")
    ap.add_argument("--data", default=os.environ.get("BLIND3_DATA", "/work/shared/data"))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ss = np.random.SeedSequence([args.seed, 3])
    accounts, net = build(ss, args.accounts, args.variant)
    ctx = Ctx(Pools(args.data), Traces(args.data), args.days, args.variant)
    personas = {**APPS, **EVALS, **SOLO}
    groups: dict[str, list] = {}
    for a in accounts:
        if a.persona in CAMPAIGNS:
            groups.setdefault(a.persona, []).append(a)
    for name, members in groups.items():
        CAMPAIGNS[name](ctx, net, members)
    for a in accounts:
        if a.persona not in CAMPAIGNS:
            personas[a.persona](ctx, a, net)
    extraction_ids = {a.id for a in accounts if a.label == "extraction"}
    ext_events = ctx.ext
    n, nbytes = ctx.write(out / "events.jsonl", out / "labels.jsonl", accounts)
    summary = {
        "seed": args.seed,
        "variant": args.variant,
        "days": args.days,
        "accounts": len(accounts),
        "events": n,
        "extraction_accounts": len(extraction_ids),
        "extraction_events": ext_events,
        "bytes": nbytes,
        "seconds": round(time.perf_counter() - t0, 2),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
