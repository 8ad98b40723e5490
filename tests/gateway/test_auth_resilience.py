"""Key checks under attack or outage, client addresses behind proxies, state across restarts."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from gateway_harness import Gateway, gateway_settings

from distillguard.gateway import BackgroundServer, build_app
from distillguard.gateway.client_ip import ClientAddress
from distillguard.store import open_store
from distillguard.store.records import AccountStatus

ASK = [{"role": "user", "content": "hello"}]


def _post(gw: Gateway, secret: str, **headers: str) -> httpx.Response:
    return httpx.post(
        gw.url + "/v1/chat/completions",
        json={"model": "sim-large", "messages": ASK},
        headers={"authorization": f"Bearer {secret}", **headers},
    )


def test_an_address_guessing_keys_is_refused_without_checking(
    start_gateway: Callable[..., Gateway],
) -> None:
    gw = start_gateway(auth={"cache_ttl_s": 0, "failures_per_min": 5})
    key_id = gw.secret.split("-")[2]
    statuses = []
    for i in range(8):  # well-formed guesses at a real key id: each would cost a scrypt
        statuses.append(_post(gw, f"sk-dg-{key_id}-guess{i:040d}").status_code)
    assert statuses[:5] == [401] * 5
    refused = _post(gw, f"sk-dg-{key_id}-guess{'9' * 40}")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_failed_keys"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    metrics = httpx.get(gw.url + "/metrics").text
    assert 'distillguard_auth_refused_total{reason="too_many_failures"}' in metrics
    # It is the (address, key id) pair that is throttled: this key's secret, never seen
    # passing here, waits out the minute from this address; any other key is untouched.
    assert _post(gw, gw.secret).status_code == 429
    _, other = gw.new_key()
    assert _post(gw, other).status_code == 200


def test_a_proxy_is_believed_only_when_trusted() -> None:
    trusting = ClientAddress(["10.0.0.0/8"])
    assert trusting.of("10.1.2.3", "198.51.100.7, 10.9.9.9") == "198.51.100.7"
    assert trusting.of("10.1.2.3", "evil, 198.51.100.7") == "198.51.100.7"
    assert trusting.of("203.0.113.1", "198.51.100.7") == "203.0.113.1"  # not a trusted peer
    assert trusting.of("10.1.2.3", "not-an-ip") == "10.1.2.3"
    assert ClientAddress([]).of("10.1.2.3", "198.51.100.7") == "10.1.2.3"


def test_forwarded_addresses_are_recorded_and_throttled_apart(
    start_gateway: Callable[..., Gateway],
) -> None:
    gw = start_gateway(
        auth={"cache_ttl_s": 0, "failures_per_min": 2},
        server={"trusted_proxies": ["127.0.0.1/32"]},
    )
    for i in range(3):  # a repeated bad key is remembered, costs nothing and is not counted
        _post(gw, f"sk-dg-000000000000-bad{i}", **{"x-forwarded-for": "198.51.100.7"})
    bad = "sk-dg-000000000000-bad9"
    assert _post(gw, bad, **{"x-forwarded-for": "198.51.100.7"}).status_code == 429
    assert _post(gw, bad, **{"x-forwarded-for": "203.0.113.9"}).status_code == 401
    assert _post(gw, gw.secret, **{"x-forwarded-for": "198.51.100.7"}).status_code == 200
    assert _post(gw, gw.secret, **{"x-forwarded-for": "203.0.113.9"}).status_code == 200
    gw.stop()
    lines = [
        line
        for f in sorted(gw.recorder.log.folder.glob("events-*.jsonl"))
        for line in f.read_text().splitlines()
    ]
    assert any('"ip":"203.0.113.9"' in line for line in lines)


def test_store_outage_is_a_503_and_cached_keys_keep_working(
    start_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    gw = start_gateway(auth={"cache_ttl_s": 60})
    _, other = gw.new_key()
    assert _post(gw, gw.secret).status_code == 200  # now cached
    db = Path(gw.store.engine.url.database)  # type: ignore[attr-defined]
    gw.store.engine.dispose()  # type: ignore[attr-defined]  # drop pooled connections
    files = [p for p in db.parent.iterdir() if p.name.startswith(db.name)]  # with -wal, -shm
    for f in files:
        shutil.move(f, tmp_path / f.name)
    db.mkdir()  # where the database was, something SQLite cannot open
    try:
        down = _post(gw, other)
        assert down.status_code == 503
        assert down.json()["error"]["code"] == "store_unavailable"
        assert down.headers["retry-after"] == "5"
        with pytest.raises(openai.InternalServerError):
            gw.client(other).chat.completions.create(model="sim-large", messages=ASK)
        assert _post(gw, gw.secret).status_code == 200
    finally:
        db.rmdir()
        for f in files:
            shutil.move(tmp_path / f.name, f)
        gw.store.engine.dispose()  # type: ignore[attr-defined]
    assert _post(gw, other).status_code == 200


def test_detector_state_survives_a_restart(tmp_path: Path) -> None:
    settings = gateway_settings(tmp_path, events={"trust_event_time": True, "save_state_s": 0})
    store = open_store(settings)
    account = store.create_account("probe", tier="open")
    secret = store.create_key(account.id).secret
    store.close()

    def send(server: BackgroundServer, start: int, count: int) -> None:
        client = openai.OpenAI(base_url=server.url + "/v1", api_key=secret, max_retries=0)
        with client:
            for i in range(start, start + count):
                client.chat.completions.create(
                    model="sim-large",
                    messages=[{"role": "user", "content": f"What is {i} plus {i}?"}],
                    logit_bias={str(1000 + i): 100},
                    max_tokens=1,
                    extra_headers={"x-distillguard-event-time": str(1.8e9 + 5 * i)},
                )

    with BackgroundServer(build_app(settings)) as first:
        send(first, 0, 40)
    with BackgroundServer(build_app(settings)) as second:
        analyzer = second.app.state.recorder.analyzer  # type: ignore[attr-defined]
        assert analyzer.tracks[account.id].profile.n == 40  # resumed, not from scratch
        send(second, 40, 40)
        time.sleep(0.3)
    recorder = second.app.state.recorder  # type: ignore[attr-defined]
    assert recorder.analyzer.tracks[account.id].profile.n == 80
    assert account.id in recorder.flagged  # a logit_bias sweep: flagged across the restart


class _Counting:
    """A real store that counts its key checks."""

    def __init__(self, store: Any) -> None:
        self.store, self.checks = store, 0

    def authenticate(self, secret: str, known_hash: str = "") -> Any:
        self.checks += 1
        time.sleep(0.05)  # a scrypt's worth
        return self.store.authenticate(secret, known_hash)


@dataclass
class _Checked:
    """An `Authenticator` over a real store that counts its key checks, and one key."""

    store: Any
    account: Any
    header: str
    counting: _Counting
    auth: Any


def _checked(tmp_path: Path, ttl_s: float) -> _Checked:
    from distillguard.gateway.auth import Authenticator
    from distillguard.gateway.metrics import GatewayMetrics
    from distillguard.settings import AuthSettings

    store = open_store(gateway_settings(tmp_path))
    account = store.create_account("busy", tier="open")
    header = f"Bearer {store.create_key(account.id).secret}"
    counting = _Counting(store)
    auth = Authenticator(counting, AuthSettings(cache_ttl_s=ttl_s), GatewayMetrics())  # type: ignore[arg-type]
    return _Checked(store, account, header, counting, auth)


def test_concurrent_requests_share_one_key_check_and_busy_keys_refresh_ahead(
    tmp_path: Path,
) -> None:
    c = _checked(tmp_path, ttl_s=0.5)

    async def burst() -> None:
        got = await asyncio.gather(*(c.auth.principal(c.header, "10.0.0.1") for _ in range(50)))
        assert {w.account.id for w in got} == {c.account.id}
        assert c.counting.checks == 1  # not 50 scrypt hashes
        # Requests keep coming past the entry's lifetime: refreshed in the background,
        # so none waits for a check again.
        for _ in range(20):
            t0 = time.perf_counter()
            await c.auth.principal(c.header, "10.0.0.1")
            assert time.perf_counter() - t0 < 0.04
            await asyncio.sleep(0.05)
        assert 2 <= c.counting.checks <= 4

    asyncio.run(burst())
    c.store.close()


def test_a_long_expired_entry_is_not_served_while_its_key_is_checked_again(
    tmp_path: Path,
) -> None:
    c = _checked(tmp_path, ttl_s=0.2)

    async def later() -> None:
        await c.auth.principal(c.header, "10.0.0.1")
        # Suspended while the entry idles past its expiry.
        c.store.set_status(c.account.id, AccountStatus.SUSPENDED)
        await asyncio.sleep(0.5)
        t0 = time.perf_counter()
        got = await asyncio.gather(
            *(c.auth.principal(c.header, "10.0.0.1") for _ in range(5)), return_exceptions=True
        )
        assert time.perf_counter() - t0 >= 0.05  # every request waited for the new check
        assert all(getattr(g, "status", None) == 403 for g in got), got  # and saw the suspension
        assert c.counting.checks == 2

    asyncio.run(later())
    c.store.close()
