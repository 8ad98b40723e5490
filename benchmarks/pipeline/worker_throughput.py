"""How fast a detection worker takes journaled events into effect, on one core and on two.

    .venv/bin/python benchmarks/pipeline/worker_throughput.py           # 60,000 events
    .venv/bin/python benchmarks/pipeline/worker_throughput.py --smoke   # 4,000, seconds

The events are the detection throughput benchmark's (benchmarks/detection/throughput_events.py:
~3 KB each, 200 accounts, long answers), written into a journal as the gateway writes it. A
worker (`pipeline.worker.run_worker`: journal read, JSON parse, reorder, event log, detection,
the policy's case keeper, checkpoints to SQLite every 10 s) reads the journal to its end:

- one worker, pinned to one core: events/s of wall time and of CPU time;
- two workers at once, each pinned to its own core, each on half of the accounts (split by
  `partition_of`, as the stream partitions them): events/s together, against one.

Writes RESULTS-worker.md and results-worker.json beside this file (not with --smoke).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the repository root, for benchmarks.*

from benchmarks.detection.throughput_events import generate  # noqa: E402

from distillguard.events import parse_ts  # noqa: E402
from distillguard.pipeline.jetstream import partition_of  # noqa: E402
from distillguard.pipeline.journal import Journal  # noqa: E402
from distillguard.pipeline.worker import run_worker  # noqa: E402
from distillguard.settings import load_settings  # noqa: E402


def journal_of(events: Path, folder: Path, keep: int | None, parts: int) -> int:
    """Write the events (those of partition `keep`, or all) as journal records; how many."""
    journal = Journal(folder, sync="write")
    n = 0
    with events.open("rb") as fh:
        for raw in fh:
            event = orjson.loads(raw)
            if keep is not None and partition_of(event["account"], parts) != keep:
                continue
            event["ts"] = parse_ts(event["ts"])  # the gateway journals Unix seconds
            journal.append(orjson.dumps(event))
            n += 1
    journal.close()
    return n


def one_worker(work: str, core: int, out: Any) -> None:
    """Run a worker over `work`/events/journal to its end, pinned to `core`."""
    os.sched_setaffinity(0, {core})
    folder = Path(work)
    settings = load_settings(
        overrides={
            "database_url": f"sqlite:///{folder / 'dg.db'}",
            "events": {"dir": str(folder / "events"), "save_state_s": 10.0},
        }
    )

    async def main() -> dict[str, Any]:
        stop = asyncio.Event()
        stop.set()  # read what is there, to its end, then stop
        wall, cpu = time.perf_counter(), time.process_time()
        report = await run_worker(settings, partition=None, stop=stop)
        took = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
        return {"events": report.events, **took, **state_size(folder / "dg.db")}

    out.put(asyncio.run(main()))


def state_size(db: Path) -> dict[str, Any]:
    """What the worker keeps per account: saved (compressed) bytes, and its peak RSS."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT account, length(state) FROM detector_state").fetchall()
    accounts = [n for a, n in rows if not a.startswith("#")]
    shared = sum(n for a, n in rows if a.startswith("#"))
    return {
        "accounts": len(accounts),
        "state_bytes_per_account": sum(accounts) / max(1, len(accounts)),
        "shared_state_bytes": shared,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_workers(works: list[Path], cores: list[int]) -> list[dict[str, Any]]:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [
        ctx.Process(target=one_worker, args=(str(w), c, out))
        for w, c in zip(works, cores, strict=False)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=1800) for _ in procs]
    for p in procs:
        p.join()
    return results


def measure(events: int, accounts: int, repeat: int) -> dict[str, Any]:
    cores = sorted(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory(prefix="dg-worker-") as tmp:
        root = Path(tmp)
        trace = root / "events.jsonl"
        generate(trace, events, accounts, 24.0)
        # Other work on a shared machine inflates CPU time: the best of `repeat` runs is the
        # one it disturbed least.
        runs = []
        for i in range(repeat):
            single = root / f"single{i}"
            n = journal_of(trace, single / "events" / "journal", None, 2)
            runs += run_workers([single], cores[:1])
        one = min(runs, key=lambda r: r["cpu_s"])
        halves = [root / f"half{p}" for p in (0, 1)]
        sizes = [journal_of(trace, h / "events" / "journal", p, 2) for p, h in enumerate(halves)]
        two = run_workers(halves, cores[:2]) if len(cores) >= 2 else []
    out: dict[str, Any] = {
        "events": n,
        "repeat": repeat,
        "one": {**one, "events_per_s_wall": one["events"] / one["wall_s"]},
        "one_cpu_events_per_s": one["events"] / one["cpu_s"],
        "halves": sizes,
    }
    if two:
        wall = max(r["wall_s"] for r in two)
        out["two"] = {"workers": two, "wall_s": wall, "events_per_s_wall": sum(sizes) / wall}
        out["speedup"] = out["two"]["events_per_s_wall"] / out["one"]["events_per_s_wall"]
    return out


def write_md(path: Path, r: dict[str, Any], command: str) -> None:
    one = r["one"]
    lines = [
        "# Detection worker throughput",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; `{' '.join(platform.uname()[:3])}`",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average before: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"- command: `{command}`",
        f"- events: {r['events']:,} from benchmarks/detection/throughput_events.py (~3 KB, "
        "200 accounts), journaled as the gateway journals them",
        "",
        "| run | events | wall s | events/s (wall) | events/s (CPU) |",
        "|---|---|---|---|---|",
        f"| one worker, one core (best of {r['repeat']}) | {one['events']:,} | "
        f"{one['wall_s']:.2f} | "
        f"{one['events_per_s_wall']:,.0f} | {r['one_cpu_events_per_s']:,.0f} |",
    ]
    if "two" in r:
        two = r["two"]
        lines.append(
            f"| two workers, a core each, half the accounts each | {sum(r['halves']):,} | "
            f"{two['wall_s']:.2f} | {two['events_per_s_wall']:,.0f} | |"
        )
        lines += ["", f"Two workers: {r['speedup']:.2f}x one worker's rate."]
    lines += [
        "",
        f"State: {one['accounts']} accounts, {one['state_bytes_per_account']:,.0f} bytes "
        f"saved per account (compressed), {one['shared_state_bytes']:,} bytes shared "
        f"(campaigns, population); worker peak RSS {one['peak_rss_mb']:.0f} MB.",
        "",
        "A worker's work per event: read the journal line, parse it, hold it in the reorder "
        "buffer, write it to the event log, detection (`Analyzer.process`), the policy's "
        "case keeper; plus a checkpoint (detector state and position to SQLite) every 10 s. "
        "Target (issue 12): one worker >= 15,000 events/s on one core; two about 2x.",
    ]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--events", type=int, default=60_000)
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3, help="single-worker runs; the best counts")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    if args.smoke:
        args.events, args.repeat = 4_000, 1
    r = measure(args.events, args.accounts, args.repeat)
    print(json.dumps(r, indent=2))
    if not args.smoke:
        (HERE / "results-worker.json").write_text(json.dumps(r, indent=2) + "\n")
        write_md(HERE / "RESULTS-worker.md", r, "python " + " ".join(sys.argv))


if __name__ == "__main__":
    main()
