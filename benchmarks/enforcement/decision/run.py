"""Enforcement decision benchmark: what the policy costs on the gateway's hot path.

    .venv/bin/python benchmarks/enforcement/decision/run.py            # full
    .venv/bin/python benchmarks/enforcement/decision/run.py --smoke    # tiny, for tests

1. An `Enforcer` on the default policy (examples/policy.toml) holding 100,000 accounts, put
   on their levels by `observe` with a mix of risks and attributes (most at the first
   level, a few percent flagged).
2. Latency of each hot-path call, timed one call at a time (perf_counter_ns, the timer's
   own cost measured and subtracted): `decision(account, tier)` alone (10% of lookups for
   accounts never seen), decision + `apply_request` of a typical chat body,
   `apply_response`, `StreamRewriter.feed` of one chunk; and `observe` (off the hot path).
3. Replay throughput (CPU time, one core): the analyzer alone against `policy test`'s
   replay (analyzer + enforcer + judging) over a small simulated scenario.

Writes `RESULTS.md` and `results.json` beside this file (or in --out).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from distillguard.detect.engine import Analyzer
from distillguard.events import EventReader
from distillguard.policy import (
    AccountAttributes,
    Enforcer,
    StreamRewriter,
    apply_request,
    apply_response,
    default_policy,
)
from distillguard.policy.replay import Replay
from distillguard.sim import ScenarioConfig, simulate

HERE = Path(__file__).resolve().parent
BODY: dict[str, Any] = {
    "model": "m-large",
    "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Explain step by step why the sky is blue."},
    ],
    "temperature": 0.7,
    "max_tokens": 1024,
    "stream": True,
}
RESPONSE: dict[str, Any] = {
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Rayleigh scattering ..."},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 31, "completion_tokens": 412},
}
CHUNK = b'data: {"id":"c1","choices":[{"index":0,"delta":{"content":" blue"}}]}\n\n'
ATTRS = (
    AccountAttributes(),
    AccountAttributes("email", "startup_programme"),
    AccountAttributes("id", "enterprise"),
    AccountAttributes("business", "enterprise"),
)


def populate(n: int, rng: random.Random) -> tuple[Enforcer, list[str], float]:
    """An enforcer holding `n` accounts; also the mean cost of one `observe` (µs)."""
    enforcer = Enforcer(default_policy())
    accounts = [f"acct_{i:07d}" for i in range(n)]
    start = time.perf_counter()
    calls = 0
    for i, account in enumerate(accounts):
        u = rng.random()
        risk = rng.uniform(0, 0.2) if u < 0.9 else rng.uniform(0.2, 0.5 if u < 0.98 else 1.0)
        attrs = ATTRS[i % len(ATTRS)]
        # The flagged levels need 300 requests of history (policy/default.toml).
        for k in range(3 if risk < 0.35 else 301):
            enforcer.observe(account, risk, now=1000.0 * i + k, attrs=attrs, tier="standard")
            calls += 1
    return enforcer, accounts, (time.perf_counter() - start) / calls * 1e6


def timer_cost_ns(samples: int) -> float:
    t = time.perf_counter_ns
    costs = []
    for _ in range(samples):
        a = t()
        costs.append(t() - a)
    return statistics.median(costs)


def latencies(call: Callable[[int], object], samples: int, overhead: float) -> dict[str, float]:
    """Percentiles (µs) of `call(i)` timed one call at a time, less the timer's own cost."""
    t = time.perf_counter_ns
    out = []
    for i in range(samples):
        a = t()
        call(i)
        out.append(max(0.0, t() - a - overhead))
    out.sort()

    def pct(q: float) -> float:
        return out[min(len(out) - 1, int(q * len(out)))] / 1000

    return {
        "p50_us": pct(0.5),
        "p99_us": pct(0.99),
        "p999_us": pct(0.999),
        "max_us": out[-1] / 1000,
        "mean_us": sum(out) / len(out) / 1000,
    }


