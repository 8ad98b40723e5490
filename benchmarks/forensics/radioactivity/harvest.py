"""Stage 1: one attacker account harvests answers of the local model through the gateway.

The gateway runs in process (`BackgroundServer(build_app(settings))`) with the `local`
upstream (SmolLM2-135M-Instruct, batched) and `[watermark]` on. The attacker's account and key
are made in the gateway's SQLite store; prompts go over loopback HTTP with the official
`openai` client, many at once so that the upstream fills its batches. Answers are appended to
work/harvest.jsonl as they come, so a second run adds to them instead of starting over.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import orjson
from openai import AsyncOpenAI

from distillguard.gateway import BackgroundServer, build_app
from distillguard.settings import load_settings
from distillguard.store import Store

MODEL = "smollm2"


def gateway_settings(folder: Path, secret: str, threads: int, batch: int) -> Any:
    return load_settings(
        overrides={
            "database_url": f"sqlite:///{folder / 'dg.db'}",
            "events": {"dir": str(folder / "events")},
            "pipeline": {"detection": "inline"},  # the event log is written in this process
            "upstreams": {
                "local": {
                    "kind": "local",
                    "threads": threads,
                    "max_batch": batch,
                    "max_tokens": 150,
                    "timeout_s": 900,
                }
            },
            "models": {"*": "local"},
            # The production defaults (gamma 0.25, delta 1.0, context 2): no tuning for this test.
            "watermark": {"enabled": True, "secret": secret},
        }
    )


async def _ask(
    client: AsyncOpenAI, prompt: str, tokens: int, extra: dict[str, Any] | None
) -> tuple[str, int, str]:
    answer = await client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": prompt}],
        max_tokens=tokens,
        temperature=1.0,
        extra_body=extra,
    )
    usage = answer.usage.completion_tokens if answer.usage else 0
    return answer.choices[0].message.content or "", usage, answer.choices[0].finish_reason


async def _pump(
    client: AsyncOpenAI,
    todo: list[tuple[int, str]],
    tokens: int,
    concurrency: int,
    deadline: float,
    extra: dict[str, Any] | None,
    sink: Any,
    tag: str,
) -> int:
    """Keep `concurrency` requests in flight until `todo` runs out or `deadline` passes."""
    queue = list(reversed(todo))
    made = 0

    async def worker() -> None:
        nonlocal made
        while queue and time.monotonic() < deadline:
            index, prompt = queue.pop()
            text, used, reason = await _ask(client, prompt, tokens, extra)
            record = {"i": index, "prompt": prompt, "text": text, "tokens": used, "tag": tag}
            sink.write(orjson.dumps({**record, "finish": reason}) + b"\n")
            sink.flush()
            made += 1
            if made % 16 == 0:
                print(f"  harvest[{tag}]: {made} answers", flush=True)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return made


def harvest(
    work: Path,
    prompts: list[str],
    secret: str,
    minutes: float,
    concurrency: int,
    threads: int,
    batch: int,
    tokens: int,
) -> dict[str, Any]:
    """Harvest for about `minutes`; returns what the report needs (account, counts, timing)."""
    folder = work / "gateway"
    folder.mkdir(parents=True, exist_ok=True)
    path = work / "harvest.jsonl"
    meta_path = work / "harvest-meta.json"
    done = set()
    if path.is_file():
        done = {orjson.loads(line)["i"] for line in path.read_bytes().splitlines()}
    meta: dict[str, Any] = orjson.loads(meta_path.read_bytes()) if meta_path.is_file() else {}
    started = time.perf_counter()
    server = BackgroundServer(build_app(gateway_settings(folder, secret, threads, batch))).start()
    try:
        store: Store = server.app.state.store  # type: ignore[attr-defined]
        if "account" not in meta:
            account = store.create_account("attacker", tier="enterprise")
            meta = {"account": account.id, "secret_key": store.create_key(account.id).secret}
            meta_path.write_bytes(orjson.dumps(meta))
        client = AsyncOpenAI(
            base_url=server.url + "/v1", api_key=meta["secret_key"], timeout=1800, max_retries=0
        )
        todo = [(i, p) for i, p in enumerate(prompts) if i not in done]
        deadline = time.monotonic() + minutes * 60
        with path.open("ab") as sink:
            # Plain requests, as any client sends them: the gateway names the caller's account
            # to the watermarking upstream itself (and drops a client's own naming).
            asyncio.run(_run(client, todo, tokens, concurrency, deadline, sink))
    finally:
        server.stop()
    seconds = time.perf_counter() - started
    return {**{k: v for k, v in meta.items() if k != "secret_key"}, "harvest_s": seconds}


async def _run(
    client: AsyncOpenAI,
    todo: list[tuple[int, str]],
    tokens: int,
    concurrency: int,
    deadline: float,
    sink: Any,
) -> None:
    await _pump(client, todo, tokens, concurrency, deadline, None, sink, "plain")
    await client.close()
