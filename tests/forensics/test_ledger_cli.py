"""`distillguard ledger keygen|append|verify`: files, exit codes, messages a user can act on."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

from ledger_helpers import build, dump, event, make_keys, obj, read, write
from typer.testing import CliRunner

from distillguard.cli.main import app
from distillguard.forensics import load_signer, load_verifier, verify_ledger

runner = CliRunner()


def test_keygen_writes_a_private_key_only_its_owner_reads_and_the_public_key(
    tmp_path: Path,
) -> None:
    key = tmp_path / "keys" / "ledger.key"
    result = runner.invoke(app, ["ledger", "keygen", "--out", str(key)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    public = tmp_path / "keys" / "ledger.key.pub"
    assert b"BEGIN PUBLIC KEY" in public.read_bytes()
    key_id = load_signer(key).key_id
    assert load_verifier(public).key_id == key_id
    assert result.stdout.splitlines()[-1] == f"key id {key_id}"
    again = runner.invoke(app, ["ledger", "keygen", "--out", str(key)])
    assert again.exit_code == 2
    assert f"key file {key}: exists already; pass --force" in again.stderr
    assert load_signer(key).key_id == key_id  # not replaced


def test_append_builds_a_ledger_from_an_event_log(
    tmp_path: Path, write_lines: Callable[..., Path]
) -> None:
    keys = make_keys(tmp_path)
    log = write_lines([event(i) for i in range(1, 8)], name="events.jsonl.gz")
    folder = tmp_path / "ledger"
    base = ["ledger", "append", str(log), "--ledger", str(folder), "--key", str(keys.private)]
    result = runner.invoke(app, [*base, "--checkpoint-every", "3"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"appended 7 events as records 1..7 of {folder} (3 checkpoints")
    again = runner.invoke(app, base)  # appending again continues the chain
    assert again.exit_code == 0, again.output
    assert "as records 8..14" in again.stdout
    report = verify_ledger(folder, keys.verifier)
    assert report.ok and report.records == 14, report.summary()
    first = obj(read(folder / "ledger-000001.jsonl")[0])
    assert first["event"] == event(1)  # the event as the log holds it, nothing added


def test_append_names_file_line_and_field_of_a_bad_event(
    tmp_path: Path, write_lines: Callable[..., Path]
) -> None:
    keys = make_keys(tmp_path)
    missing = event(2)
    del missing["account"]
    for lines, where in (
        ([event(1), "not json"], ":2: the line is not valid JSON"),
        ([event(1), missing], ":2: field 'account' is required and missing"),
    ):
        log = write_lines(lines)
        args = ["ledger", "append", str(log), "--ledger", str(tmp_path / "l")]
        result = runner.invoke(app, [*args, "--key", str(keys.private)])
        assert result.exit_code == 2, result.output
        assert f"{log}{where.replace('the line is not', 'not')}" in result.stderr


def test_verify_names_a_malformed_ledger_line(tmp_path: Path) -> None:
    keys = make_keys(tmp_path)
    folder = tmp_path / "ledger"
    build(folder, keys, n=5, every=10)
    path = folder / "ledger-000001.jsonl"
    lines = read(path)
    record = obj(lines[2])
    del record["hash"]
    write(path, [*lines[:2], dump(record), *lines[3:]])
    result = runner.invoke(app, ["ledger", "verify", str(folder), "--public-key", str(keys.public)])
    assert result.exit_code == 1
    assert f"{path}:3: record 3: field 'hash' is required and missing" in result.stderr


def test_verify_without_a_public_key_says_how_to_give_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ledger", "verify", str(tmp_path)])
    assert result.exit_code == 2
    assert "no public key: pass --public-key PUB or set [ledger] key_file" in result.stderr


def test_verify_takes_the_key_and_folder_from_the_config(tmp_path: Path) -> None:
    keys = make_keys(tmp_path)
    build(tmp_path / "ledger", keys, n=3)
    config = tmp_path / "dg.toml"
    config.write_text(
        f'[ledger]\ndir = "{tmp_path / "ledger"}"\nkey_file = "{keys.private}"\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["ledger", "verify", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"ledger OK: {tmp_path / 'ledger'}: 3 records; ")


def test_a_missing_ledger_exits_2(tmp_path: Path) -> None:
    keys = make_keys(tmp_path)
    result = runner.invoke(
        app, ["ledger", "verify", str(tmp_path / "nope"), "--public-key", str(keys.public)]
    )
    assert result.exit_code == 2
    assert f"ledger not found: {tmp_path / 'nope'}" in result.stderr