def hot_path(n_accounts: int, samples: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    enforcer, accounts, observe_us = populate(n_accounts, rng)
    picks = [
        accounts[rng.randrange(n_accounts)] if rng.random() < 0.9 else f"new_{i}"
        for i in range(samples)
    ]
    overhead = timer_cost_ns(samples)
    flagged = next(a for a, d in enforcer.escalated() if d.effect.reasoning == "none")
    withheld = enforcer.decision(flagged, "standard")
    with_reasoning = {
        "choices": [{"message": {**RESPONSE["choices"][0]["message"], "reasoning_content": "x"}}]
    }
    rewriter = StreamRewriter(withheld)
    levels: dict[str, int] = {}
    for a in accounts:
        name = enforcer.decision(a, "standard").level
        levels[name] = levels.get(name, 0) + 1
    return {
        "accounts": n_accounts,
        "samples": samples,
        "timer_overhead_ns": overhead,
        "accounts_by_level": levels,
        "observe_mean_us": observe_us,
        "decision": latencies(lambda i: enforcer.decision(picks[i], "standard"), samples, overhead),
        "decision_and_apply_request": latencies(
            lambda i: apply_request(BODY, enforcer.decision(picks[i], "standard")),
            samples,
            overhead,
        ),
        "apply_response_no_reasoning": latencies(
            lambda i: apply_response(RESPONSE, withheld), samples, overhead
        ),
        "apply_response_withhold_reasoning": latencies(
            lambda i: apply_response(with_reasoning, withheld), samples, overhead
        ),
        "stream_feed_chunk": latencies(lambda i: rewriter.feed(CHUNK), samples, overhead),
    }


def replay_throughput(accounts: int, volume: float, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        summary = simulate(ScenarioConfig(accounts=accounts, days=1, seed=seed, volume=volume), tmp)
        events = list(EventReader(summary.events_path))
    start = time.process_time()
    analyzer = Analyzer()
    for e in events:
        analyzer.process(e)
    alone = time.process_time() - start
    start = time.process_time()
    replay = Replay(default_policy())
    for e in events:
        replay.step(e)
    both = time.process_time() - start
    return {
        "events": len(events),
        "analyzer_events_per_s": len(events) / alone,
        "replay_events_per_s": len(events) / both,
        "policy_share_of_cpu": 1 - alone / both,
    }


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cpu": cpu, "python": platform.python_version(), "uname": " ".join(platform.uname())}


def write_results(out: Path, results: dict[str, Any], command: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    hp, rp, m = results["hot_path"], results["replay"], results["machine"]
    rows = [
        ("decision(account, tier)", hp["decision"]),
        ("decision + apply_request", hp["decision_and_apply_request"]),
        ("apply_response, no reasoning", hp["apply_response_no_reasoning"]),
        ("apply_response, reasoning withheld", hp["apply_response_withhold_reasoning"]),
        ("StreamRewriter.feed, one chunk", hp["stream_feed_chunk"]),
    ]
    lines = [
        "# Enforcement decision benchmark",
        "",
        f"- machine: {m['cpu']}, Python {m['python']}; `{m['uname']}`",
        f"- date: {results['date']}; wall time {results['wall_s']:.1f} s",
        f"- command: `{command}`",
        f"- {hp['accounts']:,} accounts in the enforcer (by level: {hp['accounts_by_level']}); "
        f"{hp['samples']:,} timed calls each, one at a time; timer cost "
        f"{hp['timer_overhead_ns']:.0f} ns subtracted",
        "- target: policy decision on the hot path p99 <= 50 µs",
        "",
        "| call (hot path) | p50 µs | p99 µs | p99.9 µs | max µs | mean µs |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['p50_us']:.2f} | {r['p99_us']:.2f} | {r['p999_us']:.2f} | "
            f"{r['max_us']:.1f} | {r['mean_us']:.2f} |"
        )
    lines += [
        "",
        f"`observe` (off the hot path, after each scored event): {hp['observe_mean_us']:.1f} µs "
        "mean.",
        "",
        f"Replay (`policy test`) over {rp['events']:,} simulated events, CPU time on one core: "
        f"analyzer alone {rp['analyzer_events_per_s']:,.0f} events/s, analyzer + enforcer + "
        f"judging {rp['replay_events_per_s']:,.0f} events/s (the policy's share of the CPU: "
        f"{rp['policy_share_of_cpu']:.0%}).",
        "",
        "What the default policy does to simulated traffic (leakage, benign impact, per seed): "
        "REPLAY.md, from `python benchmarks/enforcement/decision/replay.py`.",
        "",
    ]
    (out / "RESULTS.md").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for tests")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for RESULTS.md")
    args = parser.parse_args()
    began = time.perf_counter()
    if args.smoke:
        hp, rp = hot_path(2_000, 5_000, 1), replay_throughput(20, 0.02, 1)
    else:
        hp, rp = hot_path(100_000, 1_000_000, 1), replay_throughput(60, 0.3, 1)
    results = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "wall_s": time.perf_counter() - began,
        "hot_path": hp,
        "replay": rp,
    }
    command = "python benchmarks/enforcement/decision/run.py" + (" --smoke" if args.smoke else "")
    write_results(args.out, results, command)
    print((args.out / "RESULTS.md").read_text())
    sys.exit(0 if hp["decision"]["p99_us"] <= 50 or args.smoke else 1)


if __name__ == "__main__":
    main()
