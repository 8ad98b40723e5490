"""With `[ledger] enabled`, every event the gateway writes is also in a verifiable ledger."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openai
import orjson
import pytest
from gateway_harness import Gateway

from distillguard.events import EventReader
from distillguard.forensics import export_slice, generate_keypair, load_verifier, verify_ledger


def test_the_ledger_holds_each_recorded_event_and_verifies(
    start_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    key, public = generate_keypair(tmp_path / "keys" / "ledger.key")
    folder = tmp_path / "ledger"
    gw = start_gateway(
        tier="tiny",  # 2 requests a minute: the third is refused, and recorded as refused
        ledger={"enabled": True, "dir": str(folder), "key_file": str(key)},
    )
    client = gw.client()
    for i in range(2):
        client.chat.completions.create(
            model="sim-large", messages=[{"role": "user", "content": f"Question {i}?"}]
        )
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(
            model="sim-large", messages=[{"role": "user", "content": "?"}]
        )
    other, secret = gw.new_key(name="other")
    gw.client(secret).completions.create(model="sim-small", prompt="Hello")
    logged = Path(gw.app.state.proxy.settings.events.dir)
    gw.stop()  # drains the recorder and closes the ledger, signing its last records

    events = [dict(e.raw) for p in sorted(logged.glob("events-*.jsonl")) for e in EventReader(p)]
    assert len(events) == 4
    verifier = load_verifier(public)
    report = verify_ledger(folder, verifier)
    assert report.ok, report.summary()
    assert (report.records, report.signed and report.signed.seq, report.unsigned) == (4, 4, 0)
    assert report.head is not None and report.head.seq == 4
    stored = [
        orjson.loads(line)["event"]
        for line in (folder / "ledger-000001.jsonl").read_bytes().splitlines()
        if line.startswith(b'{"seq"')
    ]
    assert stored == events  # the same events, in the same order, as the event log

    summary = export_slice(folder, gw.account.id, tmp_path / "slice.jsonl")
    assert (summary.records, summary.omitted) == (3, 1)
    assert verify_ledger(summary.out, verifier).ok
    assert other.id not in (tmp_path / "slice.jsonl").read_text(encoding="utf-8")
