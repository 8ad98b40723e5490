"""Exports and account slices: self-contained, checkable with the public key alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ledger_helpers import (
    ACCOUNTS,
    T0,
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
from distillguard.errors import LedgerTamperedError
from distillguard.forensics import Ledger, export_ledger, export_slice, verify_ledger

runner = CliRunner()


@pytest.fixture
def ledger(tmp_path: Path) -> tuple[Path, Keys]:
    keys = make_keys(tmp_path / "keys")
    return build(tmp_path / "ledger", keys), keys


def _elsewhere(tmp_path: Path, export: Path, keys: Keys) -> tuple[Path, Path]:
    """The export and the public key alone, in a folder of their own (another machine)."""
    other = tmp_path / "elsewhere"
    other.mkdir()
    return Path(shutil.copy(export, other)), Path(shutil.copy(keys.public, other))


def test_a_full_export_verifies_with_only_the_public_key(
    ledger: tuple[Path, Keys], tmp_path: Path
) -> None:
    folder, keys = ledger
    summary = export_ledger(folder, tmp_path / "all.jsonl")
    assert (summary.records, summary.omitted, summary.checkpoints, summary.last_seq) == (
        30,
        0,
        3,
        30,
    )
    export, public = _elsewhere(tmp_path, summary.out, keys)
    result = runner.invoke(app, ["ledger", "verify", str(export), "--public-key", str(public)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"export OK: {export}: 30 records; 3 checkpoints; ")


def test_an_account_slice_keeps_its_records_and_proves_them(
    ledger: tuple[Path, Keys], tmp_path: Path
) -> None:
    folder, keys = ledger
    account = ACCOUNTS[1]  # records 1, 4, 7, ..., 28
    summary = export_slice(folder, account, tmp_path / "slice.jsonl")
    lines = [obj(x) for x in read(summary.out)]
    records = [x for x in lines if "event" in x]
    assert [r["seq"] for r in records] == list(range(1, 31, 3))
    assert all(r["event"]["account"] == account for r in records)
    stubs = [x for x in lines if "omitted" in x]
    # runs of other records are cut at the checkpoints that follow a kept record (10, 20, 30)
    runs = [(3, 2), (6, 2), (9, 2), (12, 2), (15, 2), (18, 2), (20, 1), (21, 1), (24, 2)]
    assert [(s["seq"], s["omitted"]) for s in stubs] == [*runs, (27, 2), (30, 2)]
    assert summary.omitted == 20 and summary.stubs == len(stubs)
    report = verify_ledger(summary.out, keys.verifier)
    assert report.ok, report.summary()
    assert (report.records, report.omitted, report.signed and report.signed.seq) == (10, 20, 30)
    assert f"account {account}" in report.summary()


def test_a_time_window_folds_the_rest_into_stubs(ledger: tuple[Path, Keys], tmp_path: Path) -> None:
    folder, keys = ledger
    since, until = T0 + 12 * 1.5, T0 + 15 * 1.5  # records 12, 13, 14
    summary = export_ledger(folder, tmp_path / "w.jsonl", since=since, until=until)
    lines = [obj(x) for x in read(summary.out)]
    assert [x["seq"] for x in lines if "event" in x] == [12, 13, 14]
    # one stub before (1..11), one up to the next checkpoint (15..20), nothing after it
    assert [(x["seq"], x["omitted"]) for x in lines if "omitted" in x] == [(11, 11), (20, 6)]
    assert [x["checkpoint"]["seq"] for x in lines if "checkpoint" in x] == [20]
    assert verify_ledger(summary.out, keys.verifier).ok


# The slice of ACCOUNTS[1]: line 1 the export line, 2 record 1, 3 stub 2..3, 4 record 4,
# 5 stub 5..6, 6 record 7, ..., 25 the checkpoint after record 30, 26 the end line.
TAMPERS = {
    "kept record edited": (lambda ls: _set(ls, 3, edited(ls[3], status=418)), 4, 4, "edited"),
    "stub hash changed": (lambda ls: _stub_hash(ls, 4), 6, 5, "hash rewritten"),
    "export line names another account": (lambda ls: _account(ls, ACCOUNTS[0]), 1, 2, "swapped"),
    "end line removed": (lambda ls: ls[:-1], 31, 26, "without its end line"),
}


def _set(lines: list[bytes], i: int, line: bytes) -> list[bytes]:
    lines[i] = line
    return lines


def _account(lines: list[bytes], account: str) -> list[bytes]:
    header = obj(lines[0])
    header["export"]["account"] = account
    lines[0] = dump(header)
    return lines


def _stub_hash(lines: list[bytes], i: int) -> list[bytes]:
    stub = obj(lines[i])
    stub["hash"] = "f" * 64
    lines[i] = dump(stub)
    return lines


@pytest.mark.parametrize("kind", list(TAMPERS))
def test_a_tampered_slice_is_caught(ledger: tuple[Path, Keys], tmp_path: Path, kind: str) -> None:
    folder, keys = ledger
    out = export_slice(folder, ACCOUNTS[1], tmp_path / "slice.jsonl").out
    tamper, seq, line, reason = TAMPERS[kind]
    write(out, tamper(read(out)))
    report = verify_ledger(out, keys.verifier)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.line) == (seq, line), report.problem
    assert reason in report.problem.problem


def test_exporting_a_tampered_ledger_fails_and_writes_nothing(
    ledger: tuple[Path, Keys], tmp_path: Path
) -> None:
    folder, keys = ledger
    path = folder / "ledger-000001.jsonl"
    lines = read(path)
    lines[line_of(7) - 1] = edited(lines[line_of(7) - 1], account="acct_framed")
    write(path, lines)
    with pytest.raises(LedgerTamperedError) as caught:
        export_slice(folder, ACCOUNTS[1], tmp_path / "slice.jsonl", verifier=keys.verifier)
    assert (caught.value.seq, caught.value.line) == (7, 7)
    assert list(tmp_path.glob("slice.jsonl*")) == []
    args = ["ledger", "export", str(folder), "--out", str(tmp_path / "s.jsonl")]
    result = runner.invoke(app, [*args, "--public-key", str(keys.public)])
    assert result.exit_code == 1
    assert f"{path}:7: record 7: its content does not match its hash" in result.stderr


def test_records_after_the_last_checkpoint_are_left_out(tmp_path: Path) -> None:
    keys = make_keys(tmp_path)
    with Ledger(tmp_path / "ledger", keys.signer, checkpoint_every=10) as ledger:
        for i in range(1, 14):
            ledger.append(event(i))
        ledger.flush()
        summary = export_ledger(tmp_path / "ledger", tmp_path / "out.jsonl")
    assert (summary.records, summary.last_seq, summary.left_unsigned) == (10, 10, 3)
    assert verify_ledger(summary.out, keys.verifier).ok


def test_the_cli_exports_a_window_of_one_account(ledger: tuple[Path, Keys], tmp_path: Path) -> None:
    folder, keys = ledger
    out = tmp_path / "cli.jsonl"
    args = ["ledger", "export", str(folder), "--out", str(out), "--account", ACCOUNTS[0]]
    args += ["--since", "2026-09-21T14:13:30Z", "--until", str(T0 + 30)]
    result = runner.invoke(app, [*args, "--public-key", str(keys.public)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"exported 4 records to {out} ")
    assert [x["seq"] for x in map(obj, read(out)) if "event" in x] == [9, 12, 15, 18]
    verified = runner.invoke(app, ["ledger", "verify", str(out), "--public-key", str(keys.public)])
    assert verified.exit_code == 0, verified.output


def test_the_cli_exports_without_a_key_checking_the_chain_only(
    ledger: tuple[Path, Keys], tmp_path: Path
) -> None:
    folder, keys = ledger
    out = tmp_path / "nokey.jsonl"
    result = runner.invoke(app, ["ledger", "export", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "checked the chain but not the signatures" in result.stderr
    assert verify_ledger(out, keys.verifier).ok
