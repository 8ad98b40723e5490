"""`distillguard demo --via-gateway`: the demo's traffic replayed through a real gateway.

The gateway runs in this process (`BackgroundServer` on 127.0.0.1, a port the system picks)
with the simulated upstream and a SQLite store in the demo's folder. Each simulated account
gets a gateway account (named after the simulated id, same org) and one key; the simulated
requests go through the gateway over loopback HTTP (httpx, at most `CONCURRENCY` in flight,
each account's requests in their simulated order, with the original User-Agent). The events
the gateway recorded are then analyzed and scored against the simulated labels, translated to
the gateway's account ids.

What differs from the offline demo: the recorded ts is gateway wall-clock time, so a day of
traffic is compressed into the seconds the replay takes; the recorded IP is the loopback
address (the gateway only knows the connection's peer); the responses are the simulated
upstream's, not the simulator's.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from distillguard.cli.demo_cmd import RateColumn, detect, simulate_traffic
from distillguard.cli.detect_cmd import console, print_evaluation, print_summary, write_results
from distillguard.evaluation import evaluate, read_labels, read_scores
from distillguard.evaluation.labels import Label
from distillguard.gateway import BackgroundServer, build_app
from distillguard.settings import Settings, load_settings
from distillguard.sim import ScenarioConfig
from distillguard.store import open_store

# Requests through HTTP cost far more than offline analysis; half the offline demo's
# volume keeps `--accounts 20 --days 1` well under a minute on 2 cores.
VOLUME = 0.3
CONCURRENCY = 32  # requests in flight at most
DEMO_TIER = "demo"  # no limits: the demo measures detection, not throttling
PATHS = {"chat.completions": "/v1/chat/completions", "completions": "/v1/completions"}


@dataclass(frozen=True, slots=True)
class Replayed:
    """One simulated request as it will be sent: path, JSON body, User-Agent."""

    path: str
    body: bytes
    user_agent: str


@dataclass(slots=True)
class Plan:
    """The simulated requests per account, in log order, and each account's org."""

    calls: dict[str, list[Replayed]]
    orgs: dict[str, str | None]
    skipped: Counter[str]

    @property
    def total(self) -> int:
        return sum(len(c) for c in self.calls.values())


def read_plan(events: Path) -> Plan:
    """Group the simulated log's requests by account, keeping each account's order."""
    plan = Plan({}, {}, Counter())
    with events.open("rb") as fh:
        for line in fh:
            if not line.strip():
                continue
            event = orjson.loads(line)
            account = event["account"]
            endpoint = event.get("endpoint") or "chat.completions"
            path = PATHS.get(endpoint)
            if path is None:  # the gateway serves chat and completions only
                plan.skipped[endpoint] += 1
                continue
            plan.orgs.setdefault(account, event.get("org"))
            call = Replayed(path, orjson.dumps(event["request"]), event.get("user_agent") or "")
            plan.calls.setdefault(account, []).append(call)
    return plan


def gateway_settings(folder: Path) -> Settings:
    return load_settings(
        overrides={
            "database_url": f"sqlite:///{folder / 'gateway.db'}",
            "default_tier": DEMO_TIER,
            "tiers": {DEMO_TIER: {}},
            "models": {"*": "simulated"},  # the simulator's model names all go to the simulator
            "upstreams": {"simulated": {"kind": "simulated"}},
            "limits": {"backend": "memory"},
            # Detection runs after the replay over the whole log, as in the offline demo.
            "events": {"dir": str(folder / "gateway-events"), "detection": False},
            "auth": {"cache_ttl_s": 60.0},  # one scrypt check per key a minute, not per request
        }
    )


