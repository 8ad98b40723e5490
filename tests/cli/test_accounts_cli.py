"""`distillguard accounts|keys` on one store, and `distillguard serve` as a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openai
import orjson
import pytest
from typer.testing import CliRunner

from distillguard.cli.main import app


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"DISTILLGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'dg.db'}"}


def _run(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == code, result.output
    return result.output


def _last_word(output: str) -> str:
    return output.strip().splitlines()[-1].split()[-1]


def test_accounts_and_keys(env: dict[str, str]) -> None:
    account = _last_word(_run(env, "accounts", "create", "Acme Labs", "--tier", "free"))
    assert account.startswith("acct_")
    listed = _run(env, "accounts", "list")
    assert account in listed and "active" in listed and "Acme Labs" in listed
    out = _run(env, "accounts", "set", account, "--verification", "id", "--org-type", "education")
    assert "verification id, org type education, affiliated developer no" in out
    assert "\tid\t" in _run(env, "accounts", "list")
    bad = _run(env, "accounts", "set", account, "--org-type", "charity", code=2)
    assert "org_type 'charity' is not one of" in bad
    secret = _last_word(_run(env, "keys", "create", account))
    assert secret.startswith("sk-dg-")
    keys = _run(env, "keys", "list", account)
    assert secret not in keys
    key_id = keys.split()[0]
    assert _run(env, "keys", "revoke", key_id).strip() == f"revoked {key_id}"
    assert "revoked 20" in _run(env, "keys", "list", account)
    _run(env, "accounts", "suspend", account, "--author", "ana", code=2)  # no reason: refused
    _run(env, "accounts", "suspend", account, "--author", "ana", "--reason", "card fraud")
    assert "suspended" in _run(env, "accounts", "list")
    _run(env, "accounts", "activate", account, "--author", "bo", "--reason", "chargeback won")
    log = _run(env, "audit-log", "--subject", account)
    assert "ana\tsuspend\t" in log and "card fraud" in log and "bo\tactivate\t" in log


def test_errors_are_one_actionable_line(env: dict[str, str]) -> None:
    out = _run(env, "accounts", "create", "x", "--tier", "gold", code=2)
    assert "no tier with id 'gold'" in out and "standard" in out
    out = _run(env, "keys", "create", "acct_nope", code=2)
    assert "accounts list" in out
    bad = {"DISTILLGUARD_DATABASE_URL": "mysql://nope"}
    assert "database_url" in _run(bad, "accounts", "list", code=2)


def test_config_file_names_the_store(tmp_path: Path) -> None:
    config = tmp_path / "dg.toml"
    config.write_text(f'database_url = "sqlite:///{tmp_path / "from-config.db"}"\n')
    clean = {k: v for k, v in os.environ.items() if k != "DISTILLGUARD_DATABASE_URL"}
    result = CliRunner().invoke(
        app, ["accounts", "create", "Beta", "--config", str(config)], env=clean
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "from-config.db").exists()


def test_serve_process_answers_the_openai_client(env: dict[str, str], tmp_path: Path) -> None:
    account = _last_word(_run(env, "accounts", "create", "Served"))
    secret = _last_word(_run(env, "keys", "create", account))
    config = tmp_path / "serve.toml"
    config.write_text(f'[events]\ndir = "{tmp_path / "events"}"\nreorder_window_s = 0.05\n')
    exe = Path(sys.executable).with_name("distillguard")
    with subprocess.Popen(
        [str(exe), "serve", "--config", str(config), "--port", "0", "--upstream", "simulated"],
        env={**os.environ, **env},
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        rest = _ask_then_stop(proc, secret)
    assert secret not in rest
    events = list((tmp_path / "events").glob("events-*.jsonl"))
    assert len(events) == 1
    lines = [orjson.loads(line) for line in events[0].read_text().splitlines()]
    assert [e["status"] for e in lines] == [200, 404]  # the 404 is the account's event too


def _ask_then_stop(proc: subprocess.Popen[str], secret: str) -> str:
    """Wait for the gateway's `listening` line, ask it once, stop it; its remaining stderr."""
    try:
        assert proc.stderr is not None
        url = None
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            record = orjson.loads(line)
            if record["msg"] == "listening":
                url = record["url"]
        assert url is not None, "serve did not log 'listening'"
        with openai.OpenAI(base_url=url + "/v1", api_key=secret, max_retries=0) as client:
            r = client.chat.completions.create(
                model="sim-large", messages=[{"role": "user", "content": "hi"}]
            )
            with pytest.raises(openai.NotFoundError):  # no "*" route: an unknown name is a 404
                client.chat.completions.create(
                    model="no-such-model-xyz", messages=[{"role": "user", "content": "hi"}]
                )
        assert r.choices[0].message.content
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    return proc.stderr.read() if proc.stderr else ""


def test_errors_print_square_brackets_as_written(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[ledger]\nenabled = true\n")
    out = _run({}, "accounts", "list", "--config", str(bad), code=2)
    assert "is needed when [ledger] enabled = true" in out
    short = tmp_path / "short.toml"
    short.write_text('[admin]\ntoken = "s3cret-short"\n')
    out = _run({}, "accounts", "list", "--config", str(short), code=2)
    assert "'admin.token' = '(hidden)': the admin token must be at least 16" in out
    assert "s3cret" not in out
