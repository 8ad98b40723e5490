"""Each kind of tampering is caught, at the exact record and file:line, by the API and the CLI.

The ledger: 30 records, a checkpoint after every 10th, one file. Record n is on line
n + (n - 1) // 10; the checkpoints are on lines 11, 22 and 33.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from ledger_helpers import (
    Keys,
    build,
    dump,
    edited,
    event,
    line_of,
    make_keys,
    obj,
    read,
    write,
)
from typer.testing import CliRunner

from distillguard.cli.main import app
from distillguard.forensics import verify_ledger
from distillguard.forensics.canonical import canonical
from distillguard.forensics.ledger_format import Checkpoint

runner = CliRunner()
Tamper = Callable[[list[bytes], Keys, Path], list[bytes]]


def _rehash(lines: list[bytes], start: int) -> list[bytes]:
    """Recompute prev and hash of every record from line index `start` on, as a forger would."""
    out = list(lines)
    prev = obj(out[start - 1] if "event" in obj(out[start - 1]) else out[start - 2])["hash"]
    for i in range(start, len(out)):
        record = obj(out[i])
        if "event" not in record:
            continue
        record["prev"] = prev
        data = bytes.fromhex(prev) + record["seq"].to_bytes(8, "big") + canonical(record["event"])
        record["hash"] = prev = hashlib.sha256(data).hexdigest()
        out[i] = dump(record)
    return out


def edit_field(lines: list[bytes], keys: Keys, folder: Path) -> list[bytes]:
    lines[line_of(15) - 1] = edited(lines[line_of(15) - 1], account="acct_someone_else")
    return lines


def edit_and_rehash(lines: list[bytes], keys: Keys, folder: Path) -> list[bytes]:
    i = line_of(15) - 1
    lines[i] = edited(lines[i], status=500)
    return _rehash(lines, i)[: i + 1] + lines[i + 1 :]  # only record 15 rehashed


def delete_record(lines: list[bytes], keys: Keys, folder: Path) -> list[bytes]:
    del lines[line_of(15) - 1]
    return lines


def swap_records(lines: list[bytes], keys: Keys, folder: Path) -> list[bytes]:
    i = line_of(15) - 1
    lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return lines


def insert_forged(lines: list[bytes], keys: Keys, folder: Path) -> list[bytes]:
    """A well-formed record 15 chained to record 14, slipped in before the genuine 15."""
    before = obj(lines[line_of(14) - 1])
    forged = event(15, account="acct_framed")
    data = bytes.fromhex(before["hash"]) + (15).to_bytes(8, "big") + canonical(forged)
    record = {"seq": 15, "prev": before["hash"], "hash": hashlib.sha256(data).hexdigest()}
    lines.insert(line_of(15) - 1, dump({**record, "event": forged}))
    return lines


def edit_checkpoint(lines: list[bytes], keys: Keys, folder: Path) -> list[bytes]:
    cp = obj(lines[21])
    cp["checkpoint"]["ts"] = "2030-01-01T00:00:00.000Z"
    lines[21] = dump(cp)
    return lines


def other_key(lines: list[bytes], keys: Keys, folder: Path) -> list[bytes]:
    body = obj(lines[21])["checkpoint"]
    mallory = make_keys(folder.parent, "mallory.key").signer
    lines[21] = Checkpoint.signed(mallory, body["seq"], body["hash"], body["ts"]).to_line()[:-1]
    return lines


def other_key_posing(lines: list[bytes], keys: Keys, folder: Path) -> list[bytes]:
    """Signed by another key, but naming the genuine key's id."""
    body = obj(lines[21])["checkpoint"]
    mallory = make_keys(folder.parent, "mallory.key").signer
    forged = Checkpoint.signed(mallory, body["seq"], body["hash"], body["ts"])
    lines[21] = dump({"checkpoint": body, "sig": forged.sig})
    return lines


def rewrite_after_checkpoint(lines: list[bytes], keys: Keys, folder: Path) -> list[bytes]:
    """Record 25 edited and every later record rehashed: only the signature shows it."""
    i = line_of(25) - 1
    lines[i] = edited(lines[i], account="acct_framed")
    return _rehash(lines, i)


def truncate_before_last_checkpoint(lines: list[bytes], keys: Keys, folder: Path) -> list[bytes]:
    return lines[: line_of(25)]  # records 26..30 and the last checkpoint gone


