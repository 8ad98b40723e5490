"""The load generator of the gateway benchmark (aiohttp on uvloop, its own process).

    python loadgen.py URL --clients 100 --duration 20 [--rate 800] [--stream] [--keys K1,K2]

Each of `--clients` clients holds one keep-alive connection and sends chat completions one
after another: as fast as answers come (closed loop, the saturated case), or with `--rate`
at a fixed total offered rate, client i sending at t0 + (i + k * clients) / rate. Latency is
measured from the time a request was *due*, not sent, so a client that fell behind shows the
wait too (no coordinated omission). With `--stream` the time to the first body chunk is
measured as well. Requests due in the first `--warmup` seconds are not measured. Prints one
JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import resource
import sys
import time
from collections import Counter
from typing import Any

import aiohttp
import orjson
import uvloop

_TOPICS = (
    "the causes of the French Revolution",
    "how a hash table resolves collisions",
    "why the sky is blue",
    "the difference between TCP and UDP",
    "how vaccines train the immune system",
    "the proof that there are infinitely many primes",
    "what a monad is, to a Python programmer",
    "how to pick a learning rate",
)


def bodies(n: int, model: str, stream: bool) -> list[bytes]:
    """`n` distinct, realistic chat requests (the gateway parses and logs each one)."""
    out = []
    for i in range(n):
        topic = _TOPICS[i % len(_TOPICS)]
        body: dict[str, Any] = {
            "model": model,
            "messages": [
                {"role": "system", "content": "You are a helpful assistant. Be concise."},
                {
                    "role": "user",
                    "content": f"Question {i}: explain {topic} in a few short paragraphs, "
                    "with one worked example and the usual pitfalls.",
                },
            ],
            "temperature": 0.7,
            "max_tokens": 256,
        }
        if stream:
            body["stream"] = True
        out.append(orjson.dumps(body))
    return out


def percentiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    s = sorted(values)

    def q(p: float) -> float:
        return round(s[min(len(s) - 1, max(0, math.ceil(p * len(s)) - 1))], 3)

    return {
        "p50": q(0.50),
        "p90": q(0.90),
        "p99": q(0.99),
        "p999": q(0.999),
        "max": round(s[-1], 3),
        "mean": round(sum(s) / len(s), 3),
        "n": len(s),
    }


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.url = args.url.rstrip("/") + "/chat/completions"
        self.bodies = bodies(256, args.model, args.stream)
        self.keys = args.keys.split(",") if args.keys else ["none"]
        self.latency: list[float] = []
        self.ttfc: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.measured = 0

    async def one(self, session: aiohttp.ClientSession, i: int, due: float, t0: float) -> None:
        headers = {
            "authorization": f"Bearer {self.keys[i % len(self.keys)]}",
            "content-type": "application/json",
        }
        measured = due >= t0 + self.args.warmup
        first = None
        try:
            async with session.post(
                self.url, data=self.bodies[i % len(self.bodies)], headers=headers
            ) as r:
                if self.args.stream:
                    chunk = await r.content.readany()
                    first = time.perf_counter()
                    while chunk:
                        chunk = await r.content.readany()
                else:
                    await r.read()
                status = r.status
        except (aiohttp.ClientError, TimeoutError) as err:
            self.errors[type(err).__name__] += 1  # counted whether measured or not
            return
        done = time.perf_counter()
        self.statuses[status] += 1
        if measured:
            self.measured += 1
            self.latency.append((done - due) * 1000)
            if first is not None:
                self.ttfc.append((first - due) * 1000)

    async def client(self, session: aiohttp.ClientSession, c: int, t0: float, end: float) -> None:
        rate, clients = self.args.rate, self.args.clients
        k = 0
        while True:
            if rate:
                due = t0 + (c + k * clients) / rate
                if due >= end:
                    return
                wait = due - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
            else:
                due = time.perf_counter()
                if due >= end:
                    return
            await self.one(session, c + k * clients, due, t0)
            k += 1

    async def run(self) -> dict[str, Any]:
        a = self.args
        connector = aiohttp.TCPConnector(limit=a.clients, limit_per_host=0)
        timeout = aiohttp.ClientTimeout(total=a.timeout)
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
        ) as session:
            cpu0, t0 = time.process_time(), time.perf_counter() + 0.05
            end = t0 + a.warmup + a.duration
            await asyncio.gather(*(self.client(session, c, t0, end) for c in range(a.clients)))
            finished = time.perf_counter()
        window = max(1e-9, finished - (t0 + a.warmup))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "clients": a.clients,
            "offered_rps": a.rate or None,
            "stream": a.stream,
            "duration_s": round(window, 3),
            "measured": self.measured,
            "rps": round(self.measured / window, 1),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "ok": self.statuses.get(200, 0),
            "answered": sum(self.statuses.values()),
            "errors": dict(self.errors),
            "latency_ms": percentiles(self.latency),
            "ttfc_ms": percentiles(self.ttfc),
            "cpu_share": round((time.process_time() - cpu0) / max(1e-9, finished - t0), 3),
            "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
        }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("url", help="base URL ending in /v1")
    p.add_argument("--clients", type=int, default=100)
    p.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--rate", type=float, default=0.0, help="total requests/s; 0: closed loop")
    p.add_argument("--stream", action="store_true")
    p.add_argument("--keys", default="", help="comma-separated API keys, used in turn")
    p.add_argument("--model", default="bench-model")
    p.add_argument("--timeout", type=float, default=30.0)
    result = uvloop.run(Run(p.parse_args()).run())
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
