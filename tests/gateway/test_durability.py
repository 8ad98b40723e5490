"""An answer is given only once its event is durable; a restart takes each event once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest
from gateway_harness import Gateway, gateway_settings

from distillguard.gateway.metrics import GatewayMetrics
from distillguard.gateway.recorder import EventRecorder
from distillguard.pipeline.journal import Journal, JournalError
from distillguard.pipeline.position import POSITION_KEY, Position
from distillguard.store import open_store

ASK = [{"role": "user", "content": "Name a prime."}]


def _slow_durability(gw: Gateway, delay: float) -> list[float]:
    """Make the journal's fsync take `delay`; returns when each wait ended."""
    journal = gw.recorder.journal
    assert journal is not None
    real = journal.durable
    ended: list[float] = []

    def durable(offset: int) -> asyncio.Future[None]:
        inner = real(offset)
        loop = asyncio.get_running_loop()
        outer: asyncio.Future[None] = loop.create_future()

        def done() -> None:
            ended.append(time.monotonic())
            outer.set_result(None)

        inner.add_done_callback(lambda _: loop.call_later(delay, done))
        return outer

    journal.durable = durable  # type: ignore[method-assign]
    return ended


def test_a_json_answer_waits_for_its_event_to_be_durable(
    start_gateway: Callable[..., Gateway],
) -> None:
    gw = start_gateway()
    ended = _slow_durability(gw, 0.3)
    started = time.monotonic()
    gw.client().chat.completions.create(model="sim-small", messages=ASK)
    answered = time.monotonic()
    assert len(ended) == 1 and started + 0.3 <= ended[0] <= answered


def test_a_stream_gets_its_done_frame_only_once_the_event_is_durable(
    start_gateway: Callable[..., Gateway],
) -> None:
    gw = start_gateway()
    ended = _slow_durability(gw, 0.3)
    body = {"model": "sim-small", "messages": ASK, "stream": True}
    frames: list[tuple[float, bytes]] = []
    with (
        httpx.Client(base_url=gw.url, headers={"authorization": f"Bearer {gw.secret}"}) as c,
        c.stream("POST", "/v1/chat/completions", json=body) as r,
    ):
        for chunk in r.iter_raw():
            frames.append((time.monotonic(), chunk))
    text = b"".join(c for _, c in frames)
    assert text.rstrip().endswith(b"data: [DONE]") and text.count(b"[DONE]") == 1
    done_at = next(t for t, c in frames if b"[DONE]" in c)
    content_at = max(t for t, c in frames if b'"content"' in c and b"[DONE]" not in c)
    assert len(ended) == 1 and done_at >= ended[0] >= content_at


def test_a_journal_that_refuses_gives_503_never_an_unrecorded_answer(
    start_gateway: Callable[..., Gateway],
) -> None:
    gw = start_gateway()
    journal = gw.recorder.journal
    assert journal is not None

    def full(line: bytes) -> int:
        raise JournalError("journal /x cannot be written: [Errno 28] No space left on device")

    journal.append = full  # type: ignore[method-assign]
    client = gw.client()
    with pytest.raises(openai.InternalServerError) as err:
        client.chat.completions.create(model="sim-small", messages=ASK)
    assert err.value.status_code == 503
    assert err.value.response.headers["retry-after"] == "5"
    assert err.value.code == "event_log_unavailable"
    stream = client.chat.completions.create(model="sim-small", messages=ASK, stream=True)
    with pytest.raises(openai.APIError, match="cannot record requests"):
        list(stream)  # the headers were sent: the stream ends with an error, not [DONE]
    with pytest.raises(openai.InternalServerError):  # a refusal is an event too: also 503
        client.chat.completions.create(model="no-such-model", messages=ASK)


def _recorder(folder: Path, **events: Any) -> tuple[EventRecorder, Any]:
    settings = gateway_settings(folder, events={"save_state_s": 0, **events})
    store = open_store(settings)
    return EventRecorder(settings.events, GatewayMetrics(), store), store


def _event(i: int) -> dict[str, Any]:
    return {
        "ts": 1_800_000_000.0 + i,
        "account": "acct_a",
        "request": {"model": "m", "messages": [{"role": "user", "content": f"q{i}"}]},
        "response": {"choices": [{"message": {"role": "assistant", "content": "a"}}]},
    }


def _logged(folder: Path) -> list[str]:
    out = []
    for path in sorted((folder / "events").glob("events-*.jsonl")):
        out += [
            orjson.loads(x)["request"]["messages"][0]["content"]
            for x in path.read_bytes().splitlines()
        ]
    return out


def test_a_restart_takes_what_came_after_the_checkpoint_once(tmp_path: Path) -> None:
    async def first_run() -> None:
        recorder, store = _recorder(tmp_path)
        await recorder.start()
        await asyncio.gather(*(recorder.submit(_event(i)) for i in range(5)))
        await recorder.stop()  # the checkpoint: 5 events in effect
        store.close()

    asyncio.run(first_run())
    # A crash after the checkpoint: 3 more events journaled (acknowledged), and the log got
    # one of them written before the process died.
    journal = Journal(tmp_path / "events" / "journal", sync="write")
    for i in range(5, 8):
        journal.append(orjson.dumps(_event(i)))
    journal.close()
    (log,) = (tmp_path / "events").glob("events-*.jsonl")
    with log.open("ab") as fh:
        fh.write(orjson.dumps({**_event(5), "ts": "2027-01-15T08:00:05Z"}) + b"\n")

    async def second_run() -> EventRecorder:
        recorder, store = _recorder(tmp_path)
        await recorder.start()
        await recorder.stop()
        store.close()
        return recorder

    recorder = asyncio.run(second_run())
    assert _logged(tmp_path) == [f"q{i}" for i in range(8)]  # each once, in order
    assert recorder.analyzer is not None and recorder.analyzer.events == 8


def test_a_checkpoint_before_reading_on_keeps_what_the_last_one_said(tmp_path: Path) -> None:
    """Killed again right after a restart, the gateway must still know that offsets 6 and 7
    took effect before the first crash, and that 5 did not."""
    recorder, store = _recorder(tmp_path)
    before = Position(next_offset=8, held=frozenset({5}), log_file=None, log_size=0)
    store.save_detector_state({POSITION_KEY: before.to_bytes()})
    follower = recorder.follower
    assert follower is not None
    follower.restore()
    follower.save()  # what `start` does before the follower reads anything
    saved = Position.from_bytes(store.load_detector_state()[POSITION_KEY])
    follower.log.close()
    store.close()
    assert (saved.next_offset, saved.held) == (8, frozenset({5}))
    assert [o for o in range(10) if saved.done(o)] == [0, 1, 2, 3, 4, 6, 7]
