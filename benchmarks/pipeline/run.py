"""Issue 12's scaled target: 2 replicas, JetStream, 2 workers, Redis, PostgreSQL, each killed -9.

    .venv/bin/python benchmarks/pipeline/run.py                 # 600 s: RESULTS.md, results.json
    .venv/bin/python benchmarks/pipeline/run.py --seconds 180
    .venv/bin/python benchmarks/pipeline/run.py --smoke --out DIR  # ~25 s of load

Everything runs on this machine, every process started here is stopped at the end:

- a private nats-server (-js, its own port and store folder) and a private redis-server (its
  own port, no persistence), and a fresh PostgreSQL database on the local server (dropped at
  the end) as the store of every process;
- two `distillguard serve` replicas (`[pipeline] transport = "nats"`, `partitions = 2`,
  `start_worker = false`, `[limits] backend = "redis"`), each with its own events folder (its
  journal, the spool while the stream is down), and two `distillguard worker --partition P`
  sharing one events folder (worker P logs to `p<P>/`), state saved every second;
- 40 enterprise accounts, each client request on the next one, so both partitions get
  traffic; two accounts per partition send logit-bias sweeps (max_tokens 1, top logprobs), so
  the detectors flag someone and the flags comparison is not one of empty sets;
- client threads (`--clients`, half of them streaming) on both replicas, every prompt unique.
  A client whose replica refuses connections sends to the other one for a second (what a load
  balancer does); a request is answered when it got a 200 (a stream: read to `data: [DONE]`).

At fixed fractions of the run: kill -9 replica A, restart it on the same folders and port;
kill -9 worker 1, restart it; kill -9 the nats-server, restart it on the same store; kill -9
the redis-server, restart it. At the end: the load stops, each replica's
`distillguard_event_spool` is waited to 0, replicas then workers get SIGTERM (a worker drains
its partition and saves). Then it counts:

- lost: answered prompts absent from the workers' event logs (as a 200); doubled: prompts
  logged more than once (any status); misrouted: events in the log of the wrong partition;
- per partition: events in the log against the events the saved detector state counted
  (`#campaigns@P`);
- flags: `distillguard analyze` over each worker's own log against the saved account states
  (flagged = `over >= flag_after`, analyze's `flagged`), and every account's score, peak,
  requests, first flag and campaign, and the campaigns;
- statuses the clients saw (503 is the documented refusal when neither the stream nor the
  spool can take an event; any other 5xx fails the run), connection errors apart;
- latency p50/p99 of answered requests: all, the quiet window before the first kill, and
  each phase between two actions.

Exit status 1 when anything was lost, doubled or misrouted, another 5xx was seen, a detector
count differs from its log, or the flags differ.

With `--linker` the workers run with `[pipeline] linker = true` beside a `distillguard linker`
(killed -9 and restarted too, halfway). Each worker then ranks against the population of
every partition and takes the linker's campaigns, so its saved state no longer matches
`analyze` of its own log alone: the flags are held against `distillguard analyze` of both
partitions' logs merged in time order (one analyzer over all events), which is what the
linker stands in for; the per-partition comparison is still reported. Results go to
RESULTS-linker.md / results-linker.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import orjson
import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from kill9 import EXE, free_port_of, wait_http  # noqa: E402

ADMIN = os.environ.get(
    "DISTILLGUARD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PARTITIONS = 2
ACCOUNTS = 40
PROBERS_PER_PARTITION = 2
# (fraction of the run, what): each action is taken at its time after the load started.
CHAOS = (
    (0.2, "replica A"),
    (0.4, "worker 1"),
    (0.6, "nats-server"),
    (0.8, "redis-server"),
)


def partition_of(account: str) -> int:
    # Imported here, not at the top: with --snapshot, only the snapshot's code is imported.
    from distillguard.pipeline.jetstream import partition_of as of

    return of(account, PARTITIONS)


def analyzer_config() -> Any:
    from distillguard.detect.engine import AnalyzerConfig

    return AnalyzerConfig()


# -- processes


class Procs:
    """Child processes in sessions of their own, each stopped when the block ends (SIGTERM to
    its group, SIGKILL after a while), whether the run finished, failed or was interrupted.
    Like benchmarks/gateway/procs.py's, with kill -9 and restarts under one name."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.starts: Counter[str] = Counter()
        self._previous: Any = None
        (work / "logs").mkdir(exist_ok=True)

    def __enter__(self) -> Procs:
        self._previous = signal.signal(signal.SIGTERM, _interrupt)  # unwind like Ctrl-C
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # After a failure or an interruption nothing needs to drain: a short grace only.
        for name in reversed(list(self.running)):
            self.stop(name, timeout=10 if exc is None else 3)
        signal.signal(signal.SIGTERM, self._previous)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.starts[name] += 1
        log = open(self.log_path(name, self.starts[name]), "wb")  # noqa: SIM115 - the child's
        self.running[name] = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        log.close()

    def log_path(self, name: str, n: int) -> Path:
        return self.work / "logs" / f"{name}-{n}.log"

    def kill9(self, name: str) -> None:
        proc = self.running.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def stop(self, name: str, timeout: float) -> int | None:
        """SIGTERM (a graceful stop) and wait; SIGKILL after `timeout`. The exit code."""
        proc = self.running.pop(name, None)
        if proc is None:
            return None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever it left in its group
        return proc.returncode

    def last_log(self, name: str) -> str:
        """The log of the last start of `name`."""
        return self.log_path(name, self.starts[name]).read_text(errors="replace")

    def alive(self, name: str) -> bool:
        proc = self.running.get(name)
        return proc is not None and proc.poll() is None

    def errors(self) -> dict[str, list[str]]:
        """The error lines each process logged (JSON logs of serve and worker)."""
        out: dict[str, list[str]] = {}
        for path in sorted((self.work / "logs").glob("*.log")):
            lines = path.read_text(errors="replace").splitlines()
            bad = [x for x in lines if '"level":"error"' in x or "Traceback" in x]
            if bad:
                out[path.stem] = bad
        return out


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A database of its own on the local PostgreSQL (its SQLAlchemy URL), dropped after."""
    name = f"dg_pipeline_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(ADMIN, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- the deployment


@dataclass
class Deployment:
    procs: Procs
    work: Path
    db_url: str
    ports: dict[str, int]
    config: Path
    env: dict[str, str]
    linker: bool = False

    def url(self, gateway: str) -> str:
        return f"http://127.0.0.1:{self.ports[gateway]}"

    def start_nats(self) -> None:
        argv = ["nats-server", "-js", "-a", "127.0.0.1", "-p", str(self.ports["nats"])]
        self.procs.start("nats", [*argv, "-sd", str(self.work / "nats")], self.env)

    def start_redis(self) -> None:
        argv = ["redis-server", "--port", str(self.ports["redis"]), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.work)]
        self.procs.start("redis", argv, self.env)

    def start_gateway(self, name: str) -> None:
        argv = [str(EXE), "serve", "--config", str(self.config), "--port", str(self.ports[name])]
        env = {**self.env, "DISTILLGUARD_EVENTS__DIR": str(self.work / name)}
        self.procs.start(name, [*argv, "--upstream", "simulated"], env)

    def wait_gateway(self, name: str) -> None:
        wait_http(self.url(name) + "/healthz", 90)

    def start_worker(self, p: int) -> None:
        argv = [str(EXE), "worker", "--config", str(self.config), "--partition", str(p)]
        env = {**self.env, "DISTILLGUARD_EVENTS__DIR": str(self.work / "workers")}
        self.procs.start(f"worker{p}", argv, env)

    def start_linker(self) -> None:
        argv = [str(EXE), "linker", "--config", str(self.config)]
        self.procs.start("linker", argv, {**self.env})

    def spool(self, gateway: str) -> float | None:
        """Events in the replica's journal not yet in the stream (None: no answer)."""
        try:
            with urllib.request.urlopen(self.url(gateway) + "/metrics", timeout=2) as r:
                text = r.read().decode()
        except OSError:
            return None
        for line in text.splitlines():
            if line.startswith("distillguard_event_spool "):
                return float(line.split()[1])
        return None