def run_gateway_demo(folder: Path, config: ScenarioConfig) -> None:
    """Simulate, replay through a gateway, analyze its log, evaluate; print as the offline demo."""
    summary = simulate_traffic(folder, config)
    labels = read_labels(summary.labels_path)
    plan = read_plan(summary.events_path)
    settings = gateway_settings(folder)
    store = open_store(settings)
    ids: dict[str, str] = {}
    secrets: dict[str, str] = {}
    for name in sorted(set(plan.calls) | set(labels)):
        account = store.create_account(name, tier=DEMO_TIER, org=plan.orgs.get(name))
        ids[name] = account.id
        secrets[name] = store.create_key(account.id).secret
    names = {gid: name for name, gid in ids.items()}
    write_map(folder / "gateway-accounts.jsonl", ids, labels)

    with BackgroundServer(build_app(settings, store=store)) as server:
        console.print(
            f"gateway on {server.url} (simulated upstream, SQLite in {folder.name}/gateway.db): "
            f"{len(ids)} accounts with one key each",
            highlight=False,
            soft_wrap=True,
        )
        start = time.perf_counter()
        statuses = asyncio.run(replay(server.url, plan, secrets))
        took = time.perf_counter() - start
    recorder = server.app.state.recorder  # type: ignore[attr-defined]
    shown = ", ".join(f"{code or 'failed'}: {n:,}" for code, n in sorted(statuses.items()))
    console.print(
        f"replayed {plan.total:,} requests in {took:.1f} s ({plan.total / max(took, 1e-9):,.0f}/s; "
        f"{shown}); gateway recorded {recorder.log.written:,} events, dropped {recorder.dropped}",
        highlight=False,
        soft_wrap=True,
    )
    if plan.skipped:
        console.print(f"skipped endpoints the gateway does not serve: {dict(plan.skipped)}")
    console.print(
        f"note: recorded ts is the gateway's wall clock: {summary.days} simulated "
        f"day{'s' if summary.days > 1 else ''} took {took:.0f} s, so rate, burst and timing "
        "detectors see compressed time; IPs are the loopback peer (the gateway records no "
        "forwarded address); user agents are the simulated ones.",
        style="dim",
        highlight=False,
        soft_wrap=True,
    )

    logs = sorted((folder / "gateway-events").glob("events-*.jsonl"))
    analyzer = detect(logs, recorder.log.written)
    accounts, campaigns = analyzer.results()
    write_results(folder, accounts, campaigns)
    kinds = {ids[name]: label.kind for name, label in labels.items() if name in ids}
    print_summary(
        accounts,
        campaigns,
        notes={gid: f"simulated {name}, {kinds.get(gid) or '?'}" for gid, name in names.items()},
    )
    translated = {
        ids[name]: Label(ids[name], label.extraction, label.campaign, label.kind)
        for name, label in labels.items()
    }
    evaluation = evaluate(read_scores(folder), translated)
    print_evaluation(evaluation)
    (folder / "evaluation.json").write_bytes(evaluation.to_json())


def write_map(path: Path, ids: dict[str, str], labels: dict[str, Label]) -> None:
    """Gateway account id, simulated account id and its label, one line each."""
    with path.open("wb") as fh:
        for name, gid in ids.items():
            label = labels.get(name)
            row: dict[str, Any] = {"account": gid, "simulated": name}
            if label is not None:
                row["label"] = "extraction" if label.extraction else "benign"
                row["kind"] = label.kind
                row["campaign"] = label.campaign
            fh.write(orjson.dumps(row) + b"\n")


async def replay(url: str, plan: Plan, secrets: dict[str, str]) -> Counter[int]:
    """Send every planned request; each account's in order. Status counts (0: no answer)."""
    statuses: Counter[int] = Counter()
    slots = asyncio.Semaphore(CONCURRENCY)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    columns = (
        TextColumn("replaying"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn("requests"),
        TimeElapsedColumn(),
    )
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60.0) as client:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("replaying", total=plan.total)

            async def one_account(name: str, calls: list[Replayed]) -> None:
                base = {
                    "authorization": f"Bearer {secrets[name]}",
                    "content-type": "application/json",
                }
                for call in calls:
                    headers = {**base, "user-agent": call.user_agent}
                    async with slots:
                        try:
                            response = await client.post(
                                call.path, content=call.body, headers=headers
                            )
                            statuses[response.status_code] += 1
                        except httpx.HTTPError:
                            statuses[0] += 1
                    progress.advance(task)

            await asyncio.gather(*(one_account(n, c) for n, c in plan.calls.items()))
    return statuses