def cut_mid_line(lines: list[bytes], keys: Keys, folder: Path) -> list[bytes]:
    return [*lines[: line_of(25) - 1], lines[line_of(25) - 1][:100]]


CASES = [
    # tamper, record named, line named, words of the reason
    (edit_field, 15, line_of(15), "its content does not match its hash: the record was edited"),
    (edit_and_rehash, 15, line_of(15), "the record was edited and its hash rewritten"),
    (delete_record, 15, line_of(15), "found record 16: record 15 was deleted or moved"),
    (swap_records, 15, line_of(15), "found record 16: record 15 was deleted or moved"),
    (insert_forged, 15, line_of(15), "record 15 appears twice"),
    (edit_checkpoint, 20, 22, "has a signature that does not verify"),
    (other_key, 20, 22, "it was signed by another key"),
    (other_key_posing, 20, 22, "has a signature that does not verify"),
    (rewrite_after_checkpoint, 30, 33, "signed another hash: records after record 20"),
    (truncate_before_last_checkpoint, 26, line_of(25) + 1, "records 26..30 were cut off"),
    (cut_mid_line, 25, line_of(25), "the line is not valid JSON"),
]


@pytest.fixture
def ledger(tmp_path: Path) -> tuple[Path, Keys]:
    keys = make_keys(tmp_path / "keys")
    folder = build(tmp_path / "ledger", keys)
    assert verify_ledger(folder, keys.verifier).ok
    return folder, keys


@pytest.mark.parametrize(
    ("tamper", "seq", "line", "reason"), CASES, ids=[case[0].__name__ for case in CASES]
)
def test_tampering_is_named_by_api_and_cli(
    ledger: tuple[Path, Keys], tamper: Tamper, seq: int, line: int, reason: str
) -> None:
    folder, keys = ledger
    path = folder / "ledger-000001.jsonl"
    write(path, tamper(read(path), keys, folder))

    report = verify_ledger(folder, keys.verifier)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.path, report.problem.line) == (seq, str(path), line)
    assert reason in report.problem.problem

    result = runner.invoke(app, ["ledger", "verify", str(folder), "--public-key", str(keys.public)])
    assert result.exit_code == 1, result.output
    assert f"{path}:{line}: record {seq}: " in result.stderr
    assert reason in result.stderr
    assert result.stdout == ""


def test_an_intact_ledger_passes_with_a_one_line_summary(ledger: tuple[Path, Keys]) -> None:
    folder, keys = ledger
    result = runner.invoke(app, ["ledger", "verify", str(folder), "--public-key", str(keys.public)])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1
    assert result.stdout.startswith(f"ledger OK: {folder}: 30 records; 3 checkpoints; ")
    assert "last signed position: record 30 at " in result.stdout


def test_a_cut_head_and_tail_pass_but_only_up_to_the_last_signed_record(
    ledger: tuple[Path, Keys],
) -> None:
    """Without the head, the tail is only as safe as the last checkpoint left: said plainly."""
    folder, keys = ledger
    path = folder / "ledger-000001.jsonl"
    write(path, read(path)[: line_of(25)])
    (folder / "ledger.head").unlink()
    report = verify_ledger(folder, keys.verifier)
    assert report.ok
    assert (report.last_seq, report.signed.seq if report.signed else 0, report.unsigned) == (
        25,
        20,
        5,
    )
    assert "5 records after it not signed yet; no ledger.head" in report.summary()


def test_a_head_kept_elsewhere_catches_a_cut_tail_with_a_replaced_head(
    ledger: tuple[Path, Keys], tmp_path: Path
) -> None:
    folder, keys = ledger
    kept = tmp_path / "offsite.head"
    kept.write_bytes((folder / "ledger.head").read_bytes())
    path = folder / "ledger-000001.jsonl"
    lines = read(path)
    write(path, lines[: line_of(20) + 1])  # up to the checkpoint after record 20
    (folder / "ledger.head").write_bytes(lines[line_of(20)] + b"\n")  # an older, valid head
    assert verify_ledger(folder, keys.verifier).ok  # undetectable from inside the folder
    report = verify_ledger(folder, keys.verifier, head=kept)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.line) == (21, 23)
    assert "records 21..30 were cut off" in report.problem.problem
