"""Kill -9 the embedded gateway under load, restart it, count what the event log kept.

    .venv/bin/python benchmarks/pipeline/kill9.py                 # 3 kills, ~2,400 requests
    .venv/bin/python benchmarks/pipeline/kill9.py --sync write    # journal not fsynced
    .venv/bin/python benchmarks/pipeline/kill9.py --smoke         # 1 kill, seconds

`distillguard serve` runs on its embedded defaults (SQLite, the journal in its events
folder, detection in process, state saved every second) with the simulated upstream. Clients
(threads, one connection each, half of them streaming) send prompts that are unique per
request; after `--per-round` answers the gateway gets SIGKILL while requests are in flight,
and is started again on the same folders. At the end it is stopped cleanly (SIGINT), which
takes everything journaled into the event log. Then:

- lost: requests answered 200 (and read to `[DONE]` for streams) absent from the event log;
- doubled: prompts in the event log more than once;
- detector events: the events the saved detector state says it counted, against the log.

Writes results-kill9.json (and RESULTS-kill9.md unless --smoke) into --out (default: here).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

HERE = Path(__file__).resolve().parent
EXE = Path(sys.executable).with_name("distillguard")


def cli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([str(EXE), *args], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1].split()[-1]


def start(config: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    logs = config.parent / "gateway-logs"
    logs.mkdir(exist_ok=True)
    proc = subprocess.Popen(
        [str(EXE), "serve", "--config", str(config), "--port", "0", "--upstream", "simulated"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        if '"listening"' in line:
            url = orjson.loads(line)["url"]
            keep = logs / f"serve-{proc.pid}.log"
            threading.Thread(target=_drain, args=(proc, keep), daemon=True).start()
            return proc, url
    proc.kill()
    raise SystemExit(f"serve did not start: {proc.stderr.read()[-2000:]}")


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def wait_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.01)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie holds no lock and writes nothing


def _drain(proc: subprocess.Popen[str], keep: Path) -> None:
    """Keep the gateway's warnings and errors (a full pipe would block its logging)."""
    assert proc.stderr is not None
    with keep.open("w") as out:
        for line in proc.stderr:
            if '"level":"info"' not in line or os.environ.get("KILL9_ALL_LOGS"):
                out.write(line)
                out.flush()


def problems(work: Path) -> list[str]:
    """The error lines the gateways logged."""
    lines = []
    for path in sorted((work / "gateway-logs").glob("*.log")):
        lines += [x for x in path.read_text().splitlines() if '"level":"error"' in x]
    return lines