def deploy(
    procs: Procs, work: Path, db_url: str, linker: bool = False
) -> tuple[Deployment, list[dict[str, Any]]]:
    ports = {n: free_port_of() for n in ("nats", "redis", "gwA", "gwB")}
    config = work / "dg.toml"
    config.write_text(
        f'database_url = "{db_url}"\n'
        "[events]\nsave_state_s = 1.0\nreorder_window_s = 0.5\n"
        f'[limits]\nbackend = "redis"\nredis_url = "redis://127.0.0.1:{ports["redis"]}/0"\n'
        f'[pipeline]\ntransport = "nats"\nnats_url = "nats://127.0.0.1:{ports["nats"]}"\n'
        f"partitions = {PARTITIONS}\nstart_worker = false\ndecisions_poll_s = 1.0\n"
        + ("linker = true\nlinker_poll_s = 1.0\n" if linker else "")
    )
    # The children read the file alone: no DISTILLGUARD_* of this shell (the database URL of
    # the environment would win over the file's).
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISTILLGUARD_")}
    env["DISTILLGUARD_DATABASE_URL"] = db_url
    from distillguard.settings import load_settings
    from distillguard.store import open_store

    store = open_store(load_settings(overrides={"database_url": db_url}))
    accounts = []
    for i in range(ACCOUNTS):
        account = store.create_account(f"scaled-{i:02d}", tier="enterprise")
        secret = store.create_key(account.id).secret
        p = partition_of(account.id)
        accounts.append({"id": account.id, "secret": secret, "partition": p, "prober": False})
    store.close()
    for p in range(PARTITIONS):
        for a in [a for a in accounts if a["partition"] == p][:PROBERS_PER_PARTITION]:
            a["prober"] = True
    return Deployment(procs, work, db_url, ports, config, env, linker), accounts


# -- the clients


@dataclass
class Tally:
    answered: list[str] = field(default_factory=list)
    samples: list[tuple[float, float]] = field(default_factory=list)  # (start s, latency s)
    statuses: Counter[int] = field(default_factory=Counter)  # answers that were not a 200
    status_times: list[tuple[float, int]] = field(default_factory=list)  # 5xx: (end s, code)
    errors: Counter[str] = field(default_factory=Counter)  # "refused", "cut"
    error_times: list[tuple[float, str]] = field(default_factory=list)  # (when it came, kind)


