"""Fixtures of the pipeline tests: the NATS JetStream server on this machine."""

from __future__ import annotations

import asyncio
import os
from typing import NoReturn

import nats
import pytest

_URL = os.environ.get("DISTILLGUARD_TEST_NATS", "nats://127.0.0.1:4222")


def _nats_missing(why: str) -> NoReturn:
    # tests/conftest.py's service_missing, restated: that module cannot be imported by name
    # (pytest rebinds "conftest" to each folder's own as it collects).
    if os.environ.get("DISTILLGUARD_REQUIRE_SERVICES") == "1":
        pytest.fail(f"NATS JetStream is required (DISTILLGUARD_REQUIRE_SERVICES=1) but {why}")
    pytest.skip(
        f"NATS JetStream not reachable ({why}); set DISTILLGUARD_REQUIRE_SERVICES=1 to fail"
    )


async def _quiet(err: Exception) -> None:
    pass  # the probe reports its own failure


async def _probe(url: str) -> None:
    # Bounded by wait_for: the client retries a first connect internally, even without
    # allow_reconnect, for as long as it would reconnect (two minutes).
    client = await asyncio.wait_for(
        nats.connect(url, allow_reconnect=False, connect_timeout=2, error_cb=_quiet), 3
    )
    try:
        await client.jetstream(timeout=2).account_info()  # fails when JetStream is off
    finally:
        await client.close()


@pytest.fixture(scope="module")
def nats_url() -> str:
    try:
        asyncio.run(_probe(_URL))
    except TimeoutError:
        _nats_missing(f"{_URL}: no connection within 3 s")
    except Exception as err:
        _nats_missing(f"{_URL}: {type(err).__name__}: {err}")
    return _URL
