"""The upstream clients alone: CPU time per request of `HttpUpstream` (httpx) and
`AiohttpUpstream` (aiohttp), as the gateway uses them, against the instant mock.

    python client_bench.py URL --client aiohttp --requests 5000 --concurrency 100

Runs in a process of its own (pinned by run.py to the gateway's core) on uvloop, like the
gateway, and prints one JSON object: requests/s and CPU-microseconds per request, which holds
even when other work shares the core.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

import orjson
import uvloop

from distillguard.gateway.upstreams import Endpoint, open_router
from distillguard.settings import Settings, UpstreamSettings


async def run(args: argparse.Namespace) -> dict[str, Any]:
    conf = UpstreamSettings(kind="http", url=args.url, client=args.client)
    router = open_router(Settings(upstreams={"u": conf}, models={"*": "u"}))
    upstream = router.upstreams["u"]
    body = {
        "model": "bench-fast",
        "messages": [{"role": "user", "content": "Explain why the sky is blue, briefly."}],
        "max_tokens": 256,
    }
    left = args.concurrency * 5  # a warm-up that fills the connection pool

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            orjson.loads(await upstream.complete(Endpoint.CHAT, body))

    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    left = args.requests
    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    await router.aclose()
    return {
        "client": args.client,
        "requests": args.requests,
        "concurrency": args.concurrency,
        "rps": round(args.requests / wall, 1),
        "cpu_us_per_request": round(cpu / args.requests * 1e6, 1),
        "cpu_share": round(cpu / wall, 3),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("url", help="base URL ending in /v1")
    p.add_argument("--client", choices=("httpx", "aiohttp"), required=True)
    p.add_argument("--requests", type=int, default=5000)
    p.add_argument("--concurrency", type=int, default=100)
    result = uvloop.run(run(p.parse_args()))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
