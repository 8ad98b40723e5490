"""Two gateway replicas, NATS JetStream, two detection workers, Redis, PostgreSQL; kill each.

    .venv/bin/python benchmarks/pipeline/scaled.py --seconds 180   # what RESULTS-scaled.md holds
    .venv/bin/python benchmarks/pipeline/scaled.py --smoke         # ~30 s

All on this machine: a private nats-server (-js, own store) and redis-server (own port), a
fresh PostgreSQL database as the store of every process, two `distillguard serve` replicas
(`[pipeline] transport = "nats"`, limits in Redis, each with its own journal folder) and two
`distillguard worker --partition P`. Client threads (kill9.py's `Load`, half streaming, every
prompt unique) load both replicas; during the run it kills -9, then restarts: replica A,
worker 1, the nats-server (same store), the redis-server. At the end it waits for every
replica's spool to be forwarded, stops replicas and workers (SIGTERM) and counts: answered
200s against the workers' event logs (lost, doubled), each partition's log against the
events its detector state counted, and the flags of each worker against `distillguard
analyze` over that worker's own event log.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from kill9 import EXE, Load, free_port_of, logged_prompts, wait_http  # noqa: E402

ADMIN = os.environ.get(
    "DISTILLGUARD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


class Run:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.events: list[str] = []
        self.started = time.monotonic()

    def note(self, what: str) -> None:
        line = f"{time.monotonic() - self.started:7.1f} s  {what}"
        print(line, flush=True)
        self.events.append(line)

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        log = (self.work / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            argv, env={**os.environ, **(env or {})}, stdout=log, stderr=log, start_new_session=True
        )

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def stop(self, name: str, timeout: float = 120) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def close(self) -> None:
        for name in list(self.procs):
            self.kill(name)


def _spool(port: int) -> float:
    import urllib.request

    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
    for line in text.splitlines():
        if line.startswith("distillguard_event_spool "):
            return float(line.split()[1])
    return 0.0


def setup(run: Run, db_url: str) -> dict[str, Any]:
    work = run.work
    ports = {n: free_port_of() for n in ("nats", "redis", "gwA", "gwB")}
    config = work / "dg.toml"
    config.write_text(
        f'database_url = "{db_url}"\n'
        f"[events]\nsave_state_s = 1.0\nreorder_window_s = 0.5\n"
        f'[limits]\nbackend = "redis"\nredis_url = "redis://127.0.0.1:{ports["redis"]}/0"\n'
        f'[pipeline]\ntransport = "nats"\nnats_url = "nats://127.0.0.1:{ports["nats"]}"\n'
        "partitions = 2\nstart_worker = false\ndecisions_poll_s = 1.0\n"
    )
    from distillguard.settings import load_settings
    from distillguard.store import open_store

    store = open_store(load_settings(overrides={"database_url": db_url}))
    keys = []
    for i in range(40):
        account = store.create_account(f"acct{i}", tier="enterprise")
        keys.append(store.create_key(account.id).secret)
    store.close()
    return {"ports": ports, "config": config, "secrets": keys}


def start_nats(run: Run, port: int) -> None:
    run.start(
        "nats",
        ["nats-server", "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(run.work / "nats")],
    )


def start_redis(run: Run, port: int) -> None:
    run.start("redis", ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"])


def start_gateway(run: Run, s: dict[str, Any], name: str) -> str:
    port = s["ports"][name]
    run.start(
        name,
        [
            str(EXE),
            "serve",
            "--config",
            str(s["config"]),
            "--port",
            str(port),
            "--upstream",
            "simulated",
        ],
        {"DISTILLGUARD_EVENTS__DIR": str(run.work / name)},
    )
    wait_http(f"http://127.0.0.1:{port}/healthz", 60)
    return f"http://127.0.0.1:{port}"


def start_worker(run: Run, s: dict[str, Any], p: int) -> None:
    run.start(
        f"worker{p}",
        [str(EXE), "worker", "--config", str(s["config"]), "--partition", str(p)],
        {"DISTILLGUARD_EVENTS__DIR": str(run.work / "workers")},
    )


class Loads:
    """A `Load` on each replica, with the keys shared out; one replica's load restartable."""

    def __init__(self, urls: dict[str, str], keys: list[str], clients: int) -> None:
        self.loads: dict[str, Load] = {}
        self.done: list[Load] = []
        self.keys, self.clients, self.round = keys, clients, 0
        for name, url in urls.items():
            self.begin(name, url)

    def begin(self, name: str, url: str) -> None:
        self.round += 1
        half = (
            self.keys[: len(self.keys) // 2] if name == "gwA" else self.keys[len(self.keys) // 2 :]
        )
        load = Load(url, half, f"{name}r{self.round}", self.clients // 2)
        load.run()
        self.loads[name] = load

    def end(self, name: str) -> None:
        load = self.loads.pop(name)
        load.stop.set()
        load.join()
        self.done.append(load)

    def answered(self) -> list[str]:
        return [p for ld in [*self.done, *self.loads.values()] for p in ld.answered]


def worker_flags(db_url: str, partition: int) -> tuple[set[str], int]:
    """(accounts the worker's saved state says are flagged, events its detector counted)."""
    from distillguard.detect.engine import AnalyzerConfig

    flag_after = AnalyzerConfig().flag_after
    flagged, events = set(), 0
    with psycopg.connect(db_url.replace("+psycopg", "")) as conn:
        for account, blob in conn.execute("SELECT account, state FROM detector_state"):
            if account.startswith("#position"):
                continue  # a position, not a state
            state = orjson.loads(zlib.decompress(blob))
            if account == f"#campaigns@{partition}":
                events = int(state["events"])
            elif not account.startswith("#") and state.get("over", 0) >= flag_after:
                flagged.add(account)
    return flagged, events


def analyze_flags(folder: Path, out: Path) -> set[str]:
    subprocess.run(
        [str(EXE), "analyze", str(folder), "--out", str(out)], check=True, capture_output=True
    )
    rows = [orjson.loads(x) for x in (out / "accounts.jsonl").read_bytes().splitlines()]
    return {r["account"] for r in rows if r["flagged"]}


def chaos(run: Run, s: dict[str, Any], loads: Loads, seconds: float) -> None:
    ports, step = s["ports"], seconds / 5
    time.sleep(step)
    run.note("kill -9 replica A")
    run.kill("gwA")  # requests in flight: cut, never acknowledged
    loads.end("gwA")
    time.sleep(1.0)
    loads.begin("gwA", start_gateway(run, s, "gwA"))
    run.note("replica A restarted")
    time.sleep(step)
    run.note("kill -9 worker 1")
    run.kill("worker1")
    time.sleep(1.0)
    start_worker(run, s, 1)
    run.note("worker 1 restarted")
    time.sleep(step)
    run.note("kill -9 nats-server")
    run.kill("nats")
    time.sleep(2.0)
    start_nats(run, ports["nats"])
    run.note("nats-server restarted (same store)")
    time.sleep(step)
    run.note("kill -9 redis-server")
    run.kill("redis")
    time.sleep(2.0)
    start_redis(run, ports["redis"])
    run.note("redis-server restarted")
    time.sleep(step)


def measure(run: Run, db_url: str, seconds: float, clients: int) -> dict[str, Any]:
    s = setup(run, db_url)
    start_nats(run, s["ports"]["nats"])
    start_redis(run, s["ports"]["redis"])
    time.sleep(0.5)
    urls = {name: start_gateway(run, s, name) for name in ("gwA", "gwB")}
    for p in (0, 1):
        start_worker(run, s, p)
    run.note("load starts")
    loads = Loads(urls, s["secrets"], clients)
    chaos(run, s, loads, seconds)
    for name in list(loads.loads):
        loads.end(name)
    run.note("load stopped; waiting for the spools")
    deadline = time.monotonic() + 120
    while any(_spool(s["ports"][g]) for g in ("gwA", "gwB")) and time.monotonic() < deadline:
        time.sleep(0.5)
    for name in ("gwA", "gwB", "worker0", "worker1"):
        run.stop(name)
    run.note("replicas and workers stopped")
    answered = loads.answered()
    statuses: Counter[int] = Counter()
    for ld in loads.done:
        statuses.update(ld.statuses)
    logged = logged_prompts(run.work / "workers")
    parts = {}
    for p in (0, 1):
        folder = run.work / "workers" / f"p{p}"
        lines = sum(len(f.read_bytes().splitlines()) for f in folder.glob("events-*.jsonl"))
        flagged, counted = worker_flags(db_url, p)
        by_analyze = analyze_flags(folder, run.work / f"analyze{p}")
        parts[p] = {
            "log_events": lines,
            "detector_events": counted,
            "flagged_worker": len(flagged),
            "flagged_analyze": len(by_analyze),
            "flags_identical": flagged == by_analyze,
            "only_worker": sorted(flagged - by_analyze)[:5],
            "only_analyze": sorted(by_analyze - flagged)[:5],
        }
    lost = [p for p in answered if p not in logged]
    return {
        "seconds": seconds,
        "clients": clients,
        "answered_200": len(answered),
        "logged_200": sum(logged.values()),
        "lost": len(lost),
        "lost_examples": lost[:5],
        "doubled": sum(1 for n in logged.values() if n > 1),
        "non_200": dict(statuses),
        "client_errors": sum(ld.failed for ld in loads.done) - sum(statuses.values()),
        "partitions": parts,
        "timeline": run.events,
    }


def passed(r: dict[str, Any]) -> bool:
    other_5xx = sum(n for code, n in r["non_200"].items() if int(code) >= 500 and int(code) != 503)
    parts = r["partitions"].values()
    return (
        r["lost"] == 0
        and r["doubled"] == 0
        and other_5xx == 0
        and all(p["log_events"] == p["detector_events"] and p["flags_identical"] for p in parts)
    )


def write_md(path: Path, r: dict[str, Any], command: str) -> None:
    rows = "\n".join(
        f"| {p} | {v['log_events']:,} | {v['detector_events']:,} | {v['flagged_worker']} | "
        f"{v['flagged_analyze']} | {'yes' if v['flags_identical'] else 'NO'} |"
        for p, v in r["partitions"].items()
    )
    path.write_text(f"""# Scaled pipeline: 2 replicas, JetStream, 2 workers, each part killed

- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}
- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC
- command: `{command}`
- everything on this 2-core machine: private nats-server and redis-server, a fresh PostgreSQL
  database shared by all processes, {r["clients"]} client threads (half streaming), 40 accounts

## What was killed, when

```
{chr(10).join(r["timeline"])}
```

## Counts

| answered 200 | logged 200 | lost | doubled | non-200 answers | client errors |
|---|---|---|---|---|---|
| {r["answered_200"]:,} | {r["logged_200"]:,} | {r["lost"]} | {r["doubled"]} | \
{r["non_200"] or 0} | {r["client_errors"]} |

Client errors: connections cut by the kills (requests in flight at a replica's kill).

| partition | events in its log | events its detector counted | flagged by the worker | \
flagged by `distillguard analyze` of that log | identical |
|---|---|---|---|---|---|
{rows}

Lost: answered prompts missing from the workers' logs; doubled: prompts logged more than once.
503s are the documented answer when neither the stream nor the spool can take an event.
The load's prompts are synthetic and unique per request, and no account is flagged on either
side: the flags comparison shows agreement at zero only (tests/pipeline/test_worker.py checks
a worker's decision reaching a gateway). Not shown here: sustained saturation (2 cores
hold gateways, workers, NATS, Redis, PostgreSQL and the clients at once), and campaign
linking across partitions (it is per worker).
""")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args()
    if args.smoke:
        args.seconds, args.clients = 15.0, 6
    name = f"dg_scaled_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    db_url = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    try:
        with tempfile.TemporaryDirectory(prefix="dg-scaled-") as tmp:
            run = Run(Path(tmp))
            try:
                r = measure(run, db_url, args.seconds, args.clients)
            finally:
                run.close()
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(r, indent=2))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results-scaled.json").write_text(json.dumps(r, indent=2) + "\n")
    if not args.smoke:
        write_md(args.out / "RESULTS-scaled.md", r, "python " + " ".join(sys.argv))
    sys.exit(0 if passed(r) else 1)


if __name__ == "__main__":
    main()
