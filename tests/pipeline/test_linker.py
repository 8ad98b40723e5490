"""The linker process's side: it reads the workers' saved states from the store, links when
every partition has reached the time, and the workers' pollers take its view once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from distillguard.detect.engine import CAMPAIGNS, Analyzer
from distillguard.events import parse_event
from distillguard.pipeline import linker as linker_module
from distillguard.pipeline.jetstream import partition_of
from distillguard.pipeline.linker import IDLE_S, LINKED, Linker, ViewPoller
from distillguard.pipeline.position import POSITION_KEY, Position
from distillguard.settings import Settings, load_settings
from distillguard.store import Store, open_store
from distillguard.store.detector_state import encode, shared_key

T0 = 1.8e9


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        overrides={
            "database_url": f"sqlite:///{tmp_path / 'dg.db'}",
            "events": {"dir": str(tmp_path / "events")},
            "pipeline": {"transport": "nats", "partitions": 2, "linker": True},
        }
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    s = open_store(settings)
    yield s
    s.close()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The linker's monotonic clock, moved by the test: clock[0] += seconds."""
    now = [1000.0]
    monkeypatch.setattr(linker_module.time, "monotonic", lambda: now[0])
    return now


def _workers(make_event: Callable[..., dict[str, Any]]) -> list[Analyzer]:
    """Two partitions' analyzers over 24 accounts of 6 requests each."""
    analyzers = [Analyzer(), Analyzer()]
    for i in range(6):
        for k in range(24):
            account = f"acct{k:02d}"
            messages = [{"role": "user", "content": f"question {i} of account {k}"}]
            raw = make_event(ts=T0 + 60 * i + k, account=account, request={"messages": messages})
            analyzers[partition_of(account, 2)].process(parse_event(raw))
    return analyzers


def _save(store: Store, an: Analyzer, partition: int, last_ts: float | None) -> None:
    """As a worker's follower saves: accounts, its shared keys per partition, its position."""
    blobs = {}
    for key, state in an.take_changes().items():
        blobs[shared_key(key, partition) if key == CAMPAIGNS else key] = encode(state)
    if last_ts is not None:
        blobs[shared_key(POSITION_KEY, partition)] = Position(last_ts=last_ts).to_bytes()
    store.save_detector_state(blobs)


def test_it_waits_for_every_partition_then_links_all_accounts(
    settings: Settings, store: Store, make_event: Callable[..., dict[str, Any]]
) -> None:
    w0, w1 = _workers(make_event)
    assert w0.tracks and w1.tracks
    linker = Linker(settings, store)
    _save(store, w0, 0, T0 + 400)
    _save(store, w1, 1, None)  # its worker has not checkpointed a position yet
    assert linker.step() is None
    assert LINKED not in store.load_detector_state_keys([LINKED])
    store.save_detector_state({shared_key(POSITION_KEY, 1): Position(last_ts=T0 + 300).to_bytes()})
    view = linker.step()
    assert view is not None and view.ts == T0 + 300  # the time both partitions reached
    assert view.accounts == 24 == len(w0.tracks) + len(w1.tracks)
    assert len(view.population) == 24
    assert linker.step() is None  # nothing new: not due again


def test_a_worker_takes_each_view_once_and_a_restarted_linker_goes_on(
    settings: Settings, store: Store, make_event: Callable[..., dict[str, Any]]
) -> None:
    w0, w1 = _workers(make_event)
    _save(store, w0, 0, T0 + 400)
    _save(store, w1, 1, T0 + 400)
    poller = ViewPoller(store, poll_s=0.0)
    assert poller.poll() is None  # no view yet
    view = Linker(settings, store).step()
    assert view is not None
    got = poller.poll()
    assert got is not None and got.ts == view.ts and got.accounts == 24
    assert poller.poll() is None  # the same view: not again
    w0.adopt(got)
    assert w0.view_ts == view.ts and len(w0.population) == 24
    restarted = Linker(settings, store)
    assert restarted.step() is None  # its last view is a link period from due
    assert restarted.accounts == 24  # read again (kept undecoded until a linking is due)


