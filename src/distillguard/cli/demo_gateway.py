"""`distillguard demo`: the simulated traffic replayed through a real gateway, which detects.

The gateway runs in this process (`BackgroundServer` on 127.0.0.1, a port the system picks)
with the simulated upstream and a SQLite store in the demo's folder. Each simulated account
gets a gateway account (named after the simulated id, same org) and one key; the simulated
requests go through the gateway over loopback HTTP in the log's order (httpx, at most
`CONCURRENCY` in flight, each account's requests one after another), with the original
User-Agent. The gateway's inline detection scores them as they come; its verdicts are then
printed and scored against the simulated labels, translated to the gateway's account ids.

The replay speaks for the simulated clients the way a load balancer speaks for real ones:
X-Forwarded-For carries the simulated address (the gateway trusts loopback as a proxy here)
and X-Distillguard-Event-Time the simulated time (`events.trust_event_time`, on only for
replays), so a day of traffic keeps its timing though it takes a minute. The responses are
the simulated upstream's, not the simulator's.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from distillguard.cli.demo_cmd import RateColumn, simulate_traffic
from distillguard.cli.demo_report import (
    FlagPrinter,
    level_table,
    log_note,
    print_console_login,
    printing_flags,
    store_note,
)
from distillguard.cli.detect_cmd import console, print_evaluation, print_summary, write_results
from distillguard.evaluation import evaluate, read_labels, read_scores
from distillguard.evaluation.labels import Label
from distillguard.events import parse_ts
from distillguard.gateway import BackgroundServer, build_app
from distillguard.gateway.enforcement import Enforcement
from distillguard.gateway.proxy import EVENT_TIME_HEADER
from distillguard.settings import Settings, load_settings
from distillguard.sim import ScenarioConfig
from distillguard.store import Store, open_store

# Requests through HTTP cost far more than offline analysis: at 5/6 of the offline demo's
# volume the default 60 accounts make ~40k requests, about a minute on 2 cores.
VOLUME = 0.5
CONCURRENCY = 32  # requests in flight at most
DISPATCHED = CONCURRENCY * 8  # requests sent or waiting for their account's previous one
DEMO_TIER = "demo"  # no limits: the demo measures detection, not throttling
PATHS = {"chat.completions": "/v1/chat/completions", "completions": "/v1/completions"}


@dataclass(frozen=True, slots=True)
class Replayed:
    """One simulated request as it will be sent: who, path, JSON body and its headers."""

    account: str
    path: str
    body: bytes
    user_agent: str
    ts: float
    ip: str | None


@dataclass(slots=True)
class Plan:
    """The simulated requests in log order, and each account's org."""

    calls: list[Replayed]
    orgs: dict[str, str | None]
    skipped: Counter[str]

    @property
    def total(self) -> int:
        return len(self.calls)

    @property
    def accounts(self) -> set[str]:
        return set(self.orgs)


def read_plan(events: Path) -> Plan:
    """The simulated log's requests the gateway serves, in log order."""
    plan = Plan([], {}, Counter())
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
            plan.calls.append(
                Replayed(
                    account,
                    path,
                    orjson.dumps(event["request"]),
                    event.get("user_agent") or "",
                    parse_ts(event["ts"]),
                    event.get("ip"),
                )
            )
    return plan


def reorder_window(plan: Plan) -> float:
    """Simulated seconds that `DISPATCHED` consecutive requests can span.

    A request is sent at most `DISPATCHED` requests after the newest one sent (it may wait
    for its account's previous one), so it finishes that late at most on the simulated clock.
    """
    ts = [c.ts for c in plan.calls]
    spans = (ts[i + DISPATCHED] - ts[i] for i in range(len(ts) - DISPATCHED))
    return max(60.0, max(spans, default=0.0) * 1.5)


