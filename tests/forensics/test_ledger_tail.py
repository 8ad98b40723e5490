"""Reopening after a crash: the unsigned tail is checked against the chain before it is signed.

The crashed ledger: 25 records, a checkpoint after every 10th, one file, the process killed
after record 25 (flushed, never closed). Record n is on line n + (n - 1) // 10, so records
21..25 (unsigned) are on lines 23..27 and the last checkpoint (record 20) on line 22.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import Keys, dump, edited, event, line_of, make_keys, obj, read, write

from distillguard.errors import LedgerTailError
from distillguard.forensics import Ledger, PromptHasher, ledger_tail, verify_ledger
from distillguard.forensics.ledger_files import ledger_files

LOGGER = "distillguard.forensics.ledger"
OTHER = "ab" * 32  # a well-formed hash that is no record's


def crash(ledger: Ledger) -> None:
    """What a killed process leaves: flushed records, no closing checkpoint, the lock freed."""
    ledger.flush()
    assert ledger._fh is not None and ledger._lock is not None
    ledger._fh.close()
    ledger._fh = None
    ledger._lock.close()
    ledger._lock = None


def crashed(folder: Path, keys: Keys, n: int = 25, every: int = 10, **kwargs: Any) -> Path:
    ledger = Ledger(folder, keys.signer, checkpoint_every=every, **kwargs)
    for i in range(1, n + 1):
        ledger.append(event(i))
    crash(ledger)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "ledger.lock"}


def test_a_tail_that_chains_is_checked_then_signed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keys = make_keys(tmp_path)
    folder = crashed(tmp_path / "ledger", keys)
    before = verify_ledger(folder, keys.verifier)
    assert before.ok and (before.signed and before.signed.seq, before.unsigned) == (20, 5)
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with Ledger(folder, keys.signer, checkpoint_every=10) as reopened:
        assert (reopened.seq, reopened.signed_seq) == (25, 25)  # signed on opening
        reopened.append(event(26))
    assert "records 21..25 were never signed" in caplog.text
    assert "they chain from the last checkpoint" in caplog.text
    report = verify_ledger(folder, keys.verifier)
    assert report.ok, report.summary()
    assert (report.records, report.checkpoints, report.signed and report.signed.seq) == (26, 4, 26)


def test_a_ledger_without_checkpoints_chains_from_the_genesis(tmp_path: Path) -> None:
    keys = make_keys(tmp_path)
    good = crashed(tmp_path / "good", keys, n=5, every=100)
    with Ledger(good, keys.signer) as reopened:
        assert (reopened.seq, reopened.signed_seq) == (5, 5)
    assert verify_ledger(good, keys.verifier).ok
    bad = crashed(tmp_path / "bad", keys, n=5, every=100)
    path = bad / "ledger-000001.jsonl"
    lines = read(path)
    lines[0] = dump({**obj(lines[0]), "prev": OTHER})
    write(path, lines)
    with pytest.raises(LedgerTailError) as caught:
        Ledger(bad, keys.signer)
    assert (caught.value.line, caught.value.seq) == (1, 1)
    assert caught.value.problem.startswith("prev mismatch")
    assert "0000000000000000…, the genesis:" in caught.value.problem


def test_hashed_prompts_are_checked_without_the_secret(tmp_path: Path) -> None:
    keys = make_keys(tmp_path)
    hasher = PromptHasher(b"a secret of 16+ bytes")
    folder = crashed(tmp_path / "ledger", keys, hasher=hasher)
    with Ledger(folder, keys.signer, checkpoint_every=10) as reopened:  # no hasher given
        assert reopened.signed_seq == 25
    assert verify_ledger(folder, keys.verifier).ok


def edit_event(lines: list[bytes]) -> list[bytes]:
    lines[line_of(23) - 1] = edited(lines[line_of(23) - 1], account="acct_someone_else")
    return lines


def delete_middle(lines: list[bytes]) -> list[bytes]:
    del lines[line_of(23) - 1]
    return lines


def rewrite_prev(lines: list[bytes]) -> list[bytes]:
    lines[line_of(24) - 1] = dump({**obj(lines[line_of(24) - 1]), "prev": OTHER})
    return lines


def rewrite_first_prev(lines: list[bytes]) -> list[bytes]:
    lines[line_of(21) - 1] = dump({**obj(lines[line_of(21) - 1]), "prev": OTHER})
    return lines


def edit_last(lines: list[bytes]) -> list[bytes]:
    lines[-1] = edited(lines[-1], status=500)
    return lines


def garble(lines: list[bytes]) -> list[bytes]:
    lines[line_of(22) - 1] = lines[line_of(22) - 1][:-5]  # a complete line, not JSON
    return lines


CASES: list[tuple[Callable[[list[bytes]], list[bytes]], int, int | None, str]] = [
    (edit_event, line_of(23), 23, "hash mismatch: "),
    (delete_middle, line_of(23), 24, "seq gap: expected record 23 after record 22, found 24"),
    (rewrite_prev, line_of(24), 24, "prev mismatch: its prev is abababababababab…"),
    (rewrite_first_prev, line_of(21), 21, "prev mismatch: its prev is abababababababab…, not "),
    (edit_last, line_of(25), 25, "hash mismatch: "),
    (garble, line_of(22), 22, "not a record: the line is not valid JSON"),
]


@pytest.mark.parametrize(
    ("tamper", "line", "seq", "problem"), CASES, ids=[c[0].__name__ for c in CASES]
)
def test_a_tail_that_does_not_chain_is_reported_and_left_alone(
    tmp_path: Path,
    tamper: Callable[[list[bytes]], list[bytes]],
    line: int,
    seq: int | None,
    problem: str,
) -> None:
    keys = make_keys(tmp_path)
    folder = crashed(tmp_path / "ledger", keys)
    path = folder / "ledger-000001.jsonl"
    write(path, tamper(read(path)))
    before = snapshot(folder)
    with pytest.raises(LedgerTailError) as caught:
        Ledger(folder, keys.signer, checkpoint_every=10)
    err = caught.value
    assert (err.path, err.line, err.seq) == (str(path), line, seq)
    assert err.problem.startswith(problem), err.problem
    assert str(err).startswith(f"{path}:{line}: record {seq}: {problem}")
    if tamper is rewrite_first_prev:  # the first unsigned record chains from the checkpoint
        assert f"the hash that the last checkpoint (record 20, at {path}:22) signed" in str(err)
    assert f"`distillguard ledger verify {folder}`" in str(err)
    assert f"move {folder} aside" in str(err)
    assert snapshot(folder) == before  # nothing signed, cut or appended
    assert path.read_bytes().count(b'{"checkpoint"') == 2  # at records 10 and 20, no more
    with pytest.raises(LedgerTailError):  # the lock was freed: the same answer again
        Ledger(folder, keys.signer, checkpoint_every=10)


def test_the_message_names_place_record_problem_and_fix(tmp_path: Path) -> None:
    keys = make_keys(tmp_path)
    folder = crashed(tmp_path / "ledger", keys)
    path = folder / "ledger-000001.jsonl"
    write(path, delete_middle(read(path)))
    with pytest.raises(LedgerTailError) as caught:
        Ledger(folder, keys.signer)
    assert str(caught.value) == (
        f"{path}:25: record 24: seq gap: expected record 23 after record 22, found 24. The "
        "records after the last checkpoint were never signed and do not chain, so none was "
        f"signed and no file was changed: run `distillguard ledger verify {folder}` to see "
        f"what holds, then move {folder} aside (keep it as evidence) to start a new chain in "
        "an empty folder"
    )


def rotated_crash(folder: Path, keys: Keys) -> Ledger:
    """Records in at least three files, the last holding 3 records and no checkpoint."""
    ledger = Ledger(folder, keys.signer, checkpoint_every=1000, rotate_bytes=4096)
    i = since = 0
    while ledger._number < 3 or since < 3:
        i += 1
        number = ledger._number
        ledger.append(event(i))
        since = 1 if ledger._number != number else since + 1
    crash(ledger)
    return ledger


def test_the_tail_of_a_rotated_ledger_chains_from_the_file_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = make_keys(tmp_path)
    folder = tmp_path / "ledger"
    seq = rotated_crash(folder, keys).seq
    files = ledger_files(folder)
    last, previous = read(files[-1]), read(files[-2])
    assert len(last) == 3 and not any("checkpoint" in obj(x) for x in last)
    assert obj(previous[-1])["checkpoint"]["seq"] == seq - 3 == obj(last[0])["seq"] - 1
    walked: list[Path] = []
    original = ledger_tail.read_lines

    def spy(path: Path, start: int = 0, first: int = 1) -> Any:
        walked.append(path)
        return original(path, start, first)

    monkeypatch.setattr(ledger_tail, "read_lines", spy)
    with Ledger(folder, keys.signer, rotate_bytes=4096) as reopened:
        assert (reopened.seq, reopened.signed_seq) == (seq, seq)
    assert set(walked) == {files[-1]}  # only the last file is read through
    report = verify_ledger(folder, keys.verifier)
    assert report.ok and report.records == seq, report.summary()
    walked.clear()
    with Ledger(folder, keys.signer, rotate_bytes=4096):  # closed cleanly: nothing to walk
        pass
    assert walked == []


@pytest.mark.parametrize("where", ["first_prev", "first_deleted", "anchor_removed"])
def test_a_bad_tail_after_a_rotation_is_reported(tmp_path: Path, where: str) -> None:
    keys = make_keys(tmp_path)
    folder = tmp_path / "ledger"
    seq = rotated_crash(folder, keys).seq
    files = ledger_files(folder)
    last, previous = read(files[-1]), read(files[-2])
    if where == "first_prev":
        write(files[-1], [dump({**obj(last[0]), "prev": OTHER}), *last[1:]])
        want = (str(files[-1]), 1, seq - 2, "prev mismatch")
    elif where == "first_deleted":
        write(files[-1], last[1:])
        want = (str(files[-1]), 1, seq - 1, f"seq gap: expected record {seq - 2} after the last")
    else:
        write(files[-2], previous[:-1])
        want = (str(files[-2]), len(previous) - 1, seq - 3, f"the file ends with record {seq - 3}")
    before = snapshot(folder)
    with pytest.raises(LedgerTailError) as caught:
        Ledger(folder, keys.signer, rotate_bytes=4096)
    err = caught.value
    assert (err.path, err.line, err.seq) == want[:3]
    assert err.problem.startswith(want[3]), err.problem
    if where != "anchor_removed":
        assert f"at the end of {files[-2]}" in err.problem  # the anchor is named
    assert snapshot(folder) == before


def test_a_cut_last_line_is_dropped_and_the_rest_signed(tmp_path: Path) -> None:
    keys = make_keys(tmp_path)
    folder = crashed(tmp_path / "ledger", keys, n=14)
    path = folder / "ledger-000001.jsonl"
    complete = path.read_bytes()
    with open(path, "ab") as fh:
        fh.write(b'{"seq":15,"prev":"ab')  # a write the crash cut short
    with Ledger(folder, keys.signer, checkpoint_every=10) as reopened:
        assert (reopened.seq, reopened.signed_seq) == (14, 14)
    lines = read(path)
    assert path.read_bytes().startswith(complete) and b'"prev":"ab\n' not in path.read_bytes()
    assert obj(lines[-1])["checkpoint"]["seq"] == 14 and len(lines) == line_of(14) + 1
    report = verify_ledger(folder, keys.verifier)
    assert report.ok and report.records == 14, report.summary()


def test_a_cut_line_after_a_bad_tail_stays(tmp_path: Path) -> None:
    keys = make_keys(tmp_path)
    folder = crashed(tmp_path / "ledger", keys)
    path = folder / "ledger-000001.jsonl"
    write(path, edit_event(read(path)))
    with open(path, "ab") as fh:
        fh.write(b'{"seq":26,"prev":"ab')
    before = snapshot(folder)
    with pytest.raises(LedgerTailError, match="hash mismatch"):
        Ledger(folder, keys.signer)
    assert snapshot(folder) == before
