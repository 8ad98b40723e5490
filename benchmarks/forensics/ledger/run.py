"""Benchmark the ledger: build a 1M-record ledger from simulated events, time append and verify.

    .venv/bin/python benchmarks/forensics/ledger/run.py                  # 1,000,000 records
    .venv/bin/python benchmarks/forensics/ledger/run.py --records 20000  # a quick look

Events come from the traffic simulator (`distillguard.sim`, with ../shared/data when present):
one simulated day of 60 accounts, read back and checked by `EventReader`, then repeated with
shifted timestamps (account ids suffixed per pass, so one account's slice stays realistic) up
to the requested count. The ledger is built with the real command, `distillguard ledger append`
(read and check the log, canonicalise, hash, write, sign every 1,000 records), and checked with
`distillguard ledger verify` (both in a subprocess, interpreter start included) and with
`verify_ledger()` in process; `export_slice()` cuts one account's slice, which the command
verifies again. Target: `ledger verify` of 1M records in under 30 s.

Everything is written under benchmarks/forensics/ledger/work/ (git-ignored): the simulated
day is kept for later runs; the event log and the ledger (~2.5 GB together at 1M) are deleted
at the end unless --keep. A full run writes RESULTS.md beside this file; other counts write
work/RESULTS.<N>.md, so the committed figures are only replaced by a full run.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import orjson

from distillguard.events import EventReader, format_ts, parse_ts
from distillguard.forensics import export_slice, generate_keypair, load_verifier, verify_ledger
from distillguard.sim import ScenarioConfig, simulate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
TARGET_VERIFY_S = 30.0
FULL = 1_000_000
T = TypeVar("T")


def data_dir() -> Path | None:
    candidate = ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


def base_events(work: Path) -> list[dict[str, Any]]:
    """One simulated day, generated once and kept."""
    day = work / "day"
    if not (day / "events.jsonl").is_file():
        simulate(ScenarioConfig(accounts=60, days=1, seed=11, data_dir=data_dir()), day)
    return [dict(event.raw) for event in EventReader(day / "events.jsonl")]


def write_log(events: list[dict[str, Any]], n: int, path: Path) -> int:
    """`n` events: the day again and again, each pass a day later with its own account ids."""
    span = 86_400.0
    first = parse_ts(events[0]["ts"])
    written = 0
    with open(path, "wb", buffering=1 << 20) as fh:
        for rep in range(n // len(events) + 1):
            for event in events:
                if written == n:
                    return written
                shifted = {**event, "ts": format_ts(parse_ts(event["ts"]) - first + rep * span)}
                if rep:
                    shifted["account"] = f"{event['account']}_{rep}"
                fh.write(orjson.dumps(shifted) + b"\n")
                written += 1
    return written


def run(args: list[str]) -> tuple[float, str]:
    """Run the command line; wall seconds and what it printed."""
    start = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).with_name("distillguard")), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return seconds, done.stdout.strip()


def timed(call: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def startup() -> float:
    """Seconds to start Python and import the CLI: the fixed cost of every command."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import distillguard.cli.main"], check=True)
    return time.perf_counter() - start


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "uname": " ".join(platform.uname()).strip(),
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "python": sys.version.split()[0],
        "libs": f"orjson {version('orjson')}, cryptography {version('cryptography')}",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=FULL)
    parser.add_argument("--keep", action="store_true", help="Keep the event log and ledger.")
    args = parser.parse_args()
    work = HERE / "work"
    work.mkdir(parents=True, exist_ok=True)
    info = machine()
    events = base_events(work)
    log, ledger, key = work / "events.jsonl", work / "ledger", work / "bench.key"
    shutil.rmtree(ledger, ignore_errors=True)
    write_log(events, args.records, log)
    generate_keypair(key, overwrite=True)
    pub = key.with_name(key.name + ".pub")
    account = str(events[0]["account"])

    t: dict[str, float] = {"start": min(startup() for _ in range(3))}
    out: dict[str, str] = {}
    t["append"], out["append"] = run(
        ["ledger", "append", str(log), "--ledger", str(ledger), "--key", str(key)]
    )
    t["verify"], out["verify"] = run(["ledger", "verify", str(ledger), "--public-key", str(pub)])
    verifier = load_verifier(pub)
    report, t["verify_api"] = timed(lambda: verify_ledger(ledger, verifier))
    assert report.ok and report.records == args.records, report.summary()
    sliced = work / "slice.jsonl"
    summary, t["export_api"] = timed(lambda: export_slice(ledger, account, sliced))
    out["export"] = f"{summary.records:,} records, {summary.omitted:,} others as {summary.stubs:,}"
    out["export"] += f" stubs, {summary.checkpoints:,} checkpoints"
    t["verify_slice"], out["verify_slice"] = run(
        ["ledger", "verify", str(sliced), "--public-key", str(pub)]
    )
    sizes = {
        "log": log.stat().st_size,
        "ledger": sum(p.stat().st_size for p in ledger.glob("ledger-*.jsonl")),
        "files": len(list(ledger.glob("ledger-*.jsonl"))),
        "slice": sliced.stat().st_size,
    }
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    text = render(info, args.records, len(events), account, t, out, sizes, peak_mb)
    target = HERE / "RESULTS.md" if args.records == FULL else work / f"RESULTS.{args.records}.md"
    target.write_text(text, encoding="utf-8")
    print(text)
    if not args.keep:
        log.unlink()
        shutil.rmtree(ledger)


