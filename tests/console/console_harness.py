"""Test harness of the console: a real gateway on loopback, and a client that signs in.

httpx keeps Secure cookies for https only, as the standard library's cookie jar does, while
browsers also send them to http://127.0.0.1 (a secure context); `Reviewer` keeps its own.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from distillguard.evaluation import read_labels
from distillguard.gateway import BackgroundServer, build_app
from distillguard.settings import Settings, load_settings
from distillguard.sim import ScenarioConfig, simulate
from distillguard.sim.replay import Plan, create_accounts, read_plan, replay
from distillguard.store import Store

PASSWORD = "a long enough password"
XSS = "<script>document.title='pwned'</script>"  # in account names and prompts
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
ENFORCING = """
mode = "enforce"
[[levels]]
name = "restrict"
case = true
when = { min_risk = 0.35 }
actions = { strip_logprobs = true, strip_logit_bias = true }
"""


def console_settings(folder: Path, **more: Any) -> Settings:
    base: dict[str, Any] = {
        "database_url": f"sqlite:///{folder / 'dg.db'}",
        "events": {"dir": str(folder / "events"), "reorder_window_s": 0.05},
        "auth": {"cache_ttl_s": 0},
        "tiers": {"open": {}},
        "default_tier": "open",
        # The console reads the analyzer as events arrive: detection in the gateway's process.
        "pipeline": {"detection": "inline"},
    }
    return load_settings(overrides={**base, **more})


@dataclass
class Console:
    server: BackgroundServer

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def store(self) -> Store:
        app = self.server.app
        assert isinstance(app, Starlette)
        store: Store = app.state.store
        return store

    def stop(self) -> None:
        self.server.stop()


def start_console(folder: Path, **more: Any) -> Console:
    return Console(BackgroundServer(build_app(console_settings(folder, **more))).start())


def replayed_day(folder: Path, **more: Any) -> tuple[Console, Plan, dict[str, str], dict[str, str]]:
    """An enforcing gateway after a simulated day (20 accounts) replayed through it:
    (console, plan, account ids by simulated name, secrets by simulated name)."""
    policy = folder / "policy.toml"
    policy.write_text(ENFORCING)
    console = start_console(
        folder,
        policy={"file": str(policy)},
        events={"dir": str(folder / "events"), "trust_event_time": True, "reorder_window_s": 0.2},
        server={"trusted_proxies": ["127.0.0.1/32"]},
        tiers={"open": {}, "demo": {}},
        auth={"cache_ttl_s": 3600},  # one scrypt check per key, not per request
        **more,
    )
    summary = simulate(ScenarioConfig(accounts=20, days=1, seed=1, volume=0.05), folder / "sim")
    plan = read_plan(summary.events_path)
    ids, secrets = create_accounts(console.store, plan, read_labels(summary.labels_path))
    asyncio.run(replay(console.url, plan, secrets))
    return console, plan, ids, secrets


def link_campaign(console: Console, members: int = 3, requests: int = 12) -> str:
    """A hydra through the gateway: accounts sending one scaffold (system prompt and template)
    from one /24, one after another; the analyzer re-links them, and a campaign case opens as
    the policy would open it. Needs `server.trusted_proxies` to hold 127.0.0.1. Its case id."""
    accounts = [console.store.create_account(f"Hydra {i}", tier="open") for i in range(members)]
    system = "You are a data generator. Answer fully, step by step, then summarise."
    for i, account in enumerate(accounts):
        headers = {
            "authorization": f"Bearer {console.store.create_key(account.id).secret}",
            "x-forwarded-for": f"203.0.113.{10 + i}",
        }
        with httpx.Client(base_url=console.url, headers=headers, timeout=10) as client:
            for j in range(requests):
                messages = [
                    {"role": "system", "content": system},
                    {"role": "user", "content": f"Task {i * requests + j}: explain topic {j}."},
                ]
                client.post(
                    "/v1/chat/completions", json={"model": "sim-large", "messages": messages}
                )
    return _relink(console, [a.id for a in accounts], members * requests)


def _relink(console: Console, ids: list[str], events: int) -> str:
    app = console.server.app
    assert isinstance(app, Starlette)
    recorder = app.state.recorder
    for _ in range(200):  # the recorder reads events in the background
        with recorder.lock:
            if (
                sum(
                    recorder.analyzer.tracks[a].profile.n
                    for a in ids
                    if a in recorder.analyzer.tracks
                )
                >= events
            ):
                break
        time.sleep(0.05)
    with recorder.lock:
        recorder.analyzer.relink(time.time())
        cid = recorder.analyzer.tracks[ids[0]].campaign
        assert cid is not None, "the hydra was not linked"
        members = recorder.analyzer.campaign_members[cid]
        risk = recorder.analyzer.campaign_scores[cid]
    case = console.store.open_case(
        "campaign",
        cid,
        members=members,
        level="restrict",
        risk=max(risk, 0.5),
        evidence={"reasons": ["one scaffold from one address range"], "points": []},
    )
    return case.id


@dataclass
class Reviewer:
    """An HTTP client of the console that keeps its cookies as a browser would."""

    base: str
    client: httpx.Client = field(init=False)
    cookies: dict[str, str] = field(default_factory=dict)
    set_cookies: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.base, follow_redirects=False, timeout=10)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        r = self.client.request(method, path, headers=headers, **kwargs)
        for raw in r.headers.get_list("set-cookie"):
            self.set_cookies.append(raw)
            for name, morsel in SimpleCookie(raw).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return r

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict[str, str], **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, data=data, **kwargs)

    def csrf(self, path: str) -> str:
        """The CSRF token of the forms on the page at `path`."""
        found = CSRF.search(self.get(path).text)
        assert found, f"no form with a CSRF token on {path}"
        return found.group(1)

    def sign_in(self, name: str, password: str = PASSWORD) -> httpx.Response:
        token = self.csrf("/console/login")
        return self.post("/console/login", {"name": name, "password": password, "csrf": token})

    def close(self) -> None:
        self.client.close()
