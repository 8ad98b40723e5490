"""Fixtures of the gateway tests: gateways started per test, or one shared per module."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from gateway_harness import Gateway, gateway_settings

from distillguard.gateway import BackgroundServer, build_app
from distillguard.store import Store


@pytest.fixture
def start_gateway(tmp_path: Path) -> Iterator[Callable[..., Gateway]]:
    """Start gateways (each with its own folder); all are stopped after the test."""
    started: list[Gateway] = []

    def start(tier: str = "open", **overrides: Any) -> Gateway:
        folder = tmp_path / f"gw{len(started)}"
        server = BackgroundServer(build_app(gateway_settings(folder, **overrides))).start()
        store: Store = server.app.state.store  # type: ignore[attr-defined]
        account = store.create_account("tester", tier=tier)
        gw = Gateway(server, account, store.create_key(account.id).secret)
        started.append(gw)
        return gw

    yield start
    for gw in started:
        gw.stop()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """One gateway shared by a module's tests that only read from it."""
    folder = tmp_path_factory.mktemp("gateway")
    server = BackgroundServer(build_app(gateway_settings(folder))).start()
    store: Store = server.app.state.store  # type: ignore[attr-defined]
    account = store.create_account("shared", tier="open")
    gw = Gateway(server, account, store.create_key(account.id).secret)
    yield gw
    gw.stop()
