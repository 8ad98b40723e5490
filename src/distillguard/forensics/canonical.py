"""The canonical bytes of a ledger event and the chain hash over them.

Canonical form: `orjson.dumps(event, option=OPT_SORT_KEYS)`, i.e. compact JSON (no spaces),
UTF-8 (non-ASCII text is written as is, not as `\\u` escapes), object keys sorted by code point
at every depth, numbers as orjson writes them (integers as digits, floats as the shortest text
that reads back to the same double). It is stable under a round trip: parsing the canonical
bytes with any JSON parser that keeps doubles and 64-bit integers, and writing them again in
this form, gives the same bytes. It differs from RFC 8785 (JCS) only in key order for keys
with characters outside the Basic Multilingual Plane, and in float spelling for exponents;
JCS was not chosen because no maintained Python implementation is as fast as orjson, and
verification speed (1M records well under 30 s) is a target.

The chain::

    hash(0)   = GENESIS = 32 zero bytes
    hash(n)   = SHA-256( hash(n-1) ‖ n as 8-byte unsigned big-endian ‖ canonical(event n) )

`seq` is inside the hash so that a slice with omitted records (see `ledger_export`) cannot
renumber the records it keeps. Hashes are written as 64 lowercase hex digits.

>>> canonical({"b": 1, "a": [1.5, "é"]})
b'{"a":[1.5,"\\xc3\\xa9"],"b":1}'
>>> chain_hash(GENESIS, 1, b"{}").hex()[:16]
'1bad765d926feaca'
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

GENESIS = bytes(32)
GENESIS_HEX = GENESIS.hex()

_SORT = orjson.OPT_SORT_KEYS


def canonical(obj: Mapping[str, Any]) -> bytes:
    """The canonical JSON bytes of an event (or of any JSON object)."""
    try:
        return orjson.dumps(obj if type(obj) is dict else dict(obj), option=_SORT)
    except TypeError as err:  # e.g. an integer beyond 64 bits, or a non-JSON value
        raise ValueError(f"cannot be written as canonical JSON: {err}") from None


def chain_hash(prev: bytes, seq: int, canon: bytes) -> bytes:
    """The 32-byte hash of record `seq` whose predecessor's hash is `prev`."""
    return hashlib.sha256(prev + seq.to_bytes(8, "big") + canon).digest()