class Traffic:
    """Client threads, each at home on one replica, each request on the next account."""

    def __init__(
        self, urls: dict[str, str], accounts: list[dict[str, Any]], clients: int, t0: float
    ) -> None:
        self.urls, self.accounts, self.t0 = urls, accounts, t0
        self.tally = Tally()
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(clients)
        ]

    def run(self) -> None:
        for t in self.threads:
            t.start()

    def join(self) -> None:
        for t in self.threads:
            t.join(timeout=60)

    def _client(self, n: int) -> None:
        names = sorted(self.urls)
        home = names[n % len(names)]
        stream = (n // len(names)) % 2 == 1  # half of each replica's clients stream
        rng = random.Random(n)
        away_until = 0.0
        clients = {
            name: httpx.Client(base_url=url, timeout=30, limits=httpx.Limits(max_connections=1))
            for name, url in self.urls.items()
        }
        try:
            i = 0
            while not self.stop.is_set():
                now = time.monotonic()
                target = home if now >= away_until else names[(names.index(home) + 1) % 2]
                account = self.accounts[(n * 7 + i) % len(self.accounts)]
                prompt = f"{target}-{n}-{i}"
                i += 1
                body = _body(prompt, account["prober"], stream, rng)
                headers = {"authorization": f"Bearer {account['secret']}"}
                started = time.perf_counter()
                t = now - self.t0
                try:
                    status, complete = _send(clients[target], body, headers)
                except httpx.ConnectError:
                    self._error("refused")  # never reached a replica
                    if target == home:
                        away_until = time.monotonic() + 1.0
                    continue
                except httpx.HTTPError:
                    self._error("cut")  # in flight when its replica died
                    continue
                ended = time.monotonic() - self.t0
                with self._lock:
                    if status == 200 and complete:
                        self.tally.answered.append(prompt)
                        self.tally.samples.append((t, time.perf_counter() - started))
                    elif status == 200:
                        self.tally.errors["cut"] += 1
                        self.tally.error_times.append((ended, "cut"))
                    else:
                        self.tally.statuses[status] += 1
                        if status >= 500:
                            self.tally.status_times.append((ended, status))
                if status == 503:
                    self.stop.wait(0.05)  # it said Retry-After
        finally:
            for c in clients.values():
                c.close()

    def _error(self, kind: str) -> None:
        with self._lock:
            self.tally.errors[kind] += 1
            self.tally.error_times.append((time.monotonic() - self.t0, kind))
        self.stop.wait(0.05)


def _body(prompt: str, prober: bool, stream: bool, rng: random.Random) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "sim-small", "messages": [{"role": "user", "content": prompt}]}
    if prober:  # a logit-bias sweep: one token answers, many distinct biased token ids
        body["logit_bias"] = {str(rng.randrange(100_000)): 100 for _ in range(20)}
        body.update(max_tokens=1, logprobs=True, top_logprobs=5)
    if stream:
        body["stream"] = True
    return body


def _send(client: httpx.Client, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, bool]:
    """(status, complete): a JSON answer with its choices, or a stream read to [DONE]."""
    if not body.get("stream"):
        r = client.post("/v1/chat/completions", json=body, headers=headers)
        return r.status_code, r.status_code == 200 and bool(r.json()["choices"])
    with client.stream("POST", "/v1/chat/completions", json=body, headers=headers) as r:
        text = b"".join(r.iter_bytes())
    return r.status_code, text.rstrip().endswith(b"data: [DONE]")


# -- the run


class Timeline:
    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.lines: list[str] = []
        self.actions: list[dict[str, Any]] = []

    def now(self) -> float:
        return time.monotonic() - self.t0

    def note(self, what: str, kind: str | None = None) -> None:
        t = self.now()
        line = f"{t:8.1f} s  {what}"
        print(line, flush=True)
        self.lines.append(line)
        if kind is not None:
            self.actions.append({"t": round(t, 2), "what": what, "kind": kind})


def watch(d: Deployment, until: float, tl: Timeline, seen: dict[str, Any]) -> None:
    """Until `until` (timeline seconds): the replicas' spools, every half second."""
    while tl.now() < until:
        spools = {g: d.spool(g) for g in ("gwA", "gwB")}
        total = sum(v or 0 for v in spools.values())
        seen["peak"] = max(seen.get("peak", 0), total)
        if total and not seen.get("spooling"):
            seen["spooling"] = True
            tl.note(f"replicas spooling: {spools}")
        elif seen.get("spooling") and total == 0 and None not in spools.values():
            seen["spooling"] = False
            tl.note(f"spools forwarded (peak {seen['peak']:,.0f} events)")
        time.sleep(max(0.0, min(0.5, until - tl.now())))


def chaos(d: Deployment, seconds: float, tl: Timeline, load_t: float, seen: dict[str, Any]) -> None:
    procs = d.procs
    actions = sorted([*CHAOS, (0.5, "linker")] if d.linker else CHAOS)
    for fraction, what in actions:
        watch(d, load_t + fraction * seconds, tl, seen)
        tl.note(f"kill -9 {what}", "kill")
        if what == "replica A":
            procs.kill9("gwA")  # requests in flight are cut, never acknowledged
            time.sleep(1.0)
            d.start_gateway("gwA")
            d.wait_gateway("gwA")
            tl.note("replica A restarted (same folders and port), healthy", "restart")
        elif what == "worker 1":
            procs.kill9("worker1")
            time.sleep(1.0)
            d.start_worker(1)
            tl.note("worker 1 restarted", "restart")
        elif what == "nats-server":
            procs.kill9("nats")
            time.sleep(2.0)
            d.start_nats()
            tl.note("nats-server restarted (same store folder and port)", "restart")
        elif what == "linker":
            procs.kill9("linker")
            time.sleep(1.0)
            d.start_linker()
            tl.note("linker restarted", "restart")
        elif what == "redis-server":
            procs.kill9("redis")
            time.sleep(2.0)
            d.start_redis()
            tl.note("redis-server restarted (empty)", "restart")
    watch(d, load_t + seconds, tl, seen)


