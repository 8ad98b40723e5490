"""The `Store` contract, run against every backend (SQLite always; PostgreSQL when present)."""

from __future__ import annotations

import secrets

import pytest

from distillguard.errors import (
    InvalidKeyError,
    InvalidValueError,
    NotFoundError,
    StoreUnavailableError,
)
from distillguard.settings import load_settings
from distillguard.store import AccountStatus, Store, Tier, open_store
from distillguard.store import tables as t


def test_account_round_trip(store: Store) -> None:
    made = store.create_account("alice", tier="free", org="acme")
    assert made.id.startswith("acct_")
    assert store.get_account(made.id) == made
    assert made in store.list_accounts()
    assert made.active


def test_unknown_tier_names_the_tiers(store: Store) -> None:
    with pytest.raises(NotFoundError, match=r"'gold'.*enterprise.*free.*standard"):
        store.create_account("bob", tier="gold")


def test_suspend_and_reactivate(store: Store) -> None:
    acct = store.create_account("carol", tier="standard")
    assert store.set_status(acct.id, AccountStatus.SUSPENDED).status is AccountStatus.SUSPENDED
    assert not store.get_account(acct.id).active
    assert store.set_status(acct.id, AccountStatus.ACTIVE).active
    with pytest.raises(NotFoundError, match="acct_missing"):
        store.set_status("acct_missing", AccountStatus.SUSPENDED)


def test_key_authenticates_its_account(store: Store) -> None:
    acct = store.create_account("dave", tier="free")
    issued = store.create_key(acct.id)
    who = store.authenticate(issued.secret)
    assert who.account == acct
    assert who.key_id == issued.key.id
    assert who.tier.name == "free"
    assert who.tier.allowed_params is not None and "logprobs" not in who.tier.allowed_params
    assert store.list_keys(acct.id) == [issued.key]


def test_only_a_salted_hash_is_stored(store: Store, database_url: str) -> None:
    acct = store.create_account("erin", tier="free")
    one, two = store.create_key(acct.id), store.create_key(acct.id)
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = {r.id: r.secret_hash for r in conn.execute(t.api_keys.select())}
    for issued in (one, two):
        stored = rows[issued.key.id]
        assert issued.secret not in stored
        assert issued.secret.split("-", 3)[3] not in stored
        assert stored.startswith("scrypt$")
    assert rows[one.key.id].split("$")[4] != rows[two.key.id].split("$")[4]  # salts differ


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),  # right id, wrong secret
        lambda s: "sk-dg-000000000000-" + s.split("-", 3)[3],  # unknown id
        lambda s: "sk-proj-abc",  # not ours
        lambda s: "",
    ],
)
def test_wrong_secrets_are_rejected(store: Store, mangle: object) -> None:
    acct = store.create_account("frank", tier="free")
    issued = store.create_key(acct.id)
    bad = mangle(issued.secret)  # type: ignore[operator]
    with pytest.raises(InvalidKeyError) as err:
        store.authenticate(bad)
    assert issued.secret not in str(err.value)


def test_revoked_key_is_rejected(store: Store) -> None:
    acct = store.create_account("grace", tier="free")
    issued = store.create_key(acct.id)
    revoked = store.revoke_key(issued.key.id)
    assert revoked.revoked
    with pytest.raises(InvalidKeyError, match="revoked"):
        store.authenticate(issued.secret)
    assert store.revoke_key(issued.key.id).revoked_at == revoked.revoked_at  # idempotent
    with pytest.raises(NotFoundError, match="key_nope"):
        store.revoke_key("key_nope")


def test_keys_of_unknown_account(store: Store) -> None:
    with pytest.raises(NotFoundError, match="accounts list"):
        store.create_key("acct_nope")


def test_put_tier_adds_and_replaces(store: Store) -> None:
    store.put_tier(Tier("trial", requests_per_min=3, allowed_params=frozenset({"temperature"})))
    assert store.get_tier("trial").allowed_params == frozenset({"temperature"})
    store.put_tier(Tier("trial", requests_per_min=5))
    got = store.get_tier("trial")
    assert (got.requests_per_min, got.allowed_params) == (5, None)