def _table(t: dict[str, float], n: int) -> str:
    rows = [
        ("`distillguard ledger append` (read and check the log, append, sign)", "append", True),
        ("`distillguard ledger verify` of the folder", "verify", True),
        ("`verify_ledger()` of the folder, in process", "verify_api", False),
        ("`export_slice()` of one account, in process (checks the chain)", "export_api", False),
    ]
    lines = [
        f"| {name} | {'yes' if cli else 'no'} | {t[key]:.1f} | {n / t[key]:,.0f} | "
        f"{t[key] * 1e6 / n:.1f} |"
        for name, key, cli in rows
    ]
    lines.append(
        f"| `distillguard ledger verify` of the slice | yes | {t['verify_slice']:.1f} | | |"
    )
    return "\n".join(lines)


def render(
    info: dict[str, str],
    n: int,
    base: int,
    account: str,
    t: dict[str, float],
    out: dict[str, str],
    sizes: dict[str, int],
    peak_mb: float,
) -> str:
    mb = 1 << 20
    ok = "met" if t["verify"] < TARGET_VERIFY_S else "NOT met"
    text = "text from ../shared/data" if data_dir() else "built-in text"
    flag = "" if n == FULL else f" --records {n}"
    return f"""# Ledger benchmark

## Machine
- `uname -a`: `{info["uname"]}`
- CPU: {info["cpu"]}; `nproc`: {info["nproc"]} (every phase is single-threaded)
- Python {info["python"]}; {info["libs"]}
- date: {info["date"]}; load average before the run: {info["load"]} (a shared machine)

## Command

    .venv/bin/python benchmarks/forensics/ledger/run.py{flag}

## Data

{n:,} events: one simulated day of 60 accounts ({base:,} events from `distillguard.sim`,
{text}) repeated with shifted timestamps. Event log {sizes["log"] / mb:,.0f} MB
({sizes["log"] / n:,.0f} bytes/event); ledger {sizes["ledger"] / mb:,.0f} MB in
{sizes["files"]} file(s) (canonical events plus seq, prev and hash; a checkpoint every 1,000).

## Times

Wall clock, warm page cache, one run each. Command-line runs include starting Python and
importing the CLI ({t["start"]:.1f} s alone on this machine, the best of three tries).

| phase | CLI | seconds | records/s | µs/record |
|---|---|---|---|---|
{_table(t, n)}

Target: `distillguard ledger verify` of 1M records in under {TARGET_VERIFY_S:.0f} s, start
included: **{ok}** ({t["verify"]:.1f} s for {n:,} records). Peak RSS of any command:
{peak_mb:,.0f} MB, mostly the imported libraries (verification streams: its memory does not
grow with the ledger).

One account's slice ({account}): {out["export"]}; {sizes["slice"] / 1024:,.0f} KB.

## Output

    $ distillguard ledger append ...
    {out["append"]}
    $ distillguard ledger verify ...
    {out["verify"]}
    $ distillguard ledger verify SLICE ...
    {out["verify_slice"]}
"""


if __name__ == "__main__":
    main()
