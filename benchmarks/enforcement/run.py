"""Enforcement benchmark: simulated traffic replayed through a real gateway that enforces.

    python benchmarks/enforcement/run.py [--accounts 200] [--days 2] [--volume 1.0] [--seed 1]
                                         [--policy examples/policy.toml] [--smoke]

Simulates the standard scenario (benign personas and extraction strategies), starts the
gateway in this process with the policy switched to `mode = "enforce"`, replays every request
over loopback HTTP on the simulated clock (`sim.replay`, as `distillguard demo`), and reads back the
gateway's own event log, where each request carries what the policy did to it. Per account:

- harvest leakage (extraction): the share of its requests answered in full, i.e. status 200
  with no enforcement change at all (a watermark counts as a change: the mark carries into a
  model trained on the answer);
- benign impact: the share of benign requests denied or degraded (any change but a
  watermark, or a refusal by the policy).

Also the policy's hot-path cost: `Enforcement.on_request` timed over the replayed requests
with the final enforcer state. Writes RESULTS.md and results.json beside this file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

from distillguard.evaluation import read_labels  # noqa: E402
from distillguard.gateway import BackgroundServer, build_app  # noqa: E402
from distillguard.sim import ScenarioConfig, simulate  # noqa: E402
from distillguard.sim.replay import prepare, read_plan, replay  # noqa: E402

BENIGN_CHANGES = {"watermark"}  # invisible to a customer: not counted as degrading


def enforcing_policy(source: Path, folder: Path) -> Path:
    text = source.read_text()
    lines = [
        'mode = "enforce"'
        if line.strip().startswith("mode =") and not line.startswith(" ")
        else line
        for line in text.splitlines()
    ]
    out = folder / "policy-enforce.toml"
    out.write_text("\n".join(lines) + "\n")
    return out


def classify(event: dict[str, Any]) -> str:
    """full, watermarked, degraded or denied: what this request got."""
    changes = set((event.get("enforcement") or {}).get("changes", []))
    if "deny" in changes or event.get("status", 200) in (403,):
        return "denied"
    if event.get("status", 200) == 429:
        return "denied"  # throttled by a tightened rate limit
    if changes - BENIGN_CHANGES:
        return "degraded"
    return "watermarked" if changes else "full"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--volume", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--policy", type=Path, default=ROOT / "examples" / "policy.toml")
    ap.add_argument("--smoke", action="store_true", help="20 accounts, 1 day, 5% volume")
    ap.add_argument(
        "--verified",
        action="store_true",
        help="every account verified (id): no level from attributes, detection alone decides",
    )
    args = ap.parse_args()
    if args.smoke:
        args.accounts, args.days, args.volume = 20, 1, 0.05
    variant = "verified" if args.verified else "unverified"
    work = HERE / "work" / f"{'smoke' if args.smoke else f'seed{args.seed}'}-{variant}"
    if work.exists():
        import shutil

        shutil.rmtree(work)
    work.mkdir(parents=True)

    config = ScenarioConfig(
        accounts=args.accounts,
        days=args.days,
        seed=args.seed,
        data_dir=DATA if DATA.is_dir() else None,
        volume=args.volume,
    )
    summary = simulate(config, work)
    labels = read_labels(summary.labels_path)
    plan = read_plan(summary.events_path)
    policy = enforcing_policy(args.policy, work)
    ready = prepare(work, plan, labels, policy={"file": str(policy)})
    settings, store, ids, secrets = ready.settings, ready.store, ready.ids, ready.secrets
    if args.verified:
        for gid in ids.values():
            store.set_attributes(gid, verification="id")
    print(f"simulated {summary.events:,} events; replaying {plan.total:,} through the gateway")
    with BackgroundServer(build_app(settings, store=store)) as server:
        start = time.perf_counter()
        statuses = asyncio.run(replay(server.url, plan, secrets))
        took = time.perf_counter() - start
    app_state = server.app.state  # type: ignore[attr-defined]
    enforcement = app_state.enforcement

    by_gid = {gid: labels[name] for name, gid in ids.items() if name in labels}
    per_account: dict[str, Counter[str]] = defaultdict(Counter)
    events = []
    for log in sorted((work / "gateway-events").glob("events-*.jsonl")):
        for line in log.read_bytes().splitlines():
            e = orjson.loads(line)
            events.append(e)
            per_account[e["account"]][classify(e)] += 1

    def share(c: Counter[str], *kinds: str) -> float:
        total = sum(c.values())
        return sum(c[k] for k in kinds) / total if total else 0.0

    leakage = {a: share(c, "full") for a, c in per_account.items() if by_gid[a].extraction}
    # Unrestricted: answered with nothing taken away (a watermark at most).
    open_share = {
        a: share(c, "full", "watermarked") for a, c in per_account.items() if by_gid[a].extraction
    }
    open_by_kind: dict[str, list[float]] = defaultdict(list)
    for a, v in open_share.items():
        open_by_kind[by_gid[a].kind or "?"].append(v)
    by_kind: dict[str, list[float]] = defaultdict(list)
    for a, v in leakage.items():
        by_kind[by_gid[a].kind or "?"].append(v)
    benign = Counter[str]()
    benign_by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    for a, c in per_account.items():
        if not by_gid[a].extraction:
            benign.update(c)
            benign_by_kind[by_gid[a].kind or "?"].update(c)
    extraction = Counter[str]()
    for a, c in per_account.items():
        if by_gid[a].extraction:
            extraction.update(c)

    # The hot path: the policy's part of each request, with the final enforcer state.
    samples = []
    accounts = {a.id: a for a in store.list_accounts()}
    for e in events[:50_000]:
        who, body, endpoint = accounts[e["account"]], e["request"], e.get("endpoint")
        t0 = time.perf_counter_ns()
        enforcement.on_request(who, "demo", body, endpoint or "chat.completions", 0.0)
        samples.append(time.perf_counter_ns() - t0)
    samples.sort()

    def q(p: float) -> float:
        return samples[min(len(samples) - 1, int(p * len(samples)))] / 1000

    results = {
        "command": "python benchmarks/enforcement/run.py " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}",
        "variant": variant,
        "scenario": {
            "accounts": args.accounts,
            "days": args.days,
            "volume": args.volume,
            "seed": args.seed,
            "requests": plan.total,
        },
        "replay": {
            "seconds": round(took, 1),
            "requests_per_s": round(plan.total / took),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
        },
        "leakage_median": statistics.median(leakage.values()) if leakage else None,
        "leakage_by_kind": {k: round(statistics.median(v), 4) for k, v in sorted(by_kind.items())},
        "unrestricted_median": statistics.median(open_share.values()) if open_share else None,
        "unrestricted_by_kind": {
            k: round(statistics.median(v), 4) for k, v in sorted(open_by_kind.items())
        },
        "extraction_requests": dict(extraction),
        "benign_requests": dict(benign),
        "benign_degraded_share": share(benign, "degraded", "denied"),
        "benign_degraded_by_kind": {
            k: round(share(c, "degraded", "denied"), 5) for k, c in sorted(benign_by_kind.items())
        },
        "decision_us": {"p50": q(0.5), "p99": q(0.99), "max": q(1.0), "n": len(samples)},
        "cases_opened": len(store.list_cases(None, 10_000)),
    }
    name = f"results-{'smoke-' if args.smoke else ''}{variant}.json"
    (HERE / name).write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    if not args.smoke:
        write_report()


def write_report() -> None:
    """RESULTS.md from the latest results-unverified.json and results-verified.json."""
    runs = [
        json.loads((HERE / f"results-{v}.json").read_text())
        for v in ("unverified", "verified")
        if (HERE / f"results-{v}.json").is_file()
    ]
    if not runs:
        return
    lines = [
        "# Enforcement benchmark: simulated traffic through an enforcing gateway",
        "",
        "Each run simulates the standard mix, replays every request through a real gateway",
        '(loopback HTTP, `examples/policy.toml` with `mode = "enforce"`) and reads back the',
        "gateway's own event log. *In full*: status 200 and no enforcement change at all;",
        "*unrestricted*: in full or only watermarked; *benign degraded*: denied, or anything",
        "changed but a watermark. `unverified`: accounts as they sign up (verification none:",
        "the policy's probation level watermarks them from the first request); `verified`:",
        "every account id-verified, so detection alone decides.",
        "",
    ]
    for r in runs:
        s, rep = r["scenario"], r["replay"]
        lines += [
            f"## {r['variant']} ({r['date']})",
            "",
            f"- command: `{r['command']}`; machine: {r['machine']}",
            f"- scenario: {s['accounts']} accounts, {s['days']} day(s), volume {s['volume']}, "
            f"seed {s['seed']}: {s['requests']:,} requests, replayed in {rep['seconds']} s "
            f"({rep['requests_per_s']}/s), statuses {rep['statuses']}",
            f"- harvest leakage, median over extraction accounts (in full): "
            f"**{r['leakage_median']:.1%}**; unrestricted: {r['unrestricted_median']:.1%}",
            "- per strategy (median in full / unrestricted): "
            + ", ".join(
                f"{k} {v:.1%} / {r['unrestricted_by_kind'][k]:.1%}"
                for k, v in r["leakage_by_kind"].items()
            ),
            f"- benign requests denied or degraded: **{r['benign_degraded_share']:.3%}**; "
            "per persona: "
            + ", ".join(f"{k} {v:.3%}" for k, v in r["benign_degraded_by_kind"].items()),
            f"- policy on the hot path (`Enforcement.on_request`, {r['decision_us']['n']:,} "
            f"calls): p50 {r['decision_us']['p50']:.1f} µs, p99 "
            f"**{r['decision_us']['p99']:.1f} µs**",
            f"- cases opened: {r['cases_opened']}",
            "",
        ]
    lines += [
        "## Reading",
        "",
        "- Benign impact holds in both runs: not one benign request (benchmark runners and",
        "  batch processors included) was denied or degraded.",
        "- The leakage target is met only by counting a watermark as *not in full*: unverified",
        "  accounts are watermarked from their first request, and detection then restricts or",
        "  refuses. Counting a watermarked answer as leaked, or with every account verified, the",
        "  median is far above 5%: it is set by the 34 hydra members (of 64 extraction",
        "  accounts), which at this scale (1 day at half volume, ~50 requests a member) never",
        "  reach the 30 requests linking needs before it is too late, and are answered in full.",
        "- Per strategy, detection-driven enforcement (the `verified` run) leaves chain-of-",
        "  thought harvests 5% in full, rubric grading 5%, capability harvests 13%, resellers",
        "  12%, broad harvests 28%, the evasive strategy 54%, and logit probes 2.1% (target 1%).",
        "- The full standard scenario (2 days, full volume) was replayed offline through the same",
        "  policy (`decision/REPLAY.md`): 0% in full with watermarks counted, 18.6% median in",
        "  full with every account verified.",
        "",
        "Targets (issue #5): leakage median ≤ 5%, logit probing ≤ 1%, benign impact ≤ 0.1%",
        "with no benchmark runner or batch processor degraded, decision p99 ≤ 50 µs.",
        "The decision alone (no request rewriting) is measured in `decision/RESULTS.md`;",
        "the offline replay of the full standard scenario in `decision/REPLAY.md`.",
        "",
    ]
    (HERE / "RESULTS.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
