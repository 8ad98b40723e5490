from __future__ import annotations

import doctest

from distillguard.store import secrets as mod
from distillguard.store.secrets import KdfCost, hash_secret, key_id_of, new_secret, verify_secret


def test_doctests() -> None:
    assert doctest.testmod(mod).failed == 0


def test_secret_names_its_key_and_carries_enough_entropy() -> None:
    secret = new_secret("key_00112233aabb")
    assert key_id_of(secret) == "key_00112233aabb"
    assert len(secret.split("-", 3)[3]) >= 43  # 32 random bytes, base64url
    assert new_secret("key_00112233aabb") != secret


def test_malformed_secrets_name_no_key() -> None:
    for bad in ("", "sk-dg-", "sk-dg-short-x", "sk-other-00112233aabb-x", "sk-dg-00112233aabb-"):
        assert key_id_of(bad) is None


def test_hash_is_salted_and_checks() -> None:
    cost = KdfCost(n=2**10)
    one, two = hash_secret("s", cost=cost), hash_secret("s", cost=cost)
    assert one != two
    assert verify_secret("s", one) and verify_secret("s", two)
    assert not verify_secret("t", one)
    assert not verify_secret("s", "bcrypt$x") and not verify_secret("s", "garbage")