def measure(
    procs: Procs, work: Path, db_url: str, seconds: float, clients: int, linker: bool = False
) -> dict[str, Any]:
    tl = Timeline()
    d, accounts = deploy(procs, work, db_url, linker)
    tl.note(f"{len(accounts)} accounts and keys created")
    d.start_nats()
    d.start_redis()
    time.sleep(0.5)
    for g in ("gwA", "gwB"):
        d.start_gateway(g)
    for g in ("gwA", "gwB"):
        d.wait_gateway(g)
    for p in range(PARTITIONS):
        d.start_worker(p)
    if linker:
        d.start_linker()
    tl.note(
        "nats-server, redis-server, 2 replicas and 2 workers up" + (", linker" if linker else "")
    )
    traffic = Traffic({g: d.url(g) for g in ("gwA", "gwB")}, accounts, clients, tl.t0)
    load_t = tl.now()
    tl.note(f"load starts: {clients} clients", "load")
    traffic.run()
    seen: dict[str, Any] = {}
    try:
        chaos(d, seconds, tl, load_t, seen)
    finally:
        traffic.stop.set()  # on failure too: a worker told to stop drains while events come
    traffic.join()
    load_end = tl.now()
    tl.note("load stopped; waiting for the replicas' spools to reach 0", "stop")
    stop: dict[str, Any] = {}
    began = time.monotonic()
    deadline = began + 300
    while time.monotonic() < deadline:
        spools = [d.spool(g) for g in ("gwA", "gwB")]
        if spools == [0.0, 0.0]:
            break
        time.sleep(0.25)
    stop["spool_wait_s"] = round(time.monotonic() - began, 2)
    stop["spools_at_stop"] = spools
    began = time.monotonic()
    stop["gateway_exit"] = {g: procs.stop(g, timeout=120) for g in ("gwA", "gwB")}
    stop["gateways_stop_s"] = round(time.monotonic() - began, 2)
    tl.note(f"replicas stopped (SIGTERM): exit {stop['gateway_exit']}")
    if linker:
        stop["linker_exit"] = procs.stop("linker", timeout=60)
    began = time.monotonic()
    stop["worker_exit"] = {f"worker{p}": procs.stop(f"worker{p}", 600) for p in range(PARTITIONS)}
    stop["workers_stop_s"] = round(time.monotonic() - began, 2)
    tl.note(f"workers drained and stopped (SIGTERM): exit {stop['worker_exit']}")
    for name in ("nats", "redis"):
        procs.stop(name, timeout=20)
    stop["graceful"] = {
        name: mark in procs.last_log(name)
        for name, mark in (
            ("gwA", "Application shutdown complete"),
            ("gwB", "Application shutdown complete"),
            ("worker0", '"worker stopped"'),
            ("worker1", '"worker stopped"'),
            *((("linker", '"linker stopped"'),) if linker else ()),
        )
    }
    result = count(d, accounts, traffic.tally, tl, load_t, load_end)
    result.update(seconds=seconds, clients=clients, stop=stop, spool_peak=seen.get("peak", 0))
    result["process_errors"] = {k: len(v) for k, v in procs.errors().items()}
    result["process_error_examples"] = [x[:300] for v in procs.errors().values() for x in v[:2]]
    return result


# -- counting


def read_logs(folder: Path) -> dict[int, list[dict[str, Any]]]:
    """Per partition: (account, status, prompt) of each event in that worker's log."""
    out: dict[int, list[dict[str, Any]]] = {}
    for p in range(PARTITIONS):
        rows = []
        for path in sorted((folder / f"p{p}").glob("events-*.jsonl")):
            for line in path.read_bytes().splitlines():
                e = orjson.loads(line)
                prompt = e["request"]["messages"][-1]["content"]
                rows.append({"account": e["account"], "status": e.get("status", 200), "p": prompt})
        out[p] = rows
    return out


def saved_states(db_url: str) -> dict[str, Any]:
    """The detector_state rows the workers saved, decoded (positions left out)."""
    plain = db_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain) as conn:
        rows = conn.execute("SELECT account, state FROM detector_state").fetchall()
    return {
        a: orjson.loads(zlib.decompress(bytes(blob)))
        for a, blob in rows
        if not a.startswith("#position")
    }


