"""Where the journal's fsync runs: on the event loop, or in a thread (`[events] commit`).

    .venv/bin/python benchmarks/gateway/commit.py [--rounds 3] [--seconds 8] [--out DIR]

Two gateways as `run.py` starts them (detection on, in a niced worker; each event journaled
with fsync before its answer), one per commit mode, both on the pinned core but never loaded
at once; the mocks and the load generator on the other core. In one run, for `--rounds`
rounds, each phase against the direct baseline measured in the same round:

1. saturated: 100 closed-loop clients on the slow upstream (30 ms), for the rate each mode
   sustains and its CPU per request;
2. added latency at half of saturation: a fixed offered rate of half the lower of the two
   saturated rates of round 1, 100 clients, slow upstream;
3. one client, instant upstream: the request path's own cost, with no queueing.

Every figure is the median over rounds. Writes RESULTS-commit.md and results-commit.json
beside this file (or into `--out`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from procs import Procs, cores, run_json
from report import machine
from run import _cpu_seconds
from systems import FAST_MODEL, MODEL, GatewayOptions, start_gateway, start_mock

HERE = Path(__file__).resolve().parent
# name: ([events] commit, the gateway's GIL switch interval in ms; 0 = Python's 5 ms)
VARIANTS = {
    "loop": ("loop", 0.0),
    "thread": ("thread", 0.0),
    "thread, switch 0.5 ms": ("thread", 0.5),
}
MODES = tuple(VARIANTS)


def drive(
    load: set[int],
    url: str,
    keys: list[str],
    seconds: float,
    model: str,
    clients: int,
    rate: float = 0.0,
    pid: int | None = None,
) -> dict[str, Any]:
    argv = [sys.executable, str(HERE / "loadgen.py"), url, "--clients", str(clients)]
    argv += ["--duration", str(seconds), "--warmup", "0.5", "--model", model]
    argv += ["--keys", ",".join(keys) or "none"]
    if rate:
        argv += ["--rate", f"{rate:.1f}"]
    cpu0, wall0 = _cpu_seconds(pid), time.monotonic()
    out = run_json(argv, load, timeout=seconds + 120)
    if pid is not None:
        used = max(1e-9, _cpu_seconds(pid) - cpu0)
        out["cpu_share"] = round(used / (time.monotonic() - wall0), 3)
        out["cpu_us_per_request"] = round(1e6 * used / max(1, out["answered"]), 1)
    return out


def added(gw: dict[str, Any], direct: dict[str, Any]) -> dict[str, float]:
    g, d = gw["latency_ms"], direct["latency_ms"]
    return {q: round(g[q] - d[q], 3) for q in ("p50", "p90", "p99")}


def median(rows: list[dict[str, Any]], *path: str) -> float:
    vals = []
    for r in rows:
        v: Any = r
        for p in path:
            v = v[p]
        vals.append(float(v))
    return round(statistics.median(vals), 3)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument("--variants", nargs="+", choices=MODES, default=list(MODES))
    args = ap.parse_args()
    modes = tuple(m for m in MODES if m in args.variants)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="dg-commit-"))
    sut, load = cores()
    rounds: list[dict[str, Any]] = []
    with Procs(work) as procs:
        fast = start_mock(procs, "mock-fast", load, 0.0, 0.0)
        slow = start_mock(procs, "mock-slow", load, 30.0, 5.0)
        gws, pids = {}, {}
        for i, mode in enumerate(modes):
            commit, switch_ms = VARIANTS[mode]
            opts = GatewayOptions("aiohttp", 4, {"events": {"commit": commit}}, switch_ms)
            gws[mode] = start_gateway(procs, f"gw-{i}", sut, fast, slow, opts, load)
            pids[mode] = dict(procs.running)[f"gw-{i}"].pid
            drive(load, gws[mode].url, gws[mode].keys, 0.3, FAST_MODEL, 4)  # keys warm
        rate = 0.0
        for k in range(args.rounds):
            r: dict[str, Any] = {"saturated": {}, "paced": {}, "c1": {}}
            for mode in modes:
                gw = gws[mode]
                r["saturated"][mode] = drive(
                    load, gw.url, gw.keys, args.seconds, MODEL, 100, pid=pids[mode]
                )
            if k == 0:
                rate = 0.5 * min(r["saturated"][m]["rps"] for m in modes)
            r["rate"] = rate
            direct = drive(load, slow.url, [], args.seconds, MODEL, 100, rate)
            direct1 = drive(load, fast.url, [], args.seconds / 2, FAST_MODEL, 1)
            for mode in modes:
                gw = gws[mode]
                paced = drive(load, gw.url, gw.keys, args.seconds, MODEL, 100, rate, pids[mode])
                one = drive(load, gw.url, gw.keys, args.seconds / 2, FAST_MODEL, 1, 0, pids[mode])
                r["paced"][mode] = {**paced, "added": added(paced, direct)}
                r["c1"][mode] = {**one, "added": added(one, direct1)}
            rounds.append(r)
            print(
                f"round {k + 1}: "
                + "; ".join(
                    f"{m}: sat {r['saturated'][m]['rps']:.0f}/s, added p50 "
                    f"{r['paced'][m]['added']['p50']} p99 {r['paced'][m]['added']['p99']} ms, "
                    f"c1 p50 {r['c1'][m]['added']['p50']} ms"
                    for m in modes
                ),
                flush=True,
            )
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "command": "python benchmarks/gateway/commit.py " + " ".join(sys.argv[1:]),
        "wall_s": round(time.monotonic() - started, 1),
        "rounds": rounds,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results-commit.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    (args.out / "RESULTS-commit.md").write_text(report(result), encoding="utf-8")
    print(report(result))
    return 0


def report(res: dict[str, Any]) -> str:
    m, rs = res["machine"], res["rounds"]
    modes = list(rs[0]["saturated"])
    lines = [
        "# Gateway: the journal's fsync on the event loop or in a thread (`[events] commit`)",
        "",
        f"- machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, Linux {m['kernel']}",
        f"- date: {res['date']}; commit {m['commit']}; wall time {res['wall_s']} s",
        f"- command: `{res['command']}`",
        "- the gateways on core 0 (never loaded at once), mocks and load generator on core 1;"
        " detection on in a niced worker; fsync (fdatasync) of each event before its answer",
        f"- medians over {len(rs)} rounds; each added latency against the direct baseline of "
        "its round; half of saturation = half the lower saturated rate of round 1 "
        f"({rs[0]['rate']:.0f} req/s offered)",
        "",
        "| commit | saturated req/s (100 clients, 30 ms upstream) | CPU-us per request "
        "(saturated) | added p50 / p90 / p99 ms at half of saturation | added p50 / p99 ms, "
        "1 client, instant upstream |",
        "|---|---|---|---|---|",
    ]
    for mode in modes:
        lines.append(
            f"| {mode} | {median([r['saturated'][mode] for r in rs], 'rps'):.0f} "
            f"| {median([r['saturated'][mode] for r in rs], 'cpu_us_per_request'):.0f} "
            f"| {median([r['paced'][mode] for r in rs], 'added', 'p50')} / "
            f"{median([r['paced'][mode] for r in rs], 'added', 'p90')} / "
            f"{median([r['paced'][mode] for r in rs], 'added', 'p99')} "
            f"| {median([r['c1'][mode] for r in rs], 'added', 'p50')} / "
            f"{median([r['c1'][mode] for r in rs], 'added', 'p99')} |"
        )
    if "thread, switch 0.5 ms" in modes:
        lines += [
            "",
            "`thread, switch 0.5 ms`: the syncer thread, with the gateway's "
            "`sys.setswitchinterval` at 0.5 ms, so the thread waits less for the GIL after each "
            "fsync.",
        ]
    lines += ["", "Each round:", ""]
    for i, r in enumerate(rs, 1):
        for mode in modes:
            p, c = r["paced"][mode], r["c1"][mode]
            lines.append(
                f"- round {i}, {mode}: saturated {r['saturated'][mode]['rps']:.0f} req/s; "
                f"paced {p['rps']:.0f} req/s, added p50 {p['added']['p50']} p99 "
                f"{p['added']['p99']} ms, errors {p['errors'] or 0}; 1 client added p50 "
                f"{c['added']['p50']} p99 {c['added']['p99']} ms"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
