"""The journal: offsets without gaps across segments and reopenings, group commit, torn tails."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson
import pytest

from distillguard.pipeline.journal import (
    Commit,
    Journal,
    JournalError,
    JournalReader,
    release_segments,
    segments,
)
from distillguard.pipeline.position import Position


def _line(i: int) -> bytes:
    return orjson.dumps({"i": i, "pad": "x" * 50})


def _all(folder: Path) -> list[tuple[int, bytes]]:
    reader = JournalReader(folder)
    try:
        return list(reader.lines())
    finally:
        reader.close()


def test_offsets_run_on_across_segments_and_reopening(tmp_path: Path) -> None:
    journal = Journal(tmp_path, sync="write", segment_bytes=300)
    assert [journal.append(_line(i)) for i in range(10)] == list(range(10))
    journal.close()
    again = Journal(tmp_path, sync="write", segment_bytes=300)
    assert again.append(_line(10)) == 10
    again.close()
    assert len(segments(tmp_path)) >= 3
    reader = JournalReader(tmp_path)
    got = list(reader.lines())
    assert [o for o, _ in got] == list(range(11))
    assert [orjson.loads(b)["i"] for _, b in got] == list(range(11))
    assert [o for o, _ in reader.read(7, limit=2)] == [7, 8]  # a seek into a middle segment
    reader.close()


def test_a_torn_last_record_is_dropped_on_reopening(tmp_path: Path) -> None:
    journal = Journal(tmp_path, sync="write")
    for i in range(3):
        journal.append(_line(i))
    journal.close()
    (_, path), *_ = segments(tmp_path)
    with path.open("ab") as fh:
        fh.write(b'{"i": 3, "pad": "xx')  # a write cut short: no newline
    assert [o for o, _ in _all(tmp_path)] == [0, 1, 2]  # the cut record is never read
    again = Journal(tmp_path, sync="write")
    assert again.append(_line(3)) == 3  # the cut record's offset is given to the next one
    again.close()
    assert [orjson.loads(b)["i"] for _, b in _all(tmp_path)] == [0, 1, 2, 3]


SYNC = "fdatasync" if hasattr(os, "fdatasync") else "fsync"  # what the journal calls
COMMITS = pytest.mark.parametrize("commit", ["loop", "thread"])


@COMMITS
def test_durable_waits_for_the_fsync_and_one_fsync_serves_many(
    tmp_path: Path, commit: Commit
) -> None:
    async def go() -> int:
        journal = Journal(tmp_path, sync="fsync", commit=commit)
        calls = 0
        real = getattr(os, SYNC)

        def counting(fd: int) -> None:
            nonlocal calls
            calls += 1
            real(fd)

        setattr(os, SYNC, counting)
        try:
            offsets = [journal.append(_line(i)) for i in range(200)]
            await asyncio.gather(*(journal.durable(o) for o in offsets))
        finally:
            setattr(os, SYNC, real)
            journal.close()
        return calls

    fsyncs = asyncio.run(go())
    assert 1 <= fsyncs < 20  # grouped: 200 waiters, a handful of fsyncs


@COMMITS
def test_a_failing_disk_fails_the_waiters_instead_of_hanging(
    tmp_path: Path, commit: Commit
) -> None:
    async def go() -> None:
        journal = Journal(tmp_path, sync="fsync", commit=commit)
        real = getattr(os, SYNC)

        def broken(fd: int) -> None:
            raise OSError(5, "Input/output error")

        setattr(os, SYNC, broken)
        try:
            offset = journal.append(_line(0))
            with pytest.raises(JournalError, match="Input/output error"):
                await asyncio.wait_for(journal.durable(offset), timeout=5)
            with pytest.raises(JournalError, match="cannot be written"):
                journal.append(_line(1))
        finally:
            setattr(os, SYNC, real)
            journal._closing = True  # the syncer has stopped; nothing is left to fsync
            journal._lock.close()

    asyncio.run(go())


def test_one_writer_per_folder(tmp_path: Path) -> None:
    journal = Journal(tmp_path, sync="write")
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from distillguard.pipeline.journal import Journal, JournalError
        try:
            Journal(Path({str(tmp_path)!r}))
        except JournalError as err:
            print(err)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    journal.close()
    assert "written by another process" in out.stdout


def test_segments_are_released_only_when_every_record_is_read(tmp_path: Path) -> None:
    journal = Journal(tmp_path, sync="write", segment_bytes=300)
    for i in range(12):
        journal.append(_line(i))
    journal.close()
    bases = [b for b, _ in segments(tmp_path)]
    assert release_segments(tmp_path, bases[1]) == 1  # the first segment is below offset bases[1]
    assert [b for b, _ in segments(tmp_path)] == bases[1:]
    release_segments(tmp_path, 10_000)
    assert [b for b, _ in segments(tmp_path)] == bases[-1:]  # the newest always stays


def test_position_says_what_took_effect_and_round_trips() -> None:
    pos = Position(next_offset=10, held=frozenset({7, 9}), log_file="events-x.jsonl", log_size=5)
    assert pos.resume_from() == 7
    assert [o for o in range(12) if pos.done(o)] == [0, 1, 2, 3, 4, 5, 6, 8]
    assert Position.from_bytes(pos.to_bytes()) == pos
    with pytest.raises(ValueError, match="version"):
        Position.from_bytes(b'{"v": 9}')


@COMMITS
def test_rotating_under_group_commit_never_fsyncs_a_closed_segment(
    tmp_path: Path, commit: Commit
) -> None:
    """The syncer fsyncs and closes rotated segments while appends go on: it must never take
    a segment it has closed for the current one (that failed with EBADF under load)."""

    real_open = os.open

    def slow_open(path: object, *args: object) -> int:
        if "journal-" in str(path):  # a new segment: let the syncer run meanwhile
            time.sleep(0.002)
        return real_open(path, *args)  # type: ignore[arg-type]

    async def go() -> None:
        journal = Journal(tmp_path, sync="fsync", segment_bytes=256, commit=commit)
        try:
            for _ in range(40):
                offsets = []
                for i in range(25):
                    offsets.append(journal.append(_line(i)))
                    journal.durable(offsets[-1])  # keeps the syncer busy through rotations
                await asyncio.gather(*(journal.durable(o) for o in offsets))
        finally:
            journal.close()

    os.open = slow_open  # type: ignore[assignment]
    try:
        asyncio.run(go())
    finally:
        os.open = real_open
    assert len(segments(tmp_path)) > 100
    assert [o for o, _ in _all(tmp_path)] == list(range(1000))


def test_a_loop_flush_queued_at_close_is_no_failure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def go() -> None:
        journal = Journal(tmp_path, sync="fsync", commit="loop")
        waiter = journal.durable(journal.append(_line(0)))  # its flush is queued on the loop
        journal.close()  # before that flush runs
        await asyncio.wait_for(waiter, timeout=5)

    asyncio.run(go())
    assert "fsync failed" not in caplog.text
    assert [o for o, _ in _all(tmp_path)] == [0]
