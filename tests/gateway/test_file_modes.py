"""What the gateway writes is readable by its own user only: files 0600, folders 0700."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gateway_harness import Gateway

from distillguard.events import EventWriter
from distillguard.events.spool import SortedSpool
from distillguard.forensics import generate_keypair


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask of a careless service manager: without care, files would come out 0666."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_a_gateway_run_writes_private_files(
    start_gateway: Callable[..., Gateway], tmp_path: Path, loose_umask: None
) -> None:
    key, _ = generate_keypair(tmp_path / "keys" / "ledger.key")
    ledger = tmp_path / "ledger"
    gw = start_gateway(ledger={"enabled": True, "dir": str(ledger), "key_file": str(key)})
    gw.client().chat.completions.create(
        model="sim-large", messages=[{"role": "user", "content": "a private question"}]
    )
    events = Path(gw.app.state.proxy.settings.events.dir)
    db = Path(gw.store.engine.url.database)  # type: ignore[attr-defined]
    gw.stop()
    assert _mode(key) == 0o600
    written = sorted(events.glob("events-*.jsonl"))
    assert written and all(_mode(p) == 0o600 for p in written)
    assert _mode(events) == 0o700 and _mode(ledger) == 0o700
    ledger_files = [ledger / "ledger-000001.jsonl", ledger / "ledger.head", ledger / "ledger.lock"]
    assert {p.name: _mode(p) for p in ledger_files} == {p.name: 0o600 for p in ledger_files}
    assert _mode(db) == 0o600  # it holds the key hashes


def test_event_files_and_spilled_runs_are_private(tmp_path: Path, loose_umask: None) -> None:
    for name in ("plain.jsonl", "packed.jsonl.gz"):
        with EventWriter(tmp_path / "out" / name) as writer:
            writer.write({"ts": "2026-01-01T00:00:00.000Z"})
        assert _mode(tmp_path / "out" / name) == 0o600
    assert _mode(tmp_path / "out") == 0o700
    with SortedSpool(memory_bytes=1, tmp_dir=tmp_path) as spool:
        spool.add(1.0, b"a line")  # past memory_bytes: spilled to a temporary file
        assert spool.runs and stat.S_IMODE(os.fstat(spool.runs[0].fileno()).st_mode) == 0o600
