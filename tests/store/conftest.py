"""One store fixture per backend: every store test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from distillguard.settings import load_settings
from distillguard.store import Store, open_store
from distillguard.store.secrets import KdfCost

FAST = KdfCost(n=2**10)  # tests create many keys; the production cost is 16x this


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'dg.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = open_store(load_settings(overrides={"database_url": database_url}), kdf_cost=FAST)
    yield s
    s.close()