def test_settings_tiers_are_written_and_reopen_keeps_data(database_url: str) -> None:
    settings = load_settings(
        overrides={
            "database_url": database_url,
            "tiers": {"lab": {"requests_per_min": 7, "daily_tokens": 1000}},
        }
    )
    first = open_store(settings)
    acct = first.create_account("heidi", tier="lab")
    first.close()
    again = open_store(settings)  # migrating twice is a no-op
    try:
        assert again.get_account(acct.id) == acct
        assert again.get_tier("lab").requests_per_min == 7
    finally:
        again.close()


def test_unreachable_database_names_the_backend_not_the_url_or_password() -> None:
    url = "postgresql://postgres:hunter2@127.0.0.1:1/nope"
    with pytest.raises(StoreUnavailableError, match=r"account store \(postgresql\)") as err:
        open_store(load_settings(overrides={"database_url": url}))
    assert "hunter2" not in str(err.value) and "127.0.0.1:1/nope" not in str(err.value)
    assert err.value.url == "postgresql://postgres:***@127.0.0.1:1/nope"  # for operators


def test_account_attributes_are_stored_and_checked(store: Store) -> None:
    acct = store.create_account("erin", tier="free")
    assert acct.verification == "none" and acct.org_type is None and not acct.affiliated_developer
    got = store.set_attributes(
        acct.id, verification="business", org_type="research", affiliated_developer=True
    )
    assert (got.verification, got.org_type, got.affiliated_developer) == (
        "business",
        "research",
        True,
    )
    assert store.get_account(acct.id) == got
    assert store.authenticate(store.create_key(acct.id).secret).account == got
    with pytest.raises(InvalidValueError, match=r"verification 'passport'.*business"):
        store.set_attributes(acct.id, verification="passport")
    with pytest.raises(InvalidValueError, match="org_type"):
        store.set_attributes(acct.id, org_type="charity")
    with pytest.raises(NotFoundError, match="acct_missing"):
        store.set_attributes("acct_missing", verification="email")


def test_detector_state_is_upserted(store: Store) -> None:
    # The PostgreSQL database is shared by the run's tests: only this test's rows are checked.
    p = f"t{secrets.token_hex(4)}_"
    many = {f"{p}{i}": bytes([i % 256]) * 100 for i in range(1200)}  # more than one chunk
    store.save_detector_state(many)
    store.save_detector_state({f"{p}7": b"newer", f"{p}#campaigns": b"\x00\xff"})
    loaded = {a: b for a, b in store.load_detector_state().items() if a.startswith(p)}
    assert len(loaded) == 1201
    assert loaded[f"{p}7"] == b"newer" and loaded[f"{p}#campaigns"] == b"\x00\xff"
    assert loaded[f"{p}8"] == bytes([8]) * 100


def test_a_key_checked_again_with_its_known_hash_costs_no_scrypt(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = store.create_account("again", tier="free")
    secret = store.create_key(account.id).secret
    first = store.authenticate(secret)
    import distillguard.store.sql_store as sql_store

    def no_scrypt(secret: str, stored: str) -> bool:
        raise AssertionError("scrypt computed for a key already checked")

    monkeypatch.setattr(sql_store, "verify_secret", no_scrypt)
    again = store.authenticate(secret, first.key_hash)
    assert again.account.id == account.id and again.key_hash == first.key_hash
    with pytest.raises(AssertionError, match="scrypt computed"):
        store.authenticate(secret)  # without the known hash: checked in full
    with pytest.raises(AssertionError, match="scrypt computed"):
        store.authenticate(secret, "scrypt$1$1$1$c2FsdA$aGFzaA")  # another hash: in full
    store.revoke_key(store.list_keys(account.id)[0].id)
    with pytest.raises(InvalidKeyError, match="revoked"):
        store.authenticate(secret, first.key_hash)  # revocation still counts
