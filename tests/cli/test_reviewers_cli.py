"""`distillguard reviewers create|list|set` on a store of its own."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from distillguard.cli.main import app
from distillguard.settings import load_settings
from distillguard.store import open_store


def test_reviewers_from_the_command_line(tmp_path: Path) -> None:
    env = {"DISTILLGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'dg.db'}"}
    runner = CliRunner()

    def run(*args: str, stdin: str = "", code: int = 0) -> str:
        result = runner.invoke(app, list(args), input=stdin, env=env)
        assert result.exit_code == code, result.output
        return result.output

    password = "a long enough password"
    out = run("reviewers", "create", "ana", "--role", "viewer", "--password-stdin", stdin=password)
    assert "reviewer ana (viewer) created" in out
    prompted = run("reviewers", "create", "bo", stdin=f"{password}\n{password}\n")
    assert "reviewer bo (reviewer) created" in prompted
    assert "at least 12" in run(
        "reviewers", "create", "cy", "--password-stdin", stdin="short", code=2
    )
    assert "role 'boss'" in run(
        "reviewers", "create", "cy", "--role", "boss", "--password-stdin", stdin=password, code=2
    )
    assert "ana: reviewer, disabled" in run(
        "reviewers", "set", "ana", "--role", "reviewer", "--disable"
    )
    listed = run("reviewers", "list")
    assert "ana\treviewer" in listed and "disabled" in listed and "bo\treviewer" in listed
    store = open_store(load_settings(overrides={"database_url": env["DISTILLGUARD_DATABASE_URL"]}))
    try:
        assert store.login_reviewer("bo", password, 60).reviewer.name == "bo"
    finally:
        store.close()
