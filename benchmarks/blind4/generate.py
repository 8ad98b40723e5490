"""Blind synthetic API-traffic generator (fifth independent author).

    python benchmarks/blind4/generate.py --out DIR --seed 707 --variant base|twins \
        [--accounts 250] [--days 2] [--data /work/shared/data]

Writes DIR/events.jsonl (sorted by ts) and DIR/labels.jsonl; prints a JSON summary last.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path


def _imports():
    if __package__:
        from . import population, runner
        from .data import Pools
    else:  # run as a script: make the package importable as ``blind4``
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from blind4 import population, runner  # type: ignore[no-redef]
        from blind4.data import Pools  # type: ignore[no-redef]
    return population, runner, Pools


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--variant", choices=("base", "twins"), default="base")
    ap.add_argument("--accounts", type=int, default=250)
    ap.add_argument("--days", type=float, default=2.0)
    ap.add_argument("--data", default="/work/shared/data")
    a = ap.parse_args(argv)
    if a.accounts < 1 or a.days <= 0:
        ap.error("--accounts must be >= 1 and --days > 0")
    import numpy as np
    import orjson

    population, runner, pools_cls = _imports()
    t_start = time.perf_counter()
    pools = pools_cls(a.data)
    root = np.random.SeedSequence([a.seed, 0 if a.variant == "base" else 1])
    s_pop, s_acc = root.spawn(2)
    rng = np.random.default_rng(s_pop)
    plans = population.allocate(a.accounts, a.variant, rng)
    population.assign_styles(plans, pools, rng)
    population.scale_volumes(plans, a.days, 400.0 * a.accounts * a.days)
    window_s = a.days * 86400.0
    events: list[tuple[int, int, int, bytes]] = []
    for i, (p, ss) in enumerate(zip(plans, s_acc.spawn(len(plans)), strict=True)):
        for ms, seq, b in runner.run_account(p, pools, ss, window_s, a.days):
            events.append((ms, i, seq, b))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "events.jsonl", "wb") as fh:
        for e in events:
            fh.write(e[3])
            fh.write(b"\n")
    seen = {plans[e[1]].account for e in events}
    with open(out / "labels.jsonl", "wb") as fh:
        for p in sorted(plans, key=lambda q: q.account):
            if p.account in seen:
                fh.write(
                    orjson.dumps(
                        {
                            "account": p.account,
                            "label": p.label,
                            "kind": p.kind,
                            "campaign": p.campaign,
                        }
                    )
                    + b"\n"
                )
    labelled = [p for p in plans if p.account in seen]
    kinds = Counter(p.kind for p in labelled)
    summary = {
        "accounts": len(labelled),
        "extraction_accounts": sum(p.label == "extraction" for p in labelled),
        "events": len(events),
        "variant": a.variant,
        "seed": a.seed,
        "days": a.days,
        "seconds": round(time.perf_counter() - t_start, 1),
        "kinds": dict(sorted(kinds.items())),
    }
    print(orjson.dumps(summary).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
