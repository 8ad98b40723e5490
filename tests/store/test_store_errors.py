"""Values the store refuses, and what its errors say, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from distillguard.errors import InvalidFieldError, InvalidKeyError, StoreUnavailableError
from distillguard.settings import load_settings
from distillguard.store import Store, open_store


@pytest.mark.parametrize(
    ("name", "org", "field"),
    [
        ("n" * 201, None, "name"),
        ("a\x00b", None, "name"),
        ("tab\there", None, "name"),
        ("ok", "o" * 201, "org"),
        ("ok", "\x7f", "org"),
        ("ok", "\ud800", "org"),
    ],
)
def test_bad_account_text_is_refused_naming_the_field(
    store: Store, name: str, org: str | None, field: str
) -> None:
    with pytest.raises(InvalidFieldError) as err:
        store.create_account(name, tier="free", org=org)
    assert err.value.field == field and str(err.value).startswith(f"{field}: ")
    assert store.create_account("n" * 200, tier="free", org="Ünïcode").name == "n" * 200


def test_case_notes_are_checked_too(store: Store) -> None:
    case = store.open_case(
        "account", "acct_x", members=["acct_x"], level="review", risk=0.9, evidence={}
    )
    with pytest.raises(InvalidFieldError, match="author"):
        store.comment_case(case.id, "a" * 201, "fine")
    with pytest.raises(InvalidFieldError, match="text"):
        store.comment_case(case.id, "rev", "nul \x00")
    with pytest.raises(InvalidFieldError, match="assignee"):
        store.assign_case(case.id, "x\x00", "rev")
    assert store.comment_case(case.id, "rev", "two\nlines\tand a tab").notes[-1].text


def test_a_value_only_postgresql_refuses_is_an_invalid_field(postgres_url: str) -> None:
    store = open_store(load_settings(overrides={"database_url": postgres_url}))
    try:
        with pytest.raises(InvalidFieldError, match="NUL") as err:
            store.get_account("acct\x00")  # ids are not checked: the database refuses it
        assert err.value.field is None and "dg_test" not in str(err.value)
    finally:
        store.close()


def test_a_wrong_secret_names_its_key_id_not_a_missing_key(store: Store) -> None:
    acct = store.create_account("kim", tier="free")
    issued = store.create_key(acct.id)
    wrong = issued.secret[:-1] + ("A" if issued.secret[-1] != "A" else "B")
    with pytest.raises(InvalidKeyError) as err:
        store.authenticate(wrong)
    assert err.value.key_id == issued.key.id
    assert err.value.problem == f"the secret is wrong for key id {issued.key.id}"
    assert acct.id not in str(err.value) and "revoked" not in str(err.value)
    with pytest.raises(InvalidKeyError, match="no key has the id key_000000000000") as missing:
        store.authenticate("sk-dg-000000000000-" + issued.secret.split("-", 3)[3])
    assert missing.value.key_id is None


def test_an_unusable_url_is_not_quoted_back() -> None:
    url = "postgresql://me:s3cret-pw@host:notaport/db"
    with pytest.raises(StoreUnavailableError, match="not a usable database URL") as err:
        open_store(load_settings(overrides={"database_url": url}))
    assert "s3cret-pw" not in str(err.value) and "s3cret-pw" not in err.value.url
    assert "host:notaport" not in str(err.value)