def test_an_unreadable_view_is_reported_not_adopted(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    store.save_detector_state({LINKED: b"not a state"})
    assert ViewPoller(store, poll_s=0.0).poll() is None
    assert "linked view not adopted: detector state unreadable" in caplog.text


def test_the_linker_refuses_the_embedded_journal_with_the_fix(tmp_path: Path) -> None:
    from distillguard.errors import ConfigError
    from distillguard.pipeline.run import link_until_signalled

    journal = load_settings(overrides={"database_url": f"sqlite:///{tmp_path / 'dg.db'}"})
    with pytest.raises(ConfigError, match=r"pipeline\.transport.*transport = 'nats'"):
        link_until_signalled(journal)


def test_an_idle_partition_stops_holding_the_others_back(
    settings: Settings,
    store: Store,
    make_event: Callable[..., dict[str, Any]],
    clock: list[float],
) -> None:
    w0, w1 = _workers(make_event)
    _save(store, w0, 0, T0 + 400)
    _save(store, w1, 1, T0 + 100)  # behind, and it stays there
    linker = Linker(settings, store)
    linker.step()
    assert linker.stream_time(clock[0]) == T0 + 100  # both moving: the least
    clock[0] += IDLE_S - 1
    position = Position(next_offset=9, last_ts=T0 + 5000)
    store.save_detector_state({shared_key(POSITION_KEY, 0): position.to_bytes()})
    linker.step()
    assert linker.stream_time(clock[0]) == T0 + 100 and not linker.idle
    clock[0] += 1  # partition 1 has not moved for IDLE_S; partition 0 moved a second ago
    assert linker.stream_time(clock[0]) == T0 + 5000
    assert linker.idle == {1}
    clock[0] += IDLE_S  # neither moves: the greatest
    assert linker.stream_time(clock[0]) == T0 + 5000 and linker.idle == {0, 1}


def test_a_partition_without_traffic_is_waited_for_only_until_it_is_idle(
    settings: Settings,
    store: Store,
    make_event: Callable[..., dict[str, Any]],
    clock: list[float],
) -> None:
    for worker in _workers(make_event):  # every account in partition 0, as with few accounts
        _save(store, worker, 0, T0 + 400)
    empty = Position()  # its worker runs, but no event has come to its partition
    store.save_detector_state({shared_key(POSITION_KEY, 1): empty.to_bytes()})
    linker = Linker(settings, store)
    assert linker.step() is None  # it may still get events: wait
    clock[0] += IDLE_S
    view = linker.step()
    assert view is not None and view.ts == T0 + 400 and linker.idle == {0, 1}


def test_a_state_it_cannot_read_is_reported_and_the_rest_linked(
    settings: Settings,
    store: Store,
    make_event: Callable[..., dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    w0, w1 = _workers(make_event)
    _save(store, w0, 0, T0 + 400)
    _save(store, w1, 1, T0 + 400)
    store.save_detector_state({"acct_broken": encode({"not": "a track"})})
    view = Linker(settings, store).step()
    assert view is not None and view.accounts == 24
    assert "account acct_broken: state not linked: KeyError" in caplog.text


def test_states_are_decoded_only_when_a_linking_may_be_due(
    settings: Settings, store: Store, make_event: Callable[..., dict[str, Any]]
) -> None:
    w0, w1 = _workers(make_event)
    _save(store, w0, 0, T0 + 400)
    linker = Linker(settings, store)
    store.save_detector_state({shared_key(POSITION_KEY, 1): Position(last_ts=T0).to_bytes()})
    assert linker.step() is None
    assert linker.linker.accounts == 0  # fewer accounts than MIN_PEERS: nothing decoded
    _save(store, w1, 1, T0 + 400)
    assert linker.step() is not None and linker.linker.accounts == 24
