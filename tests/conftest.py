"""Fixtures shared across test packages: valid events, files of event lines, services."""

from __future__ import annotations

import copy
import gzip
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import orjson
import pytest

_EVENT: dict[str, Any] = {
    "ts": "2026-11-26T19:00:00.123Z",
    "account": "acct_7f3a",
    "key": "key_12",
    "ip": "203.0.113.9",
    "request": {
        "model": "m-large",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Explain step by step why the sky is blue."},
        ],
        "temperature": 0.7,
        "max_tokens": 1024,
    },
    "response": {
        "choices": [
            {"message": {"role": "assistant", "content": "Rayleigh..."}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 31, "completion_tokens": 412},
    },
    "status": 200,
    "latency_ms": 5230,
}


@pytest.fixture
def make_event() -> Callable[..., dict[str, Any]]:
    """Build a valid event dict (the spec's example); keyword arguments replace top-level fields."""

    def make(**fields: Any) -> dict[str, Any]:
        event = copy.deepcopy(_EVENT)
        event.update(fields)
        return event

    return make


Line = dict[str, Any] | str | bytes


@pytest.fixture
def write_lines(tmp_path: Path) -> Callable[..., Path]:
    """Write lines (dicts become JSON) to tmp_path/NAME, gzip-compressed if NAME ends in .gz."""

    def write(lines: Iterable[Line], name: str = "events.jsonl") -> Path:
        chunks = []
        for line in lines:
            if isinstance(line, dict):
                line = orjson.dumps(line)
            chunks.append((line.encode() if isinstance(line, str) else line) + b"\n")
        data = b"".join(chunks)
        path = tmp_path / name
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        return path

    return write


# -- services: PostgreSQL and Redis on this machine; skipped when absent unless required


def service_missing(what: str, why: str) -> NoReturn:
    """Skip a test whose service is absent, or fail it when DISTILLGUARD_REQUIRE_SERVICES=1."""
    if os.environ.get("DISTILLGUARD_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is required (DISTILLGUARD_REQUIRE_SERVICES=1) but {why}")
    pytest.skip(f"{what} not reachable ({why}); set DISTILLGUARD_REQUIRE_SERVICES=1 to fail")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own for this test run on the local PostgreSQL, dropped afterwards."""
    import psycopg

    admin = os.environ.get(
        "DISTILLGUARD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as err:
        service_missing("PostgreSQL", f"{admin}: {str(err).strip().splitlines()[0]}")
    name = f"dg_test_{secrets.token_hex(6)}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        try:
            base = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
            yield f"{base}/{name}"
        finally:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    url = os.environ.get("DISTILLGUARD_TEST_REDIS", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as err:
        service_missing("Redis", f"{url}: {err}")
    finally:
        client.close()
    return url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards."""
    import redis

    prefix = f"dgtest-{secrets.token_hex(6)}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
