"""Hostile input against a live gateway: how many tries per class, what came back, memory.

    python benchmarks/abuse/run.py            # full run, writes results.json and RESULTS.md
    python benchmarks/abuse/run.py --smoke    # a few tries per class (CI), nothing written

The gateway runs as `distillguard serve` in its own process (SQLite, simulated upstream), so
its resident memory (VmRSS) can be read before, during and after the flood. Classes:

- big bodies: concurrent bodies announcing 40 MiB each (Content-Length), sent in full;
- chunked bodies: the same without a length;
- big headers: a 1 MiB User-Agent;
- hostile JSON: type confusion in every field the gateway reads, odd numbers, deep nesting;
- budgets: max_tokens of 10^9, n past the limit, logit_bias past the limit;
- wrong secrets: a flood from one address, then another key's valid secret from it;
- admin: garbage query parameters and wrong tokens.

Target (issue #13): zero 5xx in every class; 32 x 40 MiB bodies leave RSS under +100 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile import admin_queries, hostile_bodies

HERE = Path(__file__).resolve().parent
ADMIN = "abuse-benchmark-admin-token"
MIB = 1 << 20


def _cli(env: dict[str, str], *args: str) -> str:
    exe = Path(sys.executable).with_name("distillguard")
    out = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip().split()[-1]


@contextmanager
def gateway(work: Path) -> Iterator[tuple[str, int, dict[str, str]]]:
    """A `distillguard serve` process: (url, pid, env with its database)."""
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DISTILLGUARD_DATABASE_URL": f"sqlite:///{work / 'dg.db'}"}
    config = work / "abuse.toml"
    config.write_text(
        f'[events]\ndir = "{work / "events"}"\n[admin]\ntoken = "{ADMIN}"\n'
        "[auth]\ncache_ttl_s = 0\n"
    )
    exe = Path(sys.executable).with_name("distillguard")
    argv = [str(exe), "serve", "--config", str(config), "--port", "0", "--upstream", "simulated"]
    proc = subprocess.Popen(
        argv, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        url = _listening(proc)
        yield url, proc.pid, env
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)


def _listening(proc: subprocess.Popen[str]) -> str:
    assert proc.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        record = json.loads(line)
        if record.get("msg") == "listening":
            # Keep draining stderr so the gateway never blocks on a full pipe.
            threading.Thread(target=proc.stderr.read, daemon=True).start()
            return str(record["url"])
    raise RuntimeError("the gateway did not start")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _raw_upload(url: str, secret: str, size: int, chunked: bool) -> str:
    """Send a body of `size` bytes over a raw socket; the status line read back, or why not."""
    host, port = url.removeprefix("http://").split(":")
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {secret}"
        f"\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
    )
    piece = b"x" * MIB
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        try:
            sock.sendall(head.encode())
            for _ in range(size // MIB):
                sock.sendall(b"100000\r\n" + piece + b"\r\n" if chunked else piece)
        except OSError:
            pass  # refused and closed: what it said is in the receive buffer
        try:
            data = sock.recv(4096)
        except OSError as err:
            return f"reset ({type(err).__name__})"
    return data.split(b"\r\n", 1)[0].decode(errors="replace") or "closed without an answer"


def big_bodies(url: str, secret: str, pid: int, count: int, chunked: bool) -> dict[str, object]:
    before = rss_mb(pid)
    peak = before
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(_raw_upload(url, secret, 40 * MIB, chunked)))
        for _ in range(count)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    probe = []
    while any(t.is_alive() for t in threads):
        peak = max(peak, rss_mb(pid))
        t0 = time.monotonic()
        httpx.get(url + "/healthz", timeout=10)
        probe.append((time.monotonic() - t0) * 1000)
        time.sleep(0.02)
    for t in threads:
        t.join()
    return {
        "tries": count,
        "answers": dict(Counter(results)),
        "rss_before_mb": round(before, 1),
        "rss_peak_mb": round(peak, 1),
        "rss_growth_mb": round(peak - before, 1),
        "healthz_max_ms": round(max(probe, default=0.0), 1),
        "seconds": round(time.monotonic() - started, 2),
    }


def statuses(responses: list[httpx.Response]) -> dict[str, object]:
    got = Counter(r.status_code for r in responses)
    return {"tries": len(responses), "statuses": dict(sorted(got.items())), "5xx": _fives(got)}


def _fives(got: Counter[int]) -> int:
    return sum(n for s, n in got.items() if s >= 500)


def run(smoke: bool, work: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    with gateway(work) as (url, pid, env):
        account = _cli(env, "accounts", "create", "Abuser", "--tier", "standard")
        secret = _cli(env, "keys", "create", account)
        bystander = _cli(env, "accounts", "create", "Bystander", "--tier", "standard")
        their_secret = _cli(env, "keys", "create", bystander)
        count = 4 if smoke else 32
        out["big_bodies"] = big_bodies(url, secret, pid, count, chunked=False)
        out["chunked_bodies"] = big_bodies(url, secret, pid, count // 4 or 1, chunked=True)
        auth = {"authorization": f"Bearer {secret}"}
        with httpx.Client(base_url=url, timeout=30) as client:
            big_ua = {**auth, "user-agent": "u" * MIB}
            out["big_headers"] = statuses(
                [client.get("/v1/models", headers=big_ua) for _ in range(2 if smoke else 20)]
            )
            bodies = list(hostile_bodies(smoke))
            out["hostile_json"] = statuses(
                [client.post("/v1/chat/completions", content=b, headers=auth) for b in bodies]
            )
            wrong = [
                client.get("/v1/models", headers={"authorization": f"Bearer sk-dg-{i:012x}-no"})
                for i in range(10 if smoke else 200)
            ]
            valid = client.get("/v1/models", headers={"authorization": f"Bearer {their_secret}"})
            out["wrong_secrets"] = {
                **statuses(wrong),
                "then_another_keys_valid_secret": valid.status_code,
            }
            admin = {"authorization": f"Bearer {ADMIN}"}
            queries = [client.get(q, headers=admin) for q in admin_queries()]
            bad_tokens = [
                client.get("/admin/accounts", headers={"authorization": f"Bearer wrong-{i}"})
                for i in range(5 if smoke else 50)
            ]
            out["admin"] = statuses(queries + bad_tokens)
            out["still_serves"] = client.post(
                "/v1/chat/completions",
                json={"model": "sim-large", "messages": [{"role": "user", "content": "hi"}]},
                headers=auth,
            ).status_code
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="a few tries per class; no files")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    args = parser.parse_args()
    results = run(args.smoke, args.work)
    fives = sum(int(v.get("5xx", 0)) for v in results.values() if isinstance(v, dict))
    summary = {
        "machine": f"{platform.node()} {os.cpu_count()} cores, {platform.python_version()}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "benchmarks/abuse/run.py", *sys.argv[1:]]),
        "total_5xx": fives,
        "classes": results,
    }
    print(json.dumps(summary, indent=2))
    if not args.smoke:
        (HERE / "results.json").write_text(json.dumps(summary, indent=2) + "\n")
    if fives or results.get("still_serves") != 200:
        sys.exit(1)


if __name__ == "__main__":
    main()
