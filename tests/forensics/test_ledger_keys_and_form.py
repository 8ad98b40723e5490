"""Keys in the forms the settings accept, the canonical form, and the [ledger] settings."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from ledger_helpers import build, event, make_keys

from distillguard.errors import ConfigError, LedgerKeyError
from distillguard.forensics import load_signer, load_verifier, verify_ledger
from distillguard.forensics.canonical import canonical
from distillguard.settings import load_settings

_RAW = serialization.Encoding.Raw


def test_raw_32_byte_keys_work_like_pem(tmp_path: Path) -> None:
    keys = make_keys(tmp_path)
    signer = keys.signer
    raw_private = tmp_path / "raw.key"
    raw_private.write_bytes(
        signer.private.private_bytes(
            _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
    )
    raw_public = tmp_path / "raw.pub"
    raw_public.write_bytes(
        signer.verifier.public.public_bytes(_RAW, serialization.PublicFormat.Raw)
    )
    folder = build(tmp_path / "ledger", keys, n=4)
    assert load_signer(raw_private).key_id == signer.key_id
    assert verify_ledger(folder, load_verifier(raw_public)).ok
    assert verify_ledger(folder, load_verifier(keys.private)).ok  # a private key gives its public


def test_unusable_key_files_are_named(tmp_path: Path) -> None:
    not_a_key = tmp_path / "notes.txt"
    not_a_key.write_text("hello", encoding="utf-8")
    with pytest.raises(LedgerKeyError, match=r"notes.txt: is not an unencrypted PEM or raw"):
        load_signer(not_a_key)
    ec = tmp_path / "ec.pem"
    ec.write_bytes(
        generate_private_key(SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(LedgerKeyError, match=r"ec.pem: holds a .*, not an Ed25519 key"):
        load_signer(ec)
    with pytest.raises(LedgerKeyError, match=r"missing.pub: public key not found"):
        load_verifier(tmp_path / "missing.pub")


def test_the_canonical_form_is_stable_across_a_round_trip() -> None:
    tricky = {
        **event(1),
        "z": [1.0, 1e16, 0.1, -0.0, 2**63 - 1, "tab\t", "😀 é", {"b": None, "a": True}],
    }
    once = canonical(tricky)
    assert canonical(orjson.loads(once)) == once
    assert once.startswith(b'{"account":"acct_bravo","endpoint":"chat.completions",')
    assert "😀 é".encode() in once  # UTF-8, not \u escapes
    with pytest.raises(ValueError, match="canonical JSON"):
        canonical({"n": 2**70})


def test_ledger_settings_say_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'ledger.key_file' = None: is needed when"):
        load_settings(overrides={"ledger": {"enabled": True}})
    with pytest.raises(ConfigError, match=r"'ledger.prompt_secret'.*at least 16 characters"):
        load_settings(overrides={"ledger": {"prompts": "hashed", "prompt_secret": "short"}})
    settings = load_settings(
        overrides={
            "ledger": {
                "enabled": True,
                "key_file": str(tmp_path / "k"),
                "prompts": "hashed",
                "prompt_secret": "x" * 16,
            }
        }
    )
    assert settings.ledger.enabled and settings.ledger.checkpoint_every == 1000
