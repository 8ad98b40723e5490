"""Replay a simulated event log through a real gateway over loopback HTTP, on its clock.

    plan = read_plan(summary.events_path)
    ready = prepare(folder, plan, labels)                # settings, store, an account each
    with BackgroundServer(build_app(ready.settings, store=ready.store)) as s:
        statuses = asyncio.run(replay(s.url, plan, ready.secrets))

Each simulated account gets a gateway account (named after the simulated id, same org) and
one key; the requests go out in the log's order (httpx, at most `CONCURRENCY` in flight,
each account's requests one after another), with the original User-Agent. `distillguard
demo`, the enforcement benchmark and the console's tests replay this way.

The replay speaks for the simulated clients the way a load balancer speaks for real ones:
X-Forwarded-For carries the simulated address (the gateway trusts loopback as a proxy here)
and X-Distillguard-Event-Time the simulated time (`events.trust_event_time`, on only for
replays), so a day of traffic keeps its timing though it takes a minute. The responses are
the gateway's upstream's (the simulated one), not the simulator's.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from distillguard.evaluation.labels import Label
from distillguard.events import parse_ts
from distillguard.gateway.proxy import EVENT_TIME_HEADER
from distillguard.settings import Settings, load_settings
from distillguard.store import Store, open_store

CONCURRENCY = 32  # requests in flight at most
DISPATCHED = CONCURRENCY * 8  # requests sent or waiting for their account's previous one
KEEPALIVE_S = 2.0  # idle seconds before the replay drops a connection (see `replay`)
# No limits: a replay measures detection and the policy, not throttling. Named "demo" as
# the stores `distillguard demo` made and the console tests' settings name it.
REPLAY_TIER = "demo"
PATHS = {"chat.completions": "/v1/chat/completions", "completions": "/v1/completions"}
EVENTS_DIR = "gateway-events"  # the gateway's event log, in the replay's folder


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
    skipped: Counter[str]  # requests to endpoints the gateway does not serve, by endpoint

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
    """A gateway for a replay: SQLite and its event log in `folder`, the simulated upstream."""
    return load_settings(
        overrides={
            **more,
            "database_url": f"sqlite:///{folder / 'gateway.db'}",
            "default_tier": REPLAY_TIER,
            "tiers": {REPLAY_TIER: {}},
            "models": {"*": "simulated"},  # the simulator's model names all go to the simulator
            "upstreams": {"simulated": {"kind": "simulated"}},
            "limits": {"backend": "memory"},
            "server": {"trusted_proxies": ["127.0.0.1/32"]},  # the replay forwards for clients
            # The simulated clock; requests in flight together span minutes of it.
            "events": {
                "dir": str(folder / EVENTS_DIR),
                "trust_event_time": True,
                "reorder_window_s": reorder_window_s,
            },
            "auth": {"cache_ttl_s": 3600.0},  # one scrypt check per key, not per request
            # Callers read the analyzer as the replay goes: detection in this process.
            "pipeline": {"detection": "inline"},
        }
    )


@dataclass(frozen=True, slots=True)
class Prepared:
    """A replay's gateway settings and store, with an account and key per simulated one."""

    settings: Settings
    store: Store
    ids: dict[str, str]  # gateway account id by simulated account id
    secrets: dict[str, str]  # key secret by simulated account id


def prepare(folder: Path, plan: Plan, labels: Mapping[str, Label], **more: Any) -> Prepared:
    """Settings (`more` overrides them) and a store in `folder`, with the plan's accounts."""
    settings = gateway_settings(folder, reorder_window(plan), **more)
    store = open_store(settings)
    ids, secrets = create_accounts(store, plan, labels)
    return Prepared(settings, store, ids, secrets)


def create_accounts(
    store: Store, plan: Plan, labels: Mapping[str, Label]
) -> tuple[dict[str, str], dict[str, str]]:
    """A gateway account and key per simulated account: their ids, and their secrets."""
    ids: dict[str, str] = {}
    secrets: dict[str, str] = {}
    for name in sorted(plan.accounts | set(labels)):
        account = store.create_account(name, tier=REPLAY_TIER, org=plan.orgs.get(name))
        ids[name] = account.id
        secrets[name] = store.create_key(account.id).secret
    return ids, secrets


