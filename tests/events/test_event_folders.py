"""An event log given as a folder: which files are read, and in which order."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from distillguard.errors import InputNotFoundError, OutOfOrderError
from distillguard.events import EventReader
from distillguard.events.reader import event_files


def touch(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).write_bytes(b"")


def test_rotations_sort_by_time_then_process_then_number(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "events-20260102T000000Z-7-0001.jsonl",
        "events-20260101T000000Z-9-10000.jsonl",  # past 9999: compared as a number
        "events-20260101T000000Z-9-9999.jsonl.gz",
        "events-20260101T000000Z-12-0001.jsonl",  # a later process in the same second
        "events.jsonl",  # a simulator's or converter's log comes first
        "labels.jsonl",
        "accounts.jsonl",
        "notes.txt",
    )
    (tmp_path / "events-in-a-folder.jsonl").mkdir()  # a folder, not a file: skipped
    assert [Path(f).name for f in event_files(tmp_path)] == [
        "events.jsonl",
        "events-20260101T000000Z-9-9999.jsonl.gz",
        "events-20260101T000000Z-9-10000.jsonl",
        "events-20260101T000000Z-12-0001.jsonl",
        "events-20260102T000000Z-7-0001.jsonl",
    ]


def test_a_rotation_being_compressed_is_read_once(tmp_path: Path) -> None:
    touch(
        tmp_path, "events-20260101T000000Z-9-0001.jsonl", "events-20260101T000000Z-9-0001.jsonl.gz"
    )
    assert [Path(f).name for f in event_files(tmp_path)] == ["events-20260101T000000Z-9-0001.jsonl"]


def test_a_file_stands_for_itself(tmp_path: Path) -> None:
    assert event_files(tmp_path / "x.jsonl") == [str(tmp_path / "x.jsonl")]
    assert event_files("-") == ["-"]


def test_a_folder_with_no_event_file_is_not_found(tmp_path: Path) -> None:
    touch(tmp_path, "labels.jsonl")
    with pytest.raises(InputNotFoundError, match=r"events\*\.jsonl or events\*\.jsonl\.gz"):
        list(EventReader(tmp_path))


def test_a_folder_reads_as_one_ordered_log(
    tmp_path: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    def rotation(seq: int, *ts: int, gz: bool = False) -> None:
        data = b"".join(orjson.dumps(make_event(ts=t)) + b"\n" for t in ts)
        name = f"events-20260101T000000Z-9-{seq:04d}.jsonl" + (".gz" if gz else "")
        (tmp_path / name).write_bytes(gzip.compress(data) if gz else data)

    rotation(1, 1, 2, gz=True)
    rotation(2, 3, 4)
    reader = EventReader(tmp_path)
    assert [e.ts for e in reader] == [1, 2, 3, 4]
    assert len(reader.files) == 2
    rotation(3, 0)  # older than the last event of rotation 2
    with pytest.raises(OutOfOrderError, match=r"-0003\.jsonl:1: field 'ts' goes back in time"):
        list(EventReader(tmp_path))


def test_lenient_readers_keep_the_first_errors(
    tmp_path: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"x\n" * 5 + orjson.dumps(make_event(ts=1)) + b"\n")
    reader = EventReader(path, lenient=True, keep=3)
    assert len(list(reader)) == 1
    assert [e.line for e in reader.errors] == [1, 2, 3]
    assert reader.skipped == {"not JSON": 5}
