"""Test harness: a real gateway on a loopback port (uvicorn in a thread) and openai clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
from starlette.applications import Starlette

from distillguard.gateway import BackgroundServer
from distillguard.gateway.recorder import EventRecorder
from distillguard.settings import Settings, load_settings
from distillguard.store import Account, Store

TIERS = {
    "tiny": {"requests_per_min": 2},
    "trial": {"allowed_params": ["temperature", "max_tokens"]},
    "open": {},
}


def merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        out[k] = merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


@dataclass
class Gateway:
    server: BackgroundServer
    account: Account
    secret: str
    clients: list[openai.OpenAI] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def app(self) -> Starlette:
        app = self.server.app
        assert isinstance(app, Starlette)
        return app

    @property
    def store(self) -> Store:
        store: Store = self.app.state.store
        return store

    @property
    def recorder(self) -> EventRecorder:
        recorder: EventRecorder = self.app.state.recorder
        return recorder

    def client(self, secret: str | None = None, **kwargs: Any) -> openai.OpenAI:
        """An openai client of this gateway (no retries), closed when the gateway stops."""
        client = openai.OpenAI(
            base_url=self.url + "/v1",
            api_key=secret if secret is not None else self.secret,
            max_retries=0,
            timeout=kwargs.pop("timeout", 10),
            **kwargs,
        )
        self.clients.append(client)
        return client

    def new_key(self, tier: str = "open", name: str = "someone") -> tuple[Account, str]:
        account = self.store.create_account(name, tier=tier)
        return account, self.store.create_key(account.id).secret

    def stop(self) -> None:
        for client in self.clients:
            client.close()
        self.server.stop()


def gateway_settings(folder: Path, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "database_url": f"sqlite:///{folder / 'dg.db'}",
        "events": {"dir": str(folder / "events"), "reorder_window_s": 0.05},
        "auth": {"cache_ttl_s": 0},
        "tiers": TIERS,
        "pipeline": {"detection": "inline"},
    }
    return load_settings(overrides=merged(base, overrides))
