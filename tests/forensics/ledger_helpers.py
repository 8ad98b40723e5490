"""Helpers of the ledger tests: keys, realistic events, a small ledger, line surgery."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from distillguard.events import format_ts
from distillguard.forensics import Ledger, generate_keypair, load_signer, load_verifier
from distillguard.forensics.signing import Signer, Verifier

ACCOUNTS = ("acct_alpha", "acct_bravo", "acct_charlie")
T0 = 1_790_000_000.0  # 2026-09-21T14:13:20Z


@dataclass
class Keys:
    private: Path
    public: Path

    @property
    def signer(self) -> Signer:
        return load_signer(self.private)

    @property
    def verifier(self) -> Verifier:
        return load_verifier(self.public)


def make_keys(folder: Path, name: str = "ledger.key") -> Keys:
    private, public = generate_keypair(folder / name)
    return Keys(private, public)


def event(i: int, account: str | None = None) -> dict[str, Any]:
    """A gateway-shaped event, different for each i; accounts take turns unless given."""
    return {
        "ts": format_ts(T0 + i * 1.5),
        "account": account or ACCOUNTS[i % len(ACCOUNTS)],
        "key": f"key_{i % 7:02d}",
        "ip": f"203.0.113.{i % 250}",
        "user_agent": "OpenAI/Python 1.58.1",
        "endpoint": "chat.completions",
        "request": {
            "model": "sim-large",
            "messages": [
                {"role": "system", "content": "You are a careful tutor. Réponds brièvement."},
                {"role": "user", "content": f"Explain step by step problem #{i}: why 2^{i} > {i}?"},
            ],
            "temperature": 0.7,
            "max_tokens": 512,
        },
        "response": {
            "choices": [
                {
                    "message": {"role": "assistant", "content": f"Answer {i}: by induction."},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 31 + i, "completion_tokens": 12},
        },
        "status": 200,
        "latency_ms": 120.5 + i,
    }


def build(folder: Path, keys: Keys, n: int = 30, every: int = 10, **kwargs: Any) -> Path:
    """A closed ledger of `n` events with a checkpoint every `every` records."""
    with Ledger(folder, keys.signer, checkpoint_every=every, **kwargs) as ledger:
        for i in range(1, n + 1):
            ledger.append(event(i))
    return folder


def line_of(seq: int, every: int = 10) -> int:
    """The line of record `seq` in a one-file ledger with a checkpoint every `every` records."""
    return seq + (seq - 1) // every


def read(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def write(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in lines))


def obj(line: bytes) -> dict[str, Any]:
    value: dict[str, Any] = orjson.loads(line)
    return value


def dump(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value)


def edited(line: bytes, **event_fields: Any) -> bytes:
    """A record line with fields of its event replaced (its hash left as it was)."""
    record = obj(line)
    record["event"] = {**copy.deepcopy(record["event"]), **event_fields}
    return dump(record)
