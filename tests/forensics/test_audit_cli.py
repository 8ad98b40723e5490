"""`distillguard audit` refuses what it cannot test before loading any model, saying why.

The run that names an account needs the local model's tokenizer: it is in
tests/gateway/test_local_model.py, next to the model it shares.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from distillguard.cli.main import app
from distillguard.settings import load_settings
from distillguard.store import open_store


@pytest.fixture
def suspect(tmp_path: Path) -> Path:
    path = tmp_path / "suspect.jsonl"
    path.write_text('{"text": "an answer the suspect model wrote"}\n')
    return path


def _config(tmp_path: Path, secret: str | None = "a secret of at least 16 chars") -> Path:
    path = tmp_path / "dg.toml"
    text = f'database_url = "sqlite:///{tmp_path / "dg.db"}"\n'
    if secret is not None:
        text += f'[watermark]\nenabled = true\nsecret = "{secret}"\n'
    path.write_text(text)
    return path


def _audit(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_without_a_secret_nothing_can_be_attributed(tmp_path: Path, suspect: Path) -> None:
    code, out = _audit(str(suspect), "--config", str(_config(tmp_path, secret=None)))
    assert code == 2
    assert "no watermark secret" in out and "watermark.secret" in out


def test_a_bad_line_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"prompt": "no answer here"}\n')
    code, out = _audit(str(bad), "--config", str(_config(tmp_path)))
    assert code == 2 and "bad.jsonl:2" in out


def test_an_empty_store_has_no_one_to_name(tmp_path: Path, suspect: Path) -> None:
    config = _config(tmp_path)
    open_store(load_settings(config)).close()  # the store exists, without accounts
    code, out = _audit(str(suspect), "--config", str(config))
    assert code == 2 and "names no account" in out


def test_accounts_file_and_model_file_must_exist(tmp_path: Path, suspect: Path) -> None:
    config = _config(tmp_path)
    code, out = _audit(str(suspect), "--config", str(config), "--accounts", "nope.txt")
    assert code == 2 and "accounts file not found: nope.txt" in out
    ids = tmp_path / "ids.txt"
    ids.write_text("acct_1\n")
    code, out = _audit(
        str(suspect), "--config", str(config), "--accounts", str(ids), "--model", "/no/m.gguf"
    )
    assert code == 2 and "local model:" in out  # the extra, or the file, is missing


def test_outputs_or_weights_one_of_the_two(tmp_path: Path, suspect: Path) -> None:
    config = str(_config(tmp_path))
    code, out = _audit("--config", config)
    assert code == 2 and "SUSPECT.jsonl" in out and "--read-with" in out
    model = tmp_path / "suspect.gguf"
    code, out = _audit(str(suspect), "--read-with", str(model), "--config", config)
    assert code == 2 and "not both" in out
    code, out = _audit("--read-with", str(model), "--config", config)
    assert code == 2 and "--read-with needs --served" in out
