"""Per-account watermark keys, derived from one master secret: HMAC-SHA256(secret, account id).

Nothing per account is stored: whoever holds the secret (the gateway's local model, the auditor)
derives any account's key again, and an account's key says nothing about another's.

>>> ring = KeyRing.derive(b"correct horse battery staple", ["acct_a", "acct_b"])
>>> ring.accounts
('acct_a', 'acct_b')
>>> ring.key_of("acct_a") == derive_key(b"correct horse battery staple", "acct_a")
True
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from distillguard.forensics.watermark import U64

# Bumping this re-keys every account (old outputs then test against the old version only).
_DOMAIN = b"distillguard/watermark/v1\x00"


def derive_key(secret: bytes, account: str) -> int:
    """The 64-bit watermark key of `account`: the first 8 bytes of its HMAC-SHA256."""
    digest = hmac.new(secret, _DOMAIN + account.encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


def key_id(key: int) -> str:
    """A short public name of a key (logs, reports); it does not reveal the key."""
    return hashlib.sha256(key.to_bytes(8, "big")).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class KeyRing:
    """Candidate keys for detection: `keys[i]` belongs to `accounts[i]`."""

    accounts: tuple[str, ...]
    keys: U64 = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.accounts) != self.keys.size:
            raise ValueError(f"{len(self.accounts)} accounts but {self.keys.size} keys")
        if len(set(self.accounts)) != len(self.accounts):
            raise ValueError("an account appears twice among the candidates")

    @classmethod
    def derive(cls, secret: bytes, accounts: Iterable[str]) -> KeyRing:
        names = tuple(dict.fromkeys(accounts))  # keep order, drop repeats
        keys = np.array([derive_key(secret, a) for a in names], dtype=np.uint64)
        return cls(names, keys)

    def __len__(self) -> int:
        return len(self.accounts)

    def key_of(self, account: str) -> int:
        return int(self.keys[self.accounts.index(account)])