def write_map(path: Path, ids: Mapping[str, str], labels: Mapping[str, Label]) -> None:
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


def gateway_labels(ids: Mapping[str, str], labels: Mapping[str, Label]) -> dict[str, Label]:
    """The simulated labels under the gateway's account ids, to score its verdicts by."""
    return {
        ids[name]: Label(ids[name], label.extraction, label.campaign, label.kind)
        for name, label in labels.items()
    }


@dataclass(slots=True)
class PolicyEffect:
    """Requests the policy restricted beyond a watermark (or in shadow mode would have),
    and all requests, by side: "extraction" or "benign"."""

    restricted: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    shadow: bool = True  # as the last request the policy looked at says


def policy_effect(events_dir: Path, labels: Mapping[str, Label]) -> PolicyEffect:
    """What the policy did to each request, from the gateway's event log (`labels` by the
    gateway's account ids); an unlabelled account counts as benign."""
    out = PolicyEffect()
    for log in sorted(events_dir.glob("events-*.jsonl")):
        for line in log.read_bytes().splitlines():
            event = orjson.loads(line)
            label = labels.get(event["account"])
            side = "extraction" if label is not None and label.extraction else "benign"
            out.total[side] += 1
            enforced = event.get("enforcement")
            if enforced is None:
                continue
            out.shadow = enforced["shadow"]
            if set(enforced["changes"]) - {"watermark"}:
                out.restricted[side] += 1
    return out


def _nothing() -> None:
    pass


def _headers(call: Replayed, secret: str) -> dict[str, str]:
    headers = {
        "authorization": f"Bearer {secret}",
        "content-type": "application/json",
        "user-agent": call.user_agent,
        EVENT_TIME_HEADER: repr(call.ts),
    }
    if call.ip:
        headers["x-forwarded-for"] = call.ip
    return headers


async def replay(
    url: str, plan: Plan, secrets: Mapping[str, str], answered: Callable[[], None] = _nothing
) -> Counter[int]:
    """Send every planned request in log order, an account's one after another; how many
    got each status (0: no answer). `answered` is called as each one is answered."""
    statuses: Counter[int] = Counter()
    slots = asyncio.Semaphore(CONCURRENCY)
    turns = {name: asyncio.Lock() for name in plan.accounts}  # FIFO: keeps each account's order
    # Idle connections are let go before the server's keep-alive timeout (uvicorn's 5 s, as
    # httpx's default expiry): at equal timeouts a request sent on a connection the server is
    # closing gets no answer, and a replay must send every request exactly once.
    limits = httpx.Limits(
        max_connections=CONCURRENCY,
        max_keepalive_connections=CONCURRENCY,
        keepalive_expiry=KEEPALIVE_S,
    )
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60.0) as client:

        async def send(i: int, call: Replayed) -> None:
            headers = _headers(call, secrets[call.account])
            try:
                async with turns[call.account], slots:
                    response = await client.post(call.path, content=call.body, headers=headers)
                statuses[response.status_code] += 1
            except httpx.HTTPError:
                statuses[0] += 1
            finally:
                del pending[i]
                done.set()
                answered()

        # Request i goes out only once every request before i - DISPATCHED was answered,
        # so none finishes more than DISPATCHED requests late (see `reorder_window`).
        pending: dict[int, None] = {}  # sent and unanswered, oldest first
        done = asyncio.Event()
        sent: set[asyncio.Task[None]] = set()
        for i, call in enumerate(plan.calls):
            while pending and next(iter(pending)) <= i - DISPATCHED:
                done.clear()
                await done.wait()
            pending[i] = None
            t = asyncio.create_task(send(i, call))
            sent.add(t)
            t.add_done_callback(sent.discard)
        while sent:
            await asyncio.gather(*list(sent))
    return statuses