def analyze(folder: Path, out: Path, env: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """`distillguard analyze` of one worker's log: (rows by account, campaign members)."""
    argv = [str(EXE), "analyze", str(folder), "--out", str(out)]
    subprocess.run(argv, check=True, capture_output=True, env=env)
    rows = [orjson.loads(x) for x in (out / "accounts.jsonl").read_bytes().splitlines()]
    camps = [orjson.loads(x) for x in (out / "campaigns.jsonl").read_bytes().splitlines()]
    return {r["account"]: r for r in rows}, {c["campaign"]: sorted(c["members"]) for c in camps}


def compare_partition(
    p: int, states: dict[str, Any], rows: dict[str, Any], campaigns: dict[str, Any]
) -> dict[str, Any]:
    cfg = analyzer_config()
    mine = {a: s for a, s in states.items() if not a.startswith("#") and partition_of(a) == p}
    worker_flagged = {a for a, s in mine.items() if s["over"] >= cfg.flag_after}
    analyze_flagged = {a for a, r in rows.items() if r["flagged"]}
    worker_ever = {a for a, s in mine.items() if round(s["max_score"], 6) >= cfg.threshold}
    analyze_ever = {a for a, r in rows.items() if r["peak"] >= cfg.threshold}
    differ = []
    for a in sorted(set(mine) | set(rows)):
        s, r = mine.get(a), rows.get(a)
        if s is None or r is None:
            differ.append({"account": a, "only": "worker" if r is None else "analyze"})
            continue
        saved = {
            "flagged": s["over"] >= cfg.flag_after,
            "score": round(s["score"], 6),
            "peak": round(s["max_score"], 6),
            "requests": s["profile"]["n"],
            "first_flag_index": s["first_flag"],
            "campaign": s["campaign"],
        }
        theirs = {k: r[k] for k in saved}
        if saved != theirs:
            diff = {k: [saved[k], theirs[k]] for k in saved if saved[k] != theirs[k]}
            differ.append({"account": a, "worker_vs_analyze": diff})
    shared = states.get(f"#campaigns@{p}", {})
    worker_campaigns = {c: sorted(m) for c, m in shared.get("members", {}).items()}
    return {
        "detector_events": int(shared.get("events", 0)),
        "accounts_worker": len(mine),
        "accounts_analyze": len(rows),
        "flagged_worker": sorted(worker_flagged),
        "flagged_analyze": sorted(analyze_flagged),
        "flags_identical": worker_flagged == analyze_flagged,
        "reached_threshold_worker": len(worker_ever),
        "reached_threshold_analyze": len(analyze_ever),
        "reached_threshold_identical": worker_ever == analyze_ever,
        "accounts_differing": len(differ),
        "differences": differ[:10],
        "campaigns_worker": len(worker_campaigns),
        "campaigns_analyze": len(campaigns),
        "campaigns_identical": worker_campaigns == campaigns,
    }


def compare_all(d: Deployment, states: dict[str, Any]) -> dict[str, Any]:
    """`--linker`: one `analyze` over both partitions' logs merged in time order, against the
    flags of every account the workers saved."""
    from distillguard.events import parse_ts

    merged = d.work / "all"
    merged.mkdir()
    lines = []
    for p in range(PARTITIONS):
        for path in sorted((d.work / "workers" / f"p{p}").glob("events-*.jsonl")):
            for line in path.read_bytes().splitlines():
                lines.append((parse_ts(orjson.loads(line)["ts"]), p, line))
    lines.sort(key=lambda x: (x[0], x[1]))
    (merged / "events.jsonl").write_bytes(b"".join(line + b"\n" for _, _, line in lines))
    rows, campaigns = analyze(merged, d.work / "analyze_all", d.env)
    cfg = analyzer_config()
    mine = {a: s for a, s in states.items() if not a.startswith("#")}
    worker_flagged = {a for a, s in mine.items() if s["over"] >= cfg.flag_after}
    analyze_flagged = {a for a, r in rows.items() if r["flagged"]}
    view = states.get("#linked", {})
    linked = sorted(sorted(c["members"]) for c in view.get("campaigns", {}).values())
    return {
        "events": len(lines),
        "flagged_workers": sorted(worker_flagged),
        "flagged_analyze": sorted(analyze_flagged),
        "flags_identical": worker_flagged == analyze_flagged,
        "campaigns_analyze": len(campaigns),
        "campaigns_linker": len(view.get("campaigns", {})),
        # The linker's last view against analyze's campaigns at the end of the log: alike
        # when the last linking came after the last event that changed a campaign.
        "campaign_members_identical": linked == sorted(campaigns.values()),
        "linker_view_ts": view.get("ts"),
        "linker_view_accounts": view.get("accounts"),
    }


def percentiles(samples: list[float]) -> dict[str, Any]:
    if not samples:
        return {"n": 0, "p50": None, "p99": None}
    xs = sorted(samples)
    pick = lambda q: round(xs[min(len(xs) - 1, int(q * len(xs)))] * 1000, 2)  # noqa: E731
    return {"n": len(xs), "p50": pick(0.50), "p99": pick(0.99)}


def latency(tally: Tally, actions: list[dict[str, Any]], load_t: float) -> dict[str, Any]:
    kills = [a["t"] for a in actions if a["kind"] == "kill"]
    first = kills[0] if kills else float("inf")
    quiet_from = load_t + 0.1 * (first - load_t)  # past the first key checks and connections
    edges = [(load_t, "load start")] + [(a["t"], a["what"]) for a in actions if a["kind"] != "load"]
    phases = []
    for (lo, what), (hi, _) in zip(edges, [*edges[1:], (float("inf"), "")], strict=True):
        if what.startswith("load stopped"):
            break
        part = [lat for t, lat in tally.samples if lo <= t < hi]
        phases.append({"from": what, "t": round(lo, 1), **percentiles(part)})
    return {
        "all": percentiles([lat for _, lat in tally.samples]),
        "quiet": {
            "window_s": [round(quiet_from, 1), round(first, 1)],
            **percentiles([lat for t, lat in tally.samples if quiet_from <= t < first]),
        },
        "phases": phases,
    }


def near_action(times: list[tuple[float, Any]], actions: list[dict[str, Any]]) -> dict[str, int]:
    """How many of `times` came within 15 s after each kill (the rest: 'elsewhere')."""
    out: Counter[str] = Counter()
    kills = [a for a in actions if a["kind"] == "kill"]
    for t, _ in times:
        hit = [a["what"] for a in kills if a["t"] <= t < a["t"] + 15]
        out[hit[-1] if hit else "elsewhere"] += 1
    return dict(out)


def count(
    d: Deployment,
    accounts: list[dict[str, Any]],
    tally: Tally,
    tl: Timeline,
    load_t: float,
    load_end: float,
) -> dict[str, Any]:
    logs = read_logs(d.work / "workers")
    states = saved_states(d.db_url)
    by_prompt: Counter[str] = Counter()
    ok: set[str] = set()
    misrouted = 0
    parts: dict[str, Any] = {}
    for p, rows in logs.items():
        for r in rows:
            by_prompt[r["p"]] += 1
            if r["status"] == 200:
                ok.add(r["p"])
            misrouted += partition_of(r["account"]) != p
        found, campaigns = analyze(d.work / "workers" / f"p{p}", d.work / f"analyze{p}", d.env)
        part = {"log_events": len(rows), "log_200": sum(r["status"] == 200 for r in rows)}
        part.update(compare_partition(p, states, found, campaigns))
        part["counts_identical"] = part["log_events"] == part["detector_events"]
        part["accounts"] = sum(a["partition"] == p for a in accounts)
        probers = sorted(a["id"] for a in accounts if a["prober"] and a["partition"] == p)
        part["probers"] = probers
        part["flagged_are_the_probers"] = part["flagged_worker"] == probers
        parts[str(p)] = part
    everything = compare_all(d, states) if d.linker else None
    lost = [x for x in tally.answered if x not in ok]
    doubled = {x: n for x, n in by_prompt.items() if n > 1}
    five = {c: n for c, n in tally.statuses.items() if c >= 500}
    return {
        "accounts": len(accounts),
        "probers": {
            str(p): sum(a["prober"] and a["partition"] == p for a in accounts) for p in (0, 1)
        },
        "answered_200": len(tally.answered),
        "answered_per_s": round(len(tally.answered) / max(1e-9, load_end - load_t), 1),
        "logged_events": sum(by_prompt.values()),
        "logged_200": sum(p["log_200"] for p in parts.values()),
        "lost": len(lost),
        "lost_examples": lost[:5],
        "doubled": len(doubled),
        "doubled_examples": list(doubled)[:5],
        "misrouted": misrouted,
        "non_200": {str(c): n for c, n in sorted(tally.statuses.items())},
        "http_503": five.get(503, 0),
        "other_5xx": sum(n for c, n in five.items() if c != 503),
        "5xx_after_kill": near_action(tally.status_times, tl.actions),
        "client_errors": dict(tally.errors),
        "client_errors_after_kill": near_action(tally.error_times, tl.actions),
        "client_error_times": [[round(t, 2), k] for t, k in tally.error_times[:100]],
        "partitions": parts,
        "all_partitions": everything,
        "latency_ms": latency(tally, tl.actions, load_t),
        "timeline": tl.lines,
        "actions": tl.actions,
    }


def passed(r: dict[str, Any]) -> bool:
    parts = r["partitions"].values()
    return (
        r["lost"] == 0
        and r["doubled"] == 0
        and r["misrouted"] == 0
        and r["other_5xx"] == 0
        and r["answered_200"] > 0
        and all(p["counts_identical"] for p in parts)
        and (
            r["all_partitions"]["flags_identical"]
            if r.get("linker")
            else all(p["flags_identical"] for p in parts)
        )
    )


# -- the report


def write_md(path: Path, r: dict[str, Any]) -> None:
    lat = r["latency_ms"]
    parts = r["partitions"]
    yes = lambda b: "yes" if b else "**NO**"  # noqa: E731
    count_rows = "\n".join(
        f"| {p} | {v['accounts']} | {v['log_events']:,} | {v['detector_events']:,} | "
        f"{yes(v['counts_identical'])} |"
        for p, v in parts.items()
    )
    flag_rows = "\n".join(
        f"| {p} | {len(v['flagged_worker'])} | {len(v['flagged_analyze'])} | "
        f"{yes(v['flags_identical'])} | {v['reached_threshold_worker']} / "
        f"{v['reached_threshold_analyze']} | {v['accounts_differing']} of "
        f"{v['accounts_worker']} | {v['campaigns_worker']} / {v['campaigns_analyze']} "
        f"({'same' if v['campaigns_identical'] else 'DIFFERENT'}) |"
        for p, v in parts.items()
    )
    phase_rows = "\n".join(
        f"| {ph['t']:.1f} s: {ph['from']} | {ph['n']:,} | {ph['p50']} | {ph['p99']} |"
        for ph in r["latency_ms"]["phases"]
    )
    diffs = [d for v in parts.values() for d in v["differences"]]
    non200 = ", ".join(f"{c}: {n:,}" for c, n in r["non_200"].items()) or "none"
    errs = ", ".join(f"{k}: {n:,}" for k, n in r["client_errors"].items()) or "none"
    by_kill = ", ".join(f"{k}: {n:,}" for k, n in r["client_errors_after_kill"].items()) or "-"
    stop = r["stop"]
    graceful = ", ".join(f"{k} {yes(v)}" for k, v in stop["graceful"].items())
    extra = f"{r['logged_200'] - r['answered_200']:,}"
    quiet_p50 = lat["quiet"]["p50"] or 0.0
    fast = [ph for ph in lat["phases"] if ph["p50"] is not None and ph["p50"] < quiet_p50 / 2]
    phase_note = "Each row holds the requests that started in it."
    for ph in fast:
        if "nats" in ph["from"]:
            phase_note += (
                f" While the stream was down, a replica answered as soon as the event was in"
                f" its journal spool (no acknowledgement to wait for; NATS and the workers"
                f" idle): p50 {ph['p50']} ms in that window, {quiet_p50} ms in the quiet one."
            )
    c = r["code"]
    cfg = analyzer_config()
    linker_section, linking_note = _linker_text(r, yes)
    if c["snapshot"]:
        code = f"`src/` of commit `{c['commit'][:12]}` (`--snapshot`: `git archive`, PYTHONPATH)"
        if c["tree_src_uncommitted_changes"]:
            code += "; the working tree's uncommitted changes to src/ were not run"
    else:
        code = f"this working tree at commit `{c['commit'][:12]}`, distillguard from "
        code += f"`{c['package']}`"
        if c["tree_src_uncommitted_changes"]:
            code += ", with uncommitted changes in src/"
    text = f"""# Scaled pipeline (issue 12): 2 replicas, JetStream, 2 workers, each part killed -9

- machine: {r["machine"]}
- date: {r["date"]}
- command: `{r["command"]}` ({r["wall_s"]:.0f} s of wall time in all)
- code: {code}
- everything on this one machine: a private nats-server {r["versions"]["nats"]} (JetStream,
  file store) and redis-server {r["versions"]["redis"]}, a fresh database on the local
  PostgreSQL as the store of every process, 2 `distillguard serve` replicas (simulated
  upstream, `transport = "nats"`, limits in Redis), 2 `distillguard worker --partition P`
  (state saved every 1 s), {r["clients"]} client threads in one Python process (half
  streaming; every prompt unique), {r["accounts"]} enterprise accounts (each request on the
  next account; {sum(r["probers"].values())} of them, {r["probers"]["0"]} per partition, send
  logit-bias sweeps so that the detectors have someone to flag). Load for {r["seconds"]:g} s.

## What was killed, when

```
{chr(10).join(r["timeline"])}
```

Each kill is `kill -9` of the process (group); each restart reuses the same folders, store
and port. Replica A's clients send to replica B while A refuses connections.

## Counts

| answered 200 | per s | logged 200 (workers' logs) | lost | doubled | misrouted | 503 | other 5xx |
|---|---|---|---|---|---|---|---|
| {r["answered_200"]:,} | {r["answered_per_s"]:,} | {r["logged_200"]:,} | {r["lost"]} | \
{r["doubled"]} | {r["misrouted"]} | {r["http_503"]} | {r["other_5xx"]} |

- non-200 answers the clients got: {non200}
- client errors (no answer): {errs}; by the last kill in the 15 s before each: {by_kill}.
  "refused": connection refused, the request never reached a replica; "cut": in flight
  when its replica died (or a 200 stream that ended before `[DONE]`). Neither was
  acknowledged, so neither counts as answered; the log may hold a cut one (as the
  upstream's 200 or a 499): {extra} more 200s logged than answered.
- events in the logs, any status: {r["logged_events"]:,}; peak spool while the stream was
  down: {r["spool_peak"]:,.0f} events.
- at the end: the spools took {stop["spool_wait_s"]} s to reach 0, the replicas
  {stop["gateways_stop_s"]} s to stop, the workers {stop["workers_stop_s"]} s to drain and
  stop. Stopped gracefully (the last lines of its log): {graceful}. uvicorn re-raises the
  SIGTERM once it has shut down, so a replica's exit status is -15.

| partition | accounts | events in its log | events its detector counted (`#campaigns@P`) | equal |
|---|---|---|---|---|
{count_rows}

## Flags: each worker's saved state against `distillguard analyze` of its own log

| partition | flagged by the worker | flagged by analyze | identical | reached the threshold \
(worker / analyze) | accounts with any field different | campaigns (worker / analyze) |
|---|---|---|---|---|---|---|
{flag_rows}

Flagged in a saved account state: `over >= flag_after` (its last {cfg.flag_after}
scorings at or over the threshold {cfg.threshold}), which is what analyze writes as
`flagged`. The fields compared per account: flagged, score, peak (`max_score`), requests,
first flag index and campaign.{" Differences: " + json.dumps(diffs[:5]) if diffs else ""}
The accounts flagged are the logit-bias sweepers, and only they: \
{", ".join(f"partition {p}: {yes(v['flagged_are_the_probers'])}" for p, v in parts.items())}.

{linker_section}## Latency of answered requests (client side, ms)

| window | requests | p50 | p99 |
|---|---|---|---|
| all | {lat["all"]["n"]:,} | {lat["all"]["p50"]} | {lat["all"]["p99"]} |
| quiet: {lat["quiet"]["window_s"][0]}-{lat["quiet"]["window_s"][1]} s, before the first kill \
| {lat["quiet"]["n"]:,} | {lat["quiet"]["p50"]} | {lat["quiet"]["p99"]} |
{phase_rows}

{phase_note}

## What this does not show

- One machine, {r["cores"]} cores shared by everything: clients, both replicas, both workers,
  NATS, Redis and PostgreSQL, and whatever else ran on it (1-minute load average
  {r["loadavg"]["before"][0]:.1f} before the run, {r["loadavg"]["after"][0]:.1f} as it ended,
  its own processes included). The throughput and latencies are of that contention, not of
  a replica on its own core (benchmarks/gateway/RESULTS.md), and the load is closed-loop
  (each client waits for its answer), so it never saturates anything on purpose.
- kill -9 of processes, not of machines: what the kernel had written survives. nats-server
  2.9 acknowledges an event once written to its file store, fsynced on an interval, so a
  power cut can lose acknowledged events; a JetStream cluster (`replicas = 3`) is not tested.
- Each kill happens once, at one moment; a kill in the middle of a worker's checkpoint, or of
  the spool's forwarding, is only as likely as the timing makes it. Replica A is killed while
  the stream is up (its spool empty), so a replica restarted with a spool still to forward
  is not exercised here. Replica B, worker 0 and PostgreSQL are never killed.
- The traffic is synthetic: unique prompts of a few words, a fixed request shape, and
  {sum(r["probers"].values())} accounts sweeping logit biases. Flags of behaviour, and
  campaigns, come from this traffic only. {linking_note}
- The decisions table (worker to gateways) is exercised but not checked here
  (tests/pipeline/test_worker.py checks a decision reaching a gateway).
"""
    path.write_text(text)


def _linker_text(r: dict[str, Any], yes: Any) -> tuple[str, str]:
    """(the section on the linker's run, the note on linking) of the report."""
    if not r.get("linker"):
        return "", "Each worker links its own accounts (`--linker` runs the linker)."
    a = r["all_partitions"]
    header = (
        "| events (both logs) | flagged by the workers | flagged by analyze of all | identical "
        "| campaigns (linker's last view / analyze) | same members | accounts in the view |"
    )
    row = (
        f"| {a['events']:,} | {len(a['flagged_workers'])} | {len(a['flagged_analyze'])} "
        f"| {yes(a['flags_identical'])} | {a['campaigns_linker']} / {a['campaigns_analyze']} "
        f"| {yes(a['campaign_members_identical'])} | {a['linker_view_accounts']} |"
    )
    section = f"""## With the linker: the workers' flags against one `analyze` of both logs merged

The workers ran with `[pipeline] linker = true` beside `distillguard linker` (killed -9 and
restarted halfway). Each ranks against every partition's population and takes the
linker's campaigns, so the per-partition table above may differ in scores; what the linker
stands in for is one analyzer over all events.

{header}
|---|---|---|---|---|---|---|
{row}

The linker links from the states the workers save each second, so a linking of the young
population (its rankable accounts doubled) comes at another moment than analyze's, on
states a second or so apart; until the next linking its campaigns can differ from
analyze's. With a link period of 3,600 s there is no later linking in a run of
{r["seconds"]:g} s. The flags do not depend on it here.

"""
    note = (
        "The load holds no campaign across partitions for the linker to find "
        "(tests/pipeline/test_linker_workers.py links one); this run shows the linker "
        "running, killed and restarted beside the workers without changing what is flagged."
    )
    return section, note


def _shown_path(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return path.resolve().relative_to(HERE.parents[1]).as_posix()
    return path.as_posix()


def versions() -> dict[str, str]:
    def first(argv: list[str]) -> str:
        out = subprocess.run(argv, capture_output=True, text=True, check=False).stdout
        return out.split()[-1] if "nats" in argv[0] else out.split()[2].removeprefix("v=")

    return {"nats": first(["nats-server", "--version"]), "redis": first(["redis-server", "-v"])}


SNAPSHOT = "DG_PIPELINE_SNAPSHOT"  # "COMMIT FOLDER" of the snapshot this process runs on


def _git(*args: str) -> str:
    out = subprocess.run(["git", "-C", str(HERE.parents[1]), *args], capture_output=True)
    return out.stdout.decode().strip()


def run_on_snapshot(argv: list[str]) -> None:
    """Become a run on `git archive HEAD src` (PYTHONPATH, which every child inherits): one
    version of the code from the first start to the last restart, whatever is being edited
    in this working tree meanwhile. The run removes the snapshot at its end."""
    commit = _git("rev-parse", "HEAD")
    folder = Path(tempfile.mkdtemp(prefix="dg-pipeline-src-"))
    archive = subprocess.run(
        ["git", "-C", str(HERE.parents[1]), "archive", commit, "src"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    env = {**os.environ, SNAPSHOT: f"{commit} {folder}"}
    env["PYTHONPATH"] = os.pathsep.join(
        x for x in (str(folder / "src"), os.environ.get("PYTHONPATH")) if x
    )
    os.execve(sys.executable, [sys.executable, __file__, *argv], env)


def provenance() -> dict[str, Any]:
    """The code that ran: the commit, and whether it was a snapshot of it or this tree."""
    import distillguard

    package = Path(distillguard.__file__).resolve().parent
    snapshot = os.environ.get(SNAPSHOT)
    return {
        "commit": snapshot.split()[0] if snapshot else _git("rev-parse", "HEAD"),
        "package": str(package),
        "snapshot": bool(snapshot) and str(package).startswith(snapshot.split()[1]),
        "tree_src_uncommitted_changes": bool(_git("status", "--porcelain", "src")),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--seconds", type=float, default=600.0)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--smoke", action="store_true", help="~25 s of load, 8 clients")
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument("--keep", action="store_true", help="keep the work folder (logs, events)")
    ap.add_argument("--linker", action="store_true", help="workers follow a `distillguard linker`")
    ap.add_argument(
        "--snapshot", action="store_true", help="run on `git archive HEAD src`, not this tree"
    )
    args = ap.parse_args()
    if args.snapshot and SNAPSHOT not in os.environ:
        run_on_snapshot(sys.argv[1:])
    if args.smoke:
        args.seconds, args.clients = 25.0, 8
    for binary in ("nats-server", "redis-server"):
        if shutil.which(binary) is None:
            raise SystemExit(f"{binary} is not on PATH")
    started = time.monotonic()
    code = provenance()
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="dg-pipeline-"))
    try:
        with fresh_database() as db_url, Procs(work) as procs:
            r = measure(procs, work, db_url, args.seconds, args.clients, args.linker)
    finally:
        if SNAPSHOT in os.environ:
            shutil.rmtree(os.environ[SNAPSHOT].split(" ", 1)[1], ignore_errors=True)
        if args.keep:
            print(f"work folder kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    r.update(
        command="python " + " ".join([_shown_path(Path(sys.argv[0])), *sys.argv[1:]]),
        machine=f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, `{' '.join(platform.uname()[:3])}`",
        cores=os.cpu_count(),
        date=f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        versions=versions(),
        code=code,
        loadavg={"before": load_before, "after": os.getloadavg()},
        wall_s=round(time.monotonic() - started, 1),
    )
    r["linker"] = args.linker
    r["passed"] = passed(r)
    print(json.dumps({k: v for k, v in r.items() if k != "timeline"}, indent=2))
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "-linker" if args.linker else ""
    (args.out / f"results{suffix}.json").write_text(json.dumps(r, indent=2) + "\n")
    if not args.smoke:
        write_md(args.out / f"RESULTS{suffix}.md", r)
    sys.exit(0 if r["passed"] else 1)


if __name__ == "__main__":
    main()
