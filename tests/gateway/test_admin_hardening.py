"""The admin API under abuse: wrong tokens throttled, bad parameters and values named in a 400,
and store errors that never show the database URL, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from gateway_harness import Gateway

from distillguard.gateway.admin import ADMIN_FAILURES_PER_MIN

TOKEN = "admin-token-0123456789abcdef"
AUTH = {"authorization": f"Bearer {TOKEN}"}


def _admin(start: Callable[..., Gateway], **overrides: object) -> tuple[Gateway, httpx.Client]:
    gw = start(admin={"token": TOKEN}, server={"trusted_proxies": ["127.0.0.1/32"]}, **overrides)
    client = httpx.Client(base_url=gw.url, headers=AUTH)
    gw.clients.append(client)  # type: ignore[arg-type]  # closed with the gateway
    return gw, client


def test_wrong_admin_tokens_are_throttled_per_address(
    start_gateway: Callable[..., Gateway],
) -> None:
    _, client = _admin(start_gateway)
    attacker = {"x-forwarded-for": "198.51.100.7"}
    wrong = {"authorization": "Bearer wrong-token-0123456789", **attacker}
    codes = [client.get("/admin/tiers", headers=wrong).status_code for _ in range(12)]
    assert codes[:ADMIN_FAILURES_PER_MIN] == [401] * ADMIN_FAILURES_PER_MIN
    assert set(codes[ADMIN_FAILURES_PER_MIN:]) == {429}
    refused = client.get("/admin/tiers", headers=wrong)
    assert refused.json()["error"]["code"] == "too_many_failed_tokens"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # The right token from that same address still passes: the operator is never locked out.
    assert client.get("/admin/tiers", headers=attacker).status_code == 200
    other = client.get("/admin/tiers", headers={"x-forwarded-for": "203.0.113.9"})
    assert other.status_code == 200


@pytest.mark.parametrize(
    "limit", ["²", "١٢", "-1", "0", "10001", "1e3", " 5", "+5", "1_0", "9" * 5000, ""]
)
def test_a_bad_limit_is_a_400_naming_it(start_gateway: Callable[..., Gateway], limit: str) -> None:
    _, client = _admin(start_gateway)
    for path in ("/admin/audit", "/admin/cases"):
        r = client.get(path, params={"limit": limit})
        assert r.status_code == 400, (path, limit, r.text)
        assert r.json()["error"]["param"] == "limit"
    assert client.get("/admin/audit", params={"limit": "10000"}).status_code == 200


def test_bad_query_text_is_a_400_naming_it(start_gateway: Callable[..., Gateway]) -> None:
    _, client = _admin(start_gateway)
    for path, name, value in (
        ("/admin/audit", "subject", "acct\x00x"),
        ("/admin/audit", "subject", "s" * 201),
        ("/admin/cases", "status", "open\x00"),
        ("/admin/cases", "status", "closed"),
    ):
        r = client.get(path, params={name: value})
        assert r.status_code == 400, (path, value, r.text)
        assert r.json()["error"]["param"] == name


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> dict[str, object]:
    if request.param == "sqlite":
        return {}
    # The run's own PostgreSQL database (tests/conftest.py), dropped after the run.
    return {"database_url": request.getfixturevalue("postgres_url")}


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"name": "n" * 201}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"name": "line\nbreak"}, "name"),
        ({"name": "ok", "org": "o" * 201}, "org"),
        ({"name": "ok", "org": "nul\x00"}, "org"),
        ({"name": "ok", "tier": "open\x00"}, "tier"),
    ],
)
def test_bad_account_values_are_a_400_naming_the_field(
    start_gateway: Callable[..., Gateway],
    backend: dict[str, object],
    body: dict[str, str],
    param: str,
) -> None:
    gw, client = _admin(start_gateway, **backend)
    r = client.post("/admin/accounts", json=body)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["param"] == param
    for leak in ("postgresql", "sqlite", "127.0.0.1", str(gw.store.engine.url.database)):  # type: ignore[attr-defined]
        assert leak not in r.text
    fine = client.post("/admin/accounts", json={"name": "n" * 200, "org": "Ünïcode Org"})
    assert fine.status_code == 201, fine.text


def test_values_only_the_database_refuses_are_a_400_without_its_url(
    start_gateway: Callable[..., Gateway], postgres_url: str
) -> None:
    _, client = _admin(start_gateway, database_url=postgres_url)
    r = client.get("/admin/accounts/acct%00nul")  # a path id: the store is the first to see it
    assert r.status_code == 400, r.text
    assert "NUL" in r.json()["error"]["message"]
    assert "postgresql" not in r.text and "127.0.0.1" not in r.text and "dg_test" not in r.text
    long_text = client.post("/admin/cases/case_x/comment", json={"author": "a", "text": "t\x00"})
    assert long_text.status_code == 400 and long_text.json()["error"]["param"] == "text"


def test_an_unavailable_store_is_a_503_without_its_url(
    start_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    gw, client = _admin(start_gateway)
    db = Path(gw.store.engine.url.database)  # type: ignore[attr-defined]
    gw.store.engine.dispose()  # type: ignore[attr-defined]
    files = [p for p in db.parent.iterdir() if p.name.startswith(db.name)]
    for f in files:
        shutil.move(f, tmp_path / f.name)
    db.mkdir()  # where the database was, something SQLite cannot open
    try:
        r = client.get("/admin/accounts")
        assert r.status_code == 503 and r.json()["error"]["code"] == "store_unavailable"
        assert str(db) not in r.text and "sqlite" not in r.text
    finally:
        db.rmdir()
        for f in files:
            shutil.move(tmp_path / f.name, f)
        gw.store.engine.dispose()  # type: ignore[attr-defined]
    assert client.get("/admin/accounts").status_code == 200
