"""Detection in a worker: the gateway only journals; the worker detects, decides, and the
gateway enforces what it decided."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import orjson
import pytest

from distillguard.gateway import BackgroundServer, build_app
from distillguard.pipeline.worker import WorkerReport, run_worker
from distillguard.settings import Settings, load_settings
from distillguard.store import open_store

POLICY = """
mode = "enforce"
default_tier = "open"
[tiers.open]
[[levels]]
name = "restrict"
case = true
when = { min_risk = 0.0, min_requests = 3 }
actions = { strip_logprobs = true }
"""


class Worker:
    """`run_worker` on a loop of its own, as `distillguard worker` runs it."""

    def __init__(self, settings: Settings) -> None:
        self.loop = asyncio.new_event_loop()
        self.stop = asyncio.Event()
        self.report: WorkerReport | None = None
        self.thread = threading.Thread(target=self._run, args=(settings,), daemon=True)
        self.thread.start()

    def _run(self, settings: Settings) -> None:
        async def main() -> None:
            self.report = await run_worker(settings, partition=None, stop=self.stop)

        self.loop.run_until_complete(main())
        self.loop.close()

    def close(self) -> WorkerReport:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(timeout=30)
        assert self.report is not None
        return self.report


@pytest.fixture
def worker_mode(tmp_path: Path) -> Iterator[dict[str, Any]]:
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    settings = load_settings(
        overrides={
            "database_url": f"sqlite:///{tmp_path / 'dg.db'}",
            "events": {"dir": str(tmp_path / "events"), "reorder_window_s": 0.05},
            "auth": {"cache_ttl_s": 0},
            "tiers": {"open": {}},
            "pipeline": {"detection": "worker", "decisions_poll_s": 0.05},
            "policy": {"file": str(policy)},
        }
    )
    store = open_store(settings)
    account = store.create_account("harvester", tier="open")
    secret = store.create_key(account.id).secret
    server = BackgroundServer(build_app(settings, store=store)).start()
    worker = Worker(settings)
    client = openai.OpenAI(base_url=server.url + "/v1", api_key=secret, max_retries=0)
    yield {"server": server, "worker": worker, "client": client, "account": account.id}
    client.close()
    server.stop()
    if worker.thread.is_alive():
        worker.close()


def test_the_gateway_enforces_what_the_worker_decided(worker_mode: dict[str, Any]) -> None:
    server, client, account = worker_mode["server"], worker_mode["client"], worker_mode["account"]
    enforcement = server.app.state.enforcement
    assert server.app.state.recorder.follower is None  # no detection in the gateway
    for i in range(5):
        client.chat.completions.create(
            model="sim-small", messages=[{"role": "user", "content": f"question {i}"}]
        )
    deadline = time.monotonic() + 15
    while enforcement.enforcer.decision(account).level != "restrict":
        assert time.monotonic() < deadline, "the worker's decision never reached the gateway"
        time.sleep(0.05)
    client.chat.completions.create(
        model="sim-small", messages=[{"role": "user", "content": "q"}], logprobs=True
    )
    report = worker_mode["worker"].close()
    assert report.events == 6
    events_dir = Path(server.app.state.proxy.settings.events.dir)
    logged = [
        orjson.loads(x)
        for p in sorted(events_dir.glob("events-*.jsonl"))
        for x in p.read_bytes().splitlines()
    ]
    assert len(logged) == 6 and all("_id" not in e and "_meta" not in e for e in logged)
    assert logged[-1]["enforcement"]["changes"] == ["strip_logprobs"]  # the decision held
    store = server.app.state.store
    moves = [e for e in store.audit_log(subject=account) if e.action == "level_change"]
    assert [m.detail["to"] for m in moves] == ["restrict"]
    # The console's and admin API's view of detection is read back from the saved state.
    analyzer = server.app.state.recorder.analyzer
    assert analyzer is not None and account in analyzer.tracks
