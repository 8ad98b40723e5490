"""The lines of a ledger file: records, signed checkpoints, and (in exports) stubs and framing.

Each line is one JSON object; the first key that is present says what it is::

    {"seq": 7, "prev": HEX64, "hash": HEX64, "event": {...}}          a record
    {"checkpoint": {"seq": 7, "hash": HEX64, "ts": RFC3339, "key_id": HEX16}, "sig": BASE64}
    {"seq": 9, "hash": HEX64, "omitted": 2}       exports only: records 8..9 left out
    {"export": {...}}  /  {"end": {...}}          exports only: first and last line

A checkpoint's signature covers the canonical bytes of its inner object (see `canonical`).
Parsing here checks shapes only and raises `LedgerFormatError` naming file, line and field;
whether the chain holds is `ledger_verify`'s business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from distillguard.errors import LedgerFormatError
from distillguard.forensics.canonical import canonical
from distillguard.forensics.signing import Signer, Verifier

RECORD_FIELDS = ("seq", "prev", "hash", "event")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def is_hash(value: object) -> bool:
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


def record_line(seq: int, prev: str, digest: str, canon: bytes) -> bytes:
    """One record line (with its newline); `canon` is the canonical event."""
    head = b'{"seq":%d,"prev":"%s","hash":"%s","event":' % (seq, prev.encode(), digest.encode())
    return head + canon + b"}\n"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signature over the chain's hash after record `seq`."""

    seq: int
    hash: str
    ts: str
    key_id: str
    sig: str

    @classmethod
    def signed(cls, signer: Signer, seq: int, digest: str, ts: str) -> Checkpoint:
        unsigned = cls(seq, digest, ts, signer.key_id, "")
        return cls(seq, digest, ts, signer.key_id, signer.sign(unsigned.signed_bytes()))

    def body(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash, "ts": self.ts, "key_id": self.key_id}

    def signed_bytes(self) -> bytes:
        return canonical(self.body())

    def verifies(self, verifier: Verifier) -> bool:
        return verifier.verify(self.sig, self.signed_bytes())

    def to_line(self) -> bytes:
        return orjson.dumps({"checkpoint": self.body(), "sig": self.sig}) + b"\n"


@dataclass(frozen=True, slots=True)
class Stub:
    """In an export: records `seq - omitted + 1` .. `seq` left out; `hash` is record seq's."""

    seq: int
    hash: str
    omitted: int

    @property
    def first(self) -> int:
        return self.seq - self.omitted + 1

    def to_line(self) -> bytes:
        return orjson.dumps({"seq": self.seq, "hash": self.hash, "omitted": self.omitted}) + b"\n"


def load_line(raw: bytes, path: str, line: int) -> dict[str, Any]:
    """Decode one line into a JSON object, or say why it is not one."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        problem = "is empty" if not raw.strip() else f"is not valid JSON ({err})"
        raise LedgerFormatError(path, line, "", f"the line {problem}") from None
    if not isinstance(obj, dict):
        raise LedgerFormatError(path, line, "", f"the line is a JSON {_kind(obj)}, not an object")
    return obj


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _int(obj: dict[str, Any], key: str, path: str, line: int, low: int, where: str = "") -> int:
    value = obj.get(key)
    if value is None:
        raise LedgerFormatError(path, line, where + key, "is required and missing")
    if type(value) is not int or value < low:
        raise LedgerFormatError(
            path, line, where + key, f"must be an integer >= {low}, got {value!r}"
        )
    return value


def _hash(obj: dict[str, Any], key: str, path: str, line: int, where: str = "") -> str:
    value = obj.get(key)
    if value is None:
        raise LedgerFormatError(path, line, where + key, "is required and missing")
    if not is_hash(value):
        raise LedgerFormatError(
            path, line, where + key, f"must be 64 lowercase hex digits, got {value!r}"
        )
    return str(value)


def _str(obj: dict[str, Any], key: str, path: str, line: int, where: str = "") -> str:
    value = obj.get(key)
    if value is None:
        raise LedgerFormatError(path, line, where + key, "is required and missing")
    if not isinstance(value, str):
        raise LedgerFormatError(path, line, where + key, f"must be a string, got {_kind(value)}")
    return value


def _only(obj: dict[str, Any], allowed: tuple[str, ...], path: str, line: int, what: str) -> None:
    for key in obj:
        if key not in allowed:
            raise LedgerFormatError(path, line, key, f"is not a field of {what}")


def check_record(obj: dict[str, Any], path: str, line: int) -> tuple[int, str, str, dict[str, Any]]:
    """seq, prev, hash and event of a record line, or the first field that is wrong."""
    _only(obj, RECORD_FIELDS, path, line, "a record")
    seq = _int(obj, "seq", path, line, 1)
    prev = _hash(obj, "prev", path, line)
    digest = _hash(obj, "hash", path, line)
    event = obj.get("event")
    if not isinstance(event, dict):
        raise LedgerFormatError(path, line, "event", f"must be an object, got {_kind(event)}")
    return seq, prev, digest, event


def parse_checkpoint(obj: dict[str, Any], path: str, line: int) -> Checkpoint:
    _only(obj, ("checkpoint", "sig"), path, line, "a checkpoint")
    body = obj["checkpoint"]
    if not isinstance(body, dict):
        raise LedgerFormatError(path, line, "checkpoint", f"must be an object, got {_kind(body)}")
    _only(body, ("seq", "hash", "ts", "key_id"), path, line, "a checkpoint")
    w = "checkpoint."
    return Checkpoint(
        seq=_int(body, "seq", path, line, 0, w),
        hash=_hash(body, "hash", path, line, w),
        ts=_str(body, "ts", path, line, w),
        key_id=_str(body, "key_id", path, line, w),
        sig=_str(obj, "sig", path, line),
    )


def parse_stub(obj: dict[str, Any], path: str, line: int) -> Stub:
    _only(obj, ("seq", "hash", "omitted"), path, line, "an omitted-records stub")
    return Stub(
        seq=_int(obj, "seq", path, line, 1),
        hash=_hash(obj, "hash", path, line),
        omitted=_int(obj, "omitted", path, line, 1),
    )


def line_kind(obj: dict[str, Any]) -> str:
    """`record`, `checkpoint`, `stub`, `export`, `end`, or `unknown`."""
    if "event" in obj:
        return "record"
    if "checkpoint" in obj:
        return "checkpoint"
    if "omitted" in obj:
        return "stub"
    if "export" in obj:
        return "export"
    if "end" in obj:
        return "end"
    return "unknown"
