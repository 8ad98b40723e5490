"""Two stream workers and a linker, on NATS JetStream and one store: a walk network whose
members hash to both partitions is linked as one, and the workers flag it."""

from __future__ import annotations

import asyncio
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import nats
import nats.js.errors
import orjson
import pytest

from distillguard.detect.engine import CAMPAIGNS, Analyzer
from distillguard.events import Event
from distillguard.pipeline.jetstream import EventPublisher, partition_of
from distillguard.pipeline.jetstream_source import stream_config
from distillguard.pipeline.linker import LINKED, run_linker
from distillguard.pipeline.view import DetectionView
from distillguard.pipeline.worker import run_worker
from distillguard.settings import Settings, load_settings
from distillguard.store import Store, open_store
from distillguard.store.detector_state import decode, shared_key

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "detect"))
from traffic import event, network, population


class Loop:
    """A coroutine run on a loop of its own thread, as its process would run it."""

    def __init__(self, make: Callable[[asyncio.Event], object]) -> None:
        self.loop = asyncio.new_event_loop()
        self.stop = asyncio.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(make,), daemon=True)
        self.thread.start()

    def _run(self, make: Callable[[asyncio.Event], object]) -> None:
        try:
            self.loop.run_until_complete(make(self.stop))  # type: ignore[arg-type]
        except BaseException as err:
            self.error = err
        finally:
            self.loop.close()

    def close(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "did not stop"
        if self.error is not None:
            raise self.error


@pytest.fixture
def settings(tmp_path: Path, nats_url: str) -> Iterator[Settings]:
    tag = secrets.token_hex(4)
    s = load_settings(
        overrides={
            "database_url": f"sqlite:///{tmp_path / 'dg.db'}",
            "events": {
                "dir": str(tmp_path / "events"),
                "reorder_window_s": 0.05,
                "trust_event_time": True,  # a replay: the events' own clock
                "save_state_s": 0.1,
            },
            "pipeline": {
                "transport": "nats",
                "nats_url": nats_url,
                "stream": f"DG_TEST_{tag}",
                "subject_prefix": f"dgtest.{tag}",
                "partitions": 2,
                "linker": True,
                "linker_poll_s": 0.05,
            },
        }
    )
    yield s
    asyncio.run(_delete_stream(s))


async def _delete_stream(s: Settings) -> None:
    client = await nats.connect(s.pipeline.nats_url, allow_reconnect=False, connect_timeout=2)
    try:
        await client.jetstream().delete_stream(s.pipeline.stream)
    except nats.js.errors.NotFoundError:
        pass
    finally:
        await client.close()


async def _publish(s: Settings, events: list[Event], first: int) -> None:
    publisher = await EventPublisher.connect(stream_config(s.pipeline))
    try:
        for i, ev in enumerate(events, start=first):
            await publisher.publish(orjson.dumps(dict(ev.raw)), ev.account, msg_id=f"ev-{i}")
    finally:
        await publisher.close()


def _shared(store: Store, p: int) -> dict:
    blob = store.load_detector_state_keys([shared_key(CAMPAIGNS, p)]).get(shared_key(CAMPAIGNS, p))
    return decode(blob) if blob is not None else {}


def _wait(what: str, ok: Callable[[], bool], timeout_s: float = 30.0) -> None:
    end = time.monotonic() + timeout_s
    while not ok():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_workers_adopt_the_linkers_campaign_across_partitions(settings: Settings) -> None:
    events = sorted(
        population(event, accounts=40, n=60, gap=1000) + network(event), key=lambda e: e.ts
    )
    members = sorted({e.account for e in events if e.account.startswith("net")})
    assert {partition_of(m, 2) for m in members} == {0, 1}
    half = len(events) // 2
    store = open_store(settings)
    workers = [Loop(lambda stop, p=p: run_worker(settings, partition=p, stop=stop)) for p in (0, 1)]
    linker = Loop(lambda stop: run_linker(settings, stop=stop, store=store, poll_s=0.05))
    try:
        asyncio.run(_publish(settings, events[:half], 0))

        def adopted() -> bool:
            blob = store.load_detector_state_keys([LINKED]).get(LINKED)
            if blob is None:
                return False
            view = decode(blob)
            whole = any(set(members) <= set(c["members"]) for c in view["campaigns"].values())
            return whole and all(_shared(store, p).get("view_ts") == view["ts"] for p in (0, 1))

        _wait("both workers to adopt a view that links the whole network", adopted)
        asyncio.run(_publish(settings, events[half:], half))
    finally:
        for w in workers:
            w.close()
        linker.close()
    saved = store.load_detector_state()
    shown = DetectionView(store).analyzer()  # what the console and admin API read
    store.close()
    states = {a: decode(b) for a, b in saved.items() if not a.startswith("#")}
    assert len(states) == len({e.account for e in events})  # every account, once
    analyzer = Analyzer()
    analyzer.restore(states)
    campaigns = {analyzer.tracks[m].campaign for m in members}
    assert len(campaigns) == 1 and None not in campaigns
    flagged = {a for a, t in analyzer.tracks.items() if t.over >= analyzer.config.flag_after}
    assert len(flagged & set(members)) >= 0.8 * len(members), sorted(flagged)
    assert not any(a.startswith("peer") for a in flagged)
    (cid,) = campaigns
    assert sorted(shown.campaign_members[cid]) == members  # one campaign, both partitions
    assert shown.tracks[members[0]].campaign == cid
