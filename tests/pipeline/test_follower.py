"""A follower records each event as soon as it may: in the same order, with the same late
ones, as when it read a whole batch before releasing any."""

from __future__ import annotations

import itertools
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distillguard.pipeline import follower as follower_module
from distillguard.pipeline.follower import Follower
from distillguard.pipeline.worker import WorkerCounters
from distillguard.settings import EventSettings

_T0 = 1_800_000_000.0


def _record(i: int, ts: float) -> bytes:
    return orjson.dumps(
        {
            "ts": ts,
            "account": f"a{i % 3}",
            "request": {"messages": [{"role": "user", "content": f"q{i}"}]},
            "_meta": {"tier": "open"},
            "_id": f"b-{i}",
        }
    )


def _run(
    folder: Path,
    records: list[bytes],
    sizes: list[int],
    whole_batches: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[list[bytes], int]:
    """(log lines, late events) of a follower fed `records` in batches of `sizes`."""
    with monkeypatch.context() as m:
        if whole_batches:  # as before: every batch read whole, then released
            m.setattr(Follower, "_hints", lambda self, batch: None)
        clock = itertools.count(_T0 + 100)
        m.setattr(follower_module.time, "time", lambda: float(next(clock)))
        events = EventSettings(dir=folder, reorder_window_s=2.0, trust_event_time=True)
        follower = Follower(events, WorkerCounters(), None)
        follower.restore()
        pending = list(enumerate(records))
        for size in itertools.cycle(sizes):
            if not pending:
                break
            batch, pending = pending[:size], pending[size:]
            follower.take(batch)
        follower.take([], final=True)
        follower.close()
    lines = [x for p in sorted(folder.glob("events-*.jsonl")) for x in p.read_bytes().splitlines()]
    return lines, follower.buffer.late


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.floats(min_value=-5.0, max_value=5.0), min_size=1, max_size=60),
    st.lists(st.integers(min_value=1, max_value=20), min_size=1, max_size=5),
)
def test_released_at_once_as_if_read_whole(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    jitter: list[float],
    sizes: list[int],
) -> None:
    # Arrivals a second apart, each finished up to 5 s early or late: some come too late.
    records = [_record(i, _T0 + i + j) for i, j in enumerate(jitter)]
    now = _run(tmp_path_factory.mktemp("now"), records, sizes, False, monkeypatch)
    whole = _run(tmp_path_factory.mktemp("whole"), records, sizes, True, monkeypatch)
    assert now == whole
    assert len(now[0]) == len(records)


def test_late_ones_are_the_same_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jitter = [0, 4.5, -4, 0, 3, -4.5, 0, 0, -3, 2, 0, 0]
    records = [_record(i, _T0 + i + j) for i, j in enumerate(jitter)]
    now = _run(tmp_path / "now", records, [3, 1, 5], False, monkeypatch)
    assert now == _run(tmp_path / "whole", records, [3, 1, 5], True, monkeypatch)
    assert now[1] > 0


def test_a_record_not_as_the_gateway_writes_it_is_read_with_its_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [_record(i, _T0 + i) for i in range(4)]
    records[2] = orjson.dumps({"account": "a", "ts": _T0 + 1.5, "request": {"messages": []}})
    lines, late = _run(tmp_path, records, [4], False, monkeypatch)
    assert [orjson.loads(x)["ts"][-7:] for x in lines] == [
        "00.000Z",
        "01.000Z",
        "01.500Z",
        "03.000Z",
    ]
    assert late == 0