def gateway_settings(folder: Path, reorder_window_s: float = 900.0, **more: Any) -> Settings:
    return load_settings(
        overrides={
            **more,
            "database_url": f"sqlite:///{folder / 'gateway.db'}",
            "default_tier": DEMO_TIER,
            "tiers": {DEMO_TIER: {}},
            "models": {"*": "simulated"},  # the simulator's model names all go to the simulator
            "upstreams": {"simulated": {"kind": "simulated"}},
            "limits": {"backend": "memory"},
            "server": {"trusted_proxies": ["127.0.0.1/32"]},  # the replay forwards for clients
            # The simulated clock; requests in flight together span minutes of it.
            "events": {
                "dir": str(folder / "gateway-events"),
                "trust_event_time": True,
                "reorder_window_s": reorder_window_s,
            },
            "auth": {"cache_ttl_s": 3600.0},  # one scrypt check per key, not per request
            # The demo reads the analyzer as the replay goes: detection in this process.
            "pipeline": {"detection": "inline"},
        }
    )


def run_gateway_demo(
    folder: Path, config: ScenarioConfig, kept: bool = False, serve: bool = False
) -> None:
    """Simulate, replay through a gateway, analyze its log, evaluate; print as the offline demo.

    `kept`: the folder outlives the demo (--out), so its files may be pointed to. `serve`:
    then serve the gateway again on the same store, with a reviewer for the console, until
    Ctrl-C (--keep-serving).
    """
    summary = simulate_traffic(folder, config)
    labels = read_labels(summary.labels_path)
    plan = read_plan(summary.events_path)
    settings = gateway_settings(folder, reorder_window(plan))
    store = open_store(settings)
    ids, secrets = create_accounts(store, plan, labels)
    write_map(folder / "gateway-accounts.jsonl", ids, labels)
    kinds = {name: label.kind for name, label in labels.items()}
    notes = {gid: f"simulated {name}, {kinds.get(name) or '?'}" for name, gid in ids.items()}

    app = build_app(settings, store=store)
    recorder = app.state.recorder
    # Flags are printed as they happen, the last ones while the gateway drains at shutdown.
    printer = FlagPrinter(console, recorder.analyzer, notes)
    with printing_flags(printer), BackgroundServer(app) as s:
        console.print(
            f"gateway on {s.url} (simulated upstream, {store_note(folder, kept)}): "
            f"{len(ids)} accounts with one key each",
            highlight=False,
            soft_wrap=True,
        )
        start = time.perf_counter()
        statuses = asyncio.run(replay(s.url, plan, secrets))
        took = time.perf_counter() - start
    print_replay(plan, statuses, took, recorder.log.written, recorder.dropped)
    if printer.flagged:
        # The gateway flags an account the first time its risk reaches the threshold; the
        # summary below counts those still over it at the end, so the two numbers differ.
        console.print(
            f"{printer.flagged} account{'s' if printer.flagged > 1 else ''} reached the flag "
            "threshold during the replay; the summary below counts those still flagged at the end",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"the gateway detected inline on the simulated clock ({summary.days} simulated "
        f"day{'s' if summary.days > 1 else ''} in {took:.0f} s) and the simulated client "
        f"addresses (X-Forwarded-For from a trusted loopback proxy); {log_note(folder, kept)}",
        style="dim",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    accounts, campaigns = recorder.analyzer.results()
    write_results(folder, accounts, campaigns)
    print_summary(accounts, campaigns, notes=notes)
    translated = {
        ids[name]: Label(ids[name], label.extraction, label.campaign, label.kind)
        for name, label in labels.items()
    }
    evaluation = evaluate(read_scores(folder), translated)
    print_evaluation(evaluation)
    (folder / "evaluation.json").write_bytes(evaluation.to_json())
    print_policy(folder, translated, store, app.state.enforcement)
    if serve:
        serve_until_interrupted(settings, store)


def _forever() -> None:
    while True:
        time.sleep(3600)


def serve_until_interrupted(
    settings: Settings, store: Store, wait: Callable[[], None] = _forever
) -> None:
    """A fresh gateway on the demo's store (it restores the detector state the first one
    saved), so the console shows the replay's cases, risks and levels."""
    with BackgroundServer(build_app(settings, store=store)) as s:
        print_console_login(console, s.url, store)
        try:
            wait()
        except KeyboardInterrupt:
            console.print("gateway stopped", highlight=False)


def print_replay(
    plan: Plan, statuses: Counter[int], took: float, written: int, dropped: int
) -> None:
    shown = ", ".join(f"{code or 'failed'}: {n:,}" for code, n in sorted(statuses.items()))
    console.print(
        f"replayed {plan.total:,} requests in {took:.1f} s ({plan.total / max(took, 1e-9):,.0f}/s; "
        f"{shown}); gateway recorded {written:,} events, dropped {dropped}",
        highlight=False,
        soft_wrap=True,
    )
    if plan.skipped:
        skipped = ", ".join(f"{n:,} {endpoint}" for endpoint, n in plan.skipped.most_common())
        console.print(f"skipped requests to endpoints the gateway does not serve: {skipped}")


def print_policy(
    folder: Path, labels: dict[str, Label], store: Store, enforcement: Enforcement
) -> None:
    """What the policy (shadow mode by default) did or would have done, by label."""
    changed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    shadow = True
    for log in sorted((folder / "gateway-events").glob("events-*.jsonl")):
        for line in log.read_bytes().splitlines():
            event = orjson.loads(line)
            label = labels.get(event["account"])
            side = "extraction" if label is not None and label.extraction else "benign"
            total[side] += 1
            enforced = event.get("enforcement")
            if enforced is None:
                continue
            shadow = enforced["shadow"]
            if set(enforced["changes"]) - {"watermark"}:
                changed[side] += 1
    cases = store.list_cases(None, 10_000)
    mode = "shadow mode: nothing was changed" if shadow else "enforcing"
    console.print(
        f"policy ({mode}): {changed['extraction']:,} of {total['extraction']:,} extraction "
        f"requests and {changed['benign']:,} of {total['benign']:,} benign requests "
        f"{'would have been ' if shadow else ''}restricted beyond a watermark; "
        f"{len(cases)} case(s) opened for review",
        highlight=False,
        soft_wrap=True,
    )
    levels = {a: enforcement.enforcer.decision(a).level for a in labels}
    console.print(level_table(enforcement.policy, levels, labels, labels))


def create_accounts(
    store: Store, plan: Plan, labels: dict[str, Label]
) -> tuple[dict[str, str], dict[str, str]]:
    """A gateway account and key per simulated account: their ids, and their secrets."""
    ids: dict[str, str] = {}
    secrets: dict[str, str] = {}
    for name in sorted(plan.accounts | set(labels)):
        account = store.create_account(name, tier=DEMO_TIER, org=plan.orgs.get(name))
        ids[name] = account.id
        secrets[name] = store.create_key(account.id).secret
    return ids, secrets


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
    """Send every planned request in log order; an account's one after another."""
    statuses: Counter[int] = Counter()
    slots = asyncio.Semaphore(CONCURRENCY)
    turns = {name: asyncio.Lock() for name in plan.accounts}  # FIFO: keeps each account's order
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

            async def send(i: int, call: Replayed) -> None:
                headers = {
                    "authorization": f"Bearer {secrets[call.account]}",
                    "content-type": "application/json",
                    "user-agent": call.user_agent,
                    EVENT_TIME_HEADER: repr(call.ts),
                }
                if call.ip:
                    headers["x-forwarded-for"] = call.ip
                try:
                    async with turns[call.account], slots:
                        response = await client.post(call.path, content=call.body, headers=headers)
                    statuses[response.status_code] += 1
                except httpx.HTTPError:
                    statuses[0] += 1
                finally:
                    del pending[i]
                    answered.set()
                    progress.advance(task)

            # Request i goes out only once every request before i - DISPATCHED was answered,
            # so none finishes more than DISPATCHED requests late (see `reorder_window`).
            pending: dict[int, None] = {}  # sent and unanswered, oldest first
            answered = asyncio.Event()
            sent: set[asyncio.Task[None]] = set()
            for i, call in enumerate(plan.calls):
                while pending and next(iter(pending)) <= i - DISPATCHED:
                    answered.clear()
                    await answered.wait()
                pending[i] = None
                t = asyncio.create_task(send(i, call))
                sent.add(t)
                t.add_done_callback(sent.discard)
            while sent:
                await asyncio.gather(*list(sent))
    return statuses
