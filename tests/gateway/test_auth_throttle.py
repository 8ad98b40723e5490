"""Failed-key throttling per (address, key id): a flood from one address blocks no other key."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway_harness import Gateway, gateway_settings

from distillguard.gateway.auth import Authenticator
from distillguard.gateway.failures import Lru
from distillguard.gateway.metrics import GatewayMetrics
from distillguard.settings import AuthSettings
from distillguard.store import open_store

ASK = [{"role": "user", "content": "hello"}]
LB = {"x-forwarded-for": "198.51.100.7"}  # every client, as a load balancer forwards them


def _post(gw: Gateway, secret: str, **headers: str) -> httpx.Response:
    return httpx.post(
        gw.url + "/v1/chat/completions",
        json={"model": "sim-large", "messages": ASK},
        headers={"authorization": f"Bearer {secret}", **headers},
    )


def _wrong(secret: str, i: int) -> str:
    """The same key id with another secret."""
    return secret.rsplit("-", 1)[0] + f"-wrong{i:040d}"


@pytest.fixture
def lb_gateway(start_gateway: Callable[..., Gateway]) -> Gateway:
    return start_gateway(
        auth={"cache_ttl_s": 0, "failures_per_min": 3},
        server={"trusted_proxies": ["127.0.0.1/32"]},
    )


def test_a_flood_of_wrong_secrets_never_refuses_another_keys_valid_secret(
    lb_gateway: Gateway,
) -> None:
    gw = lb_gateway
    _, victim = gw.new_key(name="victim")
    _, bystander = gw.new_key(name="bystander")
    assert _post(gw, victim, **LB).status_code == 200  # it has passed here before
    codes = [_post(gw, _wrong(victim, i), **LB).status_code for i in range(10)]
    assert codes[:3] == [401] * 3 and set(codes[3:]) == {429}
    # Neither a key never seen here (not cached: cache_ttl_s = 0) nor the flooded key itself.
    assert _post(gw, bystander, **LB).status_code == 200
    assert _post(gw, gw.secret, **LB).status_code == 200
    assert _post(gw, victim, **LB).status_code == 200


def test_wrong_secret_message_names_the_key_id_not_that_no_key_exists(
    lb_gateway: Gateway,
) -> None:
    gw = lb_gateway
    key_id = "key_" + gw.secret.split("-")[2]
    message = _post(gw, _wrong(gw.secret, 0)).json()["error"]["message"]
    assert f"the secret is wrong for key id {key_id}" in message
    assert "no such key" not in message and gw.account.id not in message
    unknown = _post(gw, "sk-dg-000000000000-" + "x" * 43).json()["error"]["message"]
    assert "no key has the id key_000000000000" in unknown


def test_sprayed_unknown_ids_and_malformed_keys_block_no_real_key(lb_gateway: Gateway) -> None:
    gw = lb_gateway
    _, fresh = gw.new_key(name="fresh")  # never presented before the spray
    sprayed = [
        _post(gw, f"sk-dg-{secrets.token_hex(6)}-{'x' * 43}", **LB).status_code for _ in range(8)
    ]
    assert sprayed[:3] == [401] * 3 and set(sprayed[3:]) == {429}  # past the limit: back off
    malformed = [_post(gw, f"not-a-key-{i}", **LB).status_code for i in range(6)]
    assert malformed[:3] == [401] * 3 and set(malformed[3:]) == {429}
    refused = _post(gw, "not-a-key-again", **LB)
    assert refused.headers["retry-after"] and "malformed" in refused.json()["error"]["message"]
    assert _post(gw, fresh, **LB).status_code == 200
    assert _post(gw, gw.secret, **LB).status_code == 200


class _Counting:
    """A real store that counts its key checks."""

    def __init__(self, store: Any) -> None:
        self.store, self.checks = store, 0

    def authenticate(self, secret: str, known_hash: str = "") -> Any:
        self.checks += 1
        return self.store.authenticate(secret, known_hash)


def test_throttled_pairs_cost_no_check_and_a_full_table_drops_only_the_oldest(
    tmp_path: Path,
) -> None:
    store = open_store(gateway_settings(tmp_path))
    account = store.create_account("t", tier="open")
    secrets_ = [store.create_key(account.id).secret for _ in range(3)]
    counting = _Counting(store)
    auth = Authenticator(
        counting,  # type: ignore[arg-type]
        AuthSettings(cache_ttl_s=0, failures_per_min=2),
        GatewayMetrics(),
        max_entries=4,
    )

    tries = iter(range(1000))  # every guess a new one: a repeated guess is remembered

    async def statuses(secret: str, ip: str, n: int) -> list[int]:
        out = []
        for _ in range(n):
            try:
                await auth.principal(f"Bearer {_wrong(secret, next(tries))}", ip)
                out.append(200)
            except Exception as err:  # an ApiError
                out.append(getattr(err, "status", 0))
        return out

    async def run() -> None:
        assert await statuses(secrets_[0], "10.0.0.1", 4) == [401, 401, 429, 429]
        assert counting.checks == 2  # the refused ones were not hashed
        # Three other pairs fill the table (4 entries): the oldest goes, not all of them.
        for ip in ("10.0.0.2", "10.0.0.3"):
            await statuses(secrets_[1], ip, 1)
        assert await statuses(secrets_[0], "10.0.0.1", 1) == [429]  # still counted
        for ip in ("10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7"):
            await statuses(secrets_[2], ip, 1)
        assert await statuses(secrets_[0], "10.0.0.1", 1) == [401]  # evicted at last, alone

    asyncio.run(run())
    store.close()


def test_lru_evicts_the_least_recently_used_one_at_a_time() -> None:
    lru: Lru[str, int] = Lru(3)
    for k, v in (("a", 1), ("b", 2), ("c", 3)):
        lru.put(k, v)
    assert lru.touch("a") == 1  # now the newest
    lru.put("d", 4)
    assert list(lru) == ["c", "a", "d"]
    assert lru.touch("b") is None and len(lru) == 3