class Load:
    """Client threads sending unique prompts until told to stop or the gateway dies."""

    def __init__(self, url: str, secret: str | list[str], tag: str, clients: int) -> None:
        self.url, self.tag = url, tag
        self.secrets = [secret] if isinstance(secret, str) else secret
        self.answered: list[str] = []
        self.statuses: Counter[int] = Counter()  # of the answers that were not a 200
        self.failed = 0
        self.latencies: list[float] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(clients)
        ]

    def run(self) -> None:
        for t in self.threads:
            t.start()

    def join(self) -> None:
        for t in self.threads:
            t.join(timeout=30)

    def _client(self, n: int) -> None:
        headers = {"authorization": f"Bearer {self.secrets[n % len(self.secrets)]}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=30) as client:
            i = 0
            while not self.stop.is_set():
                prompt = f"{self.tag}-{n}-{i}"
                i += 1
                started = time.perf_counter()
                try:
                    ok = _ask(client, prompt, stream=n % 2 == 1, statuses=self.statuses)
                except httpx.HTTPError:
                    with self._lock:
                        self.failed += 1
                    if self.stop.wait(0.05):
                        return
                    continue
                with self._lock:
                    if ok:
                        self.answered.append(prompt)
                        self.latencies.append(time.perf_counter() - started)
                    else:
                        self.failed += 1


def _ask(client: httpx.Client, prompt: str, stream: bool, statuses: Counter[int]) -> bool:
    body = {"model": "sim-small", "messages": [{"role": "user", "content": prompt}]}
    if not stream:
        r = client.post("/v1/chat/completions", json=body)
        if r.status_code != 200:
            statuses[r.status_code] += 1
        return r.status_code == 200 and bool(r.json()["choices"])
    body["stream"] = True
    with client.stream("POST", "/v1/chat/completions", json=body) as r:
        if r.status_code != 200:
            statuses[r.status_code] += 1
            return False
        text = b"".join(r.iter_bytes())
    return text.rstrip().endswith(b"data: [DONE]")  # complete only with its [DONE]


def free_port_of() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {timeout:g} s")


def logged_prompts(folder: Path) -> Counter[str]:
    seen: Counter[str] = Counter()
    for path in sorted(folder.rglob("events-*.jsonl")):
        for line in path.read_bytes().splitlines():
            event = orjson.loads(line)
            if event.get("status", 200) == 200:
                seen[event["request"]["messages"][-1]["content"]] += 1
    return seen


def ledger_records(folder: Path) -> int:
    return sum(
        1
        for path in folder.glob("ledger-*.jsonl")
        for line in path.read_bytes().splitlines()
        if line.startswith(b'{"seq"')
    )


def detector_events(db: Path) -> int:
    import sqlite3

    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT state FROM detector_state WHERE account = '#campaigns'"
        ).fetchone()
    return int(orjson.loads(zlib.decompress(row[0]))["events"]) if row else 0


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    db = work / "dg.db"
    env = {**os.environ, "DISTILLGUARD_DATABASE_URL": f"sqlite:///{db}"}
    account = cli(env, "accounts", "create", "Crash Test", "--tier", "enterprise")
    secret = cli(env, "keys", "create", account)
    key = work / "ledger.key"
    keygen = [str(EXE), "ledger", "keygen", "--out", str(key)]
    subprocess.run(keygen, env=env, check=True, capture_output=True)
    config = work / "serve.toml"
    config.write_text(
        f'[events]\ndir = "{work / "events"}"\nsync = "{args.sync}"\nsave_state_s = 1.0\n'
        "reorder_window_s = 0.2\n"
        f'[ledger]\nenabled = true\ndir = "{work / "ledger"}"\nkey_file = "{key}"\n'
    )
    answered: list[str] = []
    latencies: list[float] = []
    failed = 0
    for round_ in range(args.kills + 1):
        proc, url = start(config, env)
        load = Load(url, secret, f"r{round_}", args.clients)
        load.run()
        while len(load.answered) < args.per_round and proc.poll() is None:
            time.sleep(0.01)
        if round_ < args.kills:
            workers = children(proc.pid)  # the detection worker serve started beside itself
            os.killpg(proc.pid, signal.SIGKILL)  # mid-load: requests are in flight
            for pid in workers:
                os.kill(pid, signal.SIGKILL)
            load.stop.set()
            proc.wait()
            wait_gone(workers)
            load.stop.set()
        else:
            load.stop.set()
            load.join()
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
        load.join()
        answered += load.answered
        latencies += load.latencies
        failed += load.failed
    # One more clean start and stop: the last round's journal is read into the log at stop.
    proc, _ = start(config, env)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    logged = logged_prompts(work / "events")
    lost = [p for p in answered if p not in logged]
    doubled = {p: n for p, n in logged.items() if n > 1}
    total_logged = sum(logged.values())
    latencies.sort()
    verify = subprocess.run(
        [str(EXE), "ledger", "verify", str(work / "ledger"), "--public-key", f"{key}.pub"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    journaled = sum(
        len(p.read_bytes().splitlines()) for p in (work / "events" / "journal").glob("*.jsonl")
    )
    return {
        "sync": args.sync,
        "kills": args.kills,
        "clients": args.clients,
        "answered_200": len(answered),
        "failed_or_cut": failed,
        "logged_200": total_logged,
        "lost": len(lost),
        "lost_examples": lost[:5],
        "doubled": len(doubled),
        "gateway_errors": problems(work)[:10],
        "detector_events": detector_events(db),
        "log_events_all": sum(
            len(p.read_bytes().splitlines()) for p in (work / "events").glob("events-*.jsonl")
        ),
        "journal_records": journaled,
        "ledger_records": ledger_records(work / "ledger"),
        "ledger_verify": verify.returncode == 0,
        "latency_ms": {
            "p50": round(latencies[len(latencies) // 2] * 1000, 2) if latencies else None,
            "p99": round(latencies[int(len(latencies) * 0.99)] * 1000, 2) if latencies else None,
        },
    }


def write_md(path: Path, results: list[dict[str, Any]], command: str) -> None:
    verified = ", ".join(
        f"{r['sync']}: {'passed' if r['ledger_verify'] else 'FAILED'}" for r in results
    )
    records = ", ".join(f"{r['ledger_records']:,}" for r in results)
    lines = [
        "# Kill -9 of the embedded gateway: what the event log keeps",
        "",
        f"- machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; `{' '.join(platform.uname()[:3])}`",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- command: `{command}`",
        "- gateway: `distillguard serve` on embedded defaults (SQLite, journal in the events "
        "folder, detection in the worker process serve starts beside itself, state saved "
        "every 1 s), ledger on, simulated upstream; each kill is `kill -9` of the gateway and "
        "of its worker at once; clients and gateway on the same 2 cores",
        f"- after the last round: one more start and a clean stop, so the worker reads the "
        f"journal to its end; then `distillguard ledger verify` ({verified}) and the ledger's "
        f"records counted ({records}: one per journal record)",
        "",
        "| sync | kills | clients | answered 200 | logged 200 | lost | doubled | detector "
        "events / log events | latency p50 / p99 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lat = r["latency_ms"]
        lines.append(
            f"| {r['sync']} | {r['kills']} | {r['clients']} | {r['answered_200']:,} | "
            f"{r['logged_200']:,} | {r['lost']} | {r['doubled']} | "
            f"{r['detector_events']:,} / {r['log_events_all']:,} | {lat['p50']} / {lat['p99']} |"
        )
    lines += [
        "",
        "Lost counts answered requests (a 200 read to the end, `[DONE]` included for "
        "streams) that are not in the event log after the restarts; doubled counts prompts "
        "logged more than once. Requests cut by a kill are not answered, and may or may not "
        "be logged (as the 200 the upstream gave, or a 499).",
    ]
    path.write_text("\n".join(lines) + "\n")


def passed(r: dict[str, Any]) -> bool:
    """Nothing lost, nothing twice: in the log, the detector state and the ledger."""
    return (
        r["lost"] == 0
        and r["doubled"] == 0
        and r["detector_events"] == r["log_events_all"] == r["journal_records"]
        and r["ledger_records"] == r["journal_records"]
        and r["ledger_verify"]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--sync", choices=["fsync", "write", "both"], default="both")
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-round", type=int, default=600)
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    if args.smoke:
        args.kills, args.per_round, args.clients = 1, 60, 4
    results = []
    for sync in ("fsync", "write") if args.sync == "both" else (args.sync,):
        args.sync = sync
        with tempfile.TemporaryDirectory(prefix="dg-kill9-") as tmp:
            result = run(args, Path(tmp))
        print(json.dumps(result))
        results.append(result)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results-kill9.json").write_text(json.dumps(results, indent=2) + "\n")
    if not args.smoke:
        write_md(args.out / "RESULTS-kill9.md", results, "python " + " ".join(sys.argv))
    bad = [r for r in results if not passed(r)]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
