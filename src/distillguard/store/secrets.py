"""API key secrets: made at random, stored only as a salted scrypt hash, checked in constant time.

A secret reads `sk-dg-<id>-<random>`: the id part names the key's row (it is not secret), the
random part carries 256 bits. The store keeps `scrypt$N$r$p$<salt>$<hash>`, so the cost can be
raised later without invalidating existing keys.

    >>> secret = new_secret("key_0123456789ab")
    >>> key_id_of(secret)
    'key_0123456789ab'
    >>> stored = hash_secret(secret, cost=KdfCost(n=2**10))
    >>> verify_secret(secret, stored), verify_secret(secret + "x", stored)
    (True, False)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

SECRET_PREFIX = "sk-dg-"
KEY_ID_PREFIX = "key_"


@dataclass(frozen=True, slots=True)
class KdfCost:
    n: int = 2**14
    r: int = 8
    p: int = 1


DEFAULT_COST = KdfCost()


def new_key_id() -> str:
    return KEY_ID_PREFIX + secrets.token_hex(6)


def new_secret(key_id: str) -> str:
    return f"{SECRET_PREFIX}{key_id.removeprefix(KEY_ID_PREFIX)}-{secrets.token_urlsafe(32)}"


def key_id_of(secret: str) -> str | None:
    """The key id a secret names, or None if it does not have a secret's shape."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    ident, sep, rest = secret[len(SECRET_PREFIX) :].partition("-")
    if not sep or len(ident) != 12 or not rest:
        return None
    return KEY_ID_PREFIX + ident


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_secret(secret: str, *, cost: KdfCost = DEFAULT_COST) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=cost.n, r=cost.r, p=cost.p, dklen=32)
    return f"scrypt${cost.n}${cost.r}${cost.p}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, stored: str) -> bool:
    """Whether `secret` hashes to `stored`; the comparison takes the same time either way."""
    try:
        algo, n, r, p, salt, digest = stored.split("$")
        if algo != "scrypt":
            return False
        expected = _unb64(digest)
        actual = hashlib.scrypt(
            secret.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)
