"""Two gateway replicas on one PostgreSQL store: a Redis limit holds across them, memory doesn't."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from gateway_harness import gateway_settings

from distillguard.gateway import BackgroundServer, build_app

ASK = [{"role": "user", "content": "Translate 'good morning' into French."}]


@pytest.fixture
def replicas(tmp_path: Path, postgres_url: str) -> Iterator[Any]:
    servers: list[BackgroundServer] = []
    clients: list[openai.OpenAI] = []

    def start(limits: dict[str, str]) -> list[openai.OpenAI]:
        first = None
        for i in range(2):
            settings = gateway_settings(
                tmp_path / f"{limits['backend']}{i}", database_url=postgres_url, limits=limits
            )
            server = BackgroundServer(build_app(settings)).start()
            servers.append(server)
            first = first or server
        store = first.app.state.store  # type: ignore[union-attr]
        account = store.create_account("replicated", tier="tiny")  # 2 requests a minute
        secret = store.create_key(account.id).secret
        for server in servers[-2:]:
            clients.append(
                openai.OpenAI(base_url=server.url + "/v1", api_key=secret, max_retries=0)
            )
        return clients[-2:]

    yield start
    for client in clients:
        client.close()
    for server in servers:
        server.stop()


def _answered(clients: list[openai.OpenAI], rounds: int) -> int:
    ok = 0
    for _ in range(rounds):
        for client in clients:
            try:
                client.chat.completions.create(model="sim-small", messages=ASK)
                ok += 1
            except openai.RateLimitError as err:
                assert err.response.headers["retry-after"]
    return ok


def test_redis_limit_holds_across_replicas(
    replicas: Any, redis_url: str, redis_prefix: str
) -> None:
    clients = replicas({"backend": "redis", "redis_url": redis_url, "key_prefix": redis_prefix})
    assert _answered(clients, rounds=3) == 2  # the tier's 2 a minute, whichever replica


def test_memory_limits_multiply_by_replicas(replicas: Any) -> None:
    clients = replicas({"backend": "memory"})
    assert _answered(clients, rounds=3) == 4  # why Redis is needed with several replicas
