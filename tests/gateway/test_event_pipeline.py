"""Inline detection: one event per answered request, in the spec's format, never the secret."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import openai
import orjson
import pytest
from gateway_harness import Gateway

from distillguard.events import EventReader
from distillguard.gateway.metrics import GatewayMetrics
from distillguard.gateway.recorder import EventRecorder
from distillguard.pipeline.activity import Activity
from distillguard.pipeline.event_log import RotatingEventLog
from distillguard.pipeline.reorder import ReorderBuffer
from distillguard.settings import EventSettings

ASK = [{"role": "user", "content": "List three uses of graph theory."}]


def _events(folder: Path) -> list[dict[str, object]]:
    out = []
    for path in sorted(folder.glob("events-*.jsonl")):
        out += [dict(e.raw) for e in EventReader(path)]  # strict: every line valid and ordered
    return out


def test_each_answered_request_is_one_valid_event(start_gateway: Callable[..., Gateway]) -> None:
    gw = start_gateway(tier="tiny")  # 2 requests a minute: the third is refused
    client = gw.client(default_headers={"user-agent": "harvester/1.0"})
    plain = client.chat.completions.create(model="sim-large", messages=ASK)
    streamed = client.completions.create(model="sim-small", prompt="Hello there", stream=True)
    stream_text = "".join(c.choices[0].text for c in streamed)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="sim-large", messages=ASK)
    with pytest.raises(openai.AuthenticationError):
        gw.client("sk-dg-000000000000-wrong").models.list()
    folder = Path(gw.app.state.proxy.settings.events.dir)
    gw.stop()  # drains the queue and the reorder buffer
    events = _events(folder)
    assert [e["status"] for e in events] == [200, 200, 429]
    first, second, refused = events
    assert first["account"] == gw.account.id
    assert first["key"] == gw.store.list_keys(gw.account.id)[0].id
    assert first["ip"] == "127.0.0.1"
    assert first["user_agent"] == "harvester/1.0"
    assert first["endpoint"] == "chat.completions"
    assert first["request"] == {"model": "sim-large", "messages": ASK}
    assert first["response"]["choices"][0]["message"]["content"] == plain.choices[0].message.content  # type: ignore[index]
    assert isinstance(first["latency_ms"], float) and first["latency_ms"] > 0
    assert second["endpoint"] == "completions"
    assert second["response"]["choices"][0]["text"] == stream_text  # type: ignore[index]
    assert "response" not in refused
    raw = b"".join(p.read_bytes() for p in folder.glob("events-*.jsonl"))
    assert gw.secret.encode() not in raw
    assert gw.secret.split("-", 3)[3].encode() not in raw


def test_events_reach_the_analyzer(start_gateway: Callable[..., Gateway]) -> None:
    gw = start_gateway()
    client = gw.client()
    for i in range(5):
        client.chat.completions.create(
            model="sim-small", messages=[{"role": "user", "content": f"Q{i}"}]
        )
    recorder = gw.recorder
    gw.stop()
    assert recorder.analyzer is not None
    assert recorder.analyzer.events == 5
    assert set(recorder.analyzer.tracks) == {gw.account.id}
    assert recorder.log.written == 5 and recorder.dropped == 0


def test_log_rotates_by_size_and_stays_ordered(
    tmp_path: Path, make_event: Callable[..., dict[str, object]]
) -> None:
    log = RotatingEventLog(tmp_path, rotate_bytes=4096)
    for i in range(40):
        log.write_line(orjson.dumps(make_event(ts=1_800_000_000 + i)))
    log.close()
    assert len(log.files) > 3
    events = _events(tmp_path)
    assert [e["ts"] for e in events] == [1_800_000_000 + i for i in range(40)]


def test_reorder_buffer_restores_arrival_order_and_clamps_late_ones() -> None:
    buf = ReorderBuffer(window_s=1.0)
    for ts in (10.3, 10.1, 10.2):
        buf.push({"ts": ts})
    assert [e["ts"] for e in buf.ready(now=11.25)] == [10.1, 10.2]
    buf.push({"ts": 10.0})  # finished after a younger event was written: ts raised
    assert [e["ts"] for e in buf.drain()] == [10.2, 10.3]
    assert buf.late == 1


def test_requests_per_day_keeps_the_last_30_days(tmp_path: Path) -> None:
    day0 = 20_000  # 2024-10-04, in days since the epoch

    async def go() -> EventRecorder:
        settings = EventSettings(dir=tmp_path, detection=False, trust_event_time=True)
        recorder = EventRecorder(settings, GatewayMetrics())
        await recorder.start()
        for d in range(40):  # one request a day, two on the last
            recorder.submit({"ts": (day0 + d) * 86_400 + 3600.0, "account": "a"})
        recorder.submit({"ts": (day0 + 39) * 86_400 + 7200.0, "account": "a"})
        await recorder.stop()
        return recorder

    recorder = asyncio.run(go())
    days = recorder.requests_per_day("a")
    assert [d for d, _ in days] == list(range(day0 + 10, day0 + 40))
    assert [n for _, n in days] == [1] * 29 + [2]
    assert recorder.requests_per_day("nobody") == []


def test_a_request_from_before_the_window_is_not_counted() -> None:
    activity = Activity()
    day0 = 20_000
    activity.count_day("a", (day0 + 39) * 86_400.0)
    activity.count_day("a", day0 * 86_400.0 + 60)  # 39 days older than the latest: outside
    assert [n for _, n in activity.per_day("a")] == [0] * 29 + [1]
