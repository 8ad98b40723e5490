"""`distillguard reviewers create|list|set`: the people who sign in to the review console.

A password is asked for twice at the terminal (never an argument: it would stay in the shell
history), or read from the first line of stdin with `--password-stdin` for scripts; the store
keeps only its salted scrypt hash.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import typer

from distillguard.cli.accounts_cmd import CONFIG, opened

reviewers_app = typer.Typer(
    help="Reviewers: the people who sign in to the review console (/console).",
    no_args_is_help=True,
)
ROLE_HELP = "viewer (read only), reviewer (decides cases) or admin."
PASSWORD_STDIN = typer.Option(
    False, "--password-stdin", help="Read the password from the first line of stdin."
)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@reviewers_app.command("create")
def create(
    name: str = typer.Argument(..., help="The reviewer's name, as the audit log will show it."),
    role: str = typer.Option("reviewer", "--role", help=ROLE_HELP),
    password_stdin: bool = PASSWORD_STDIN,
    config: Path | None = CONFIG,
) -> None:
    """Create a reviewer with a password (at least 12 characters)."""
    password = _password(password_stdin)
    with opened(config) as store:
        reviewer = store.create_reviewer(name, role, password)
    typer.echo(f"reviewer {reviewer.name} ({reviewer.role.value}) created; sign in at /console")


@reviewers_app.command("list")
def list_reviewers(config: Path | None = CONFIG) -> None:
    """One line per reviewer: name, role, created, active or disabled."""
    with opened(config) as store:
        for r in store.list_reviewers():
            created = datetime.fromtimestamp(r.created_at, UTC).strftime("%Y-%m-%d %H:%M")
            state = "active" if r.active else "disabled"
            typer.echo(f"{r.name}\t{r.role.value}\t{created}\t{state}")


@reviewers_app.command("set")
def set_reviewer(
    name: str = typer.Argument(...),
    role: str | None = typer.Option(None, "--role", help=ROLE_HELP),
    password: bool = typer.Option(False, "--password", help="Set a new password (asked for)."),
    password_stdin: bool = PASSWORD_STDIN,
    disable: bool = typer.Option(False, "--disable", help="Disable: sign-ins and sessions end."),
    enable: bool = typer.Option(False, "--enable", help="Enable a disabled reviewer again."),
    config: Path | None = CONFIG,
) -> None:
    """Change a reviewer's role or password, or disable them (their sessions end at once)."""
    new = _password(password_stdin) if password or password_stdin else None
    active = False if disable else True if enable else None
    with opened(config) as store:
        r = store.update_reviewer(name, role=role, password=new, active=active)
    typer.echo(f"reviewer {r.name}: {r.role.value}, {'active' if r.active else 'disabled'}")


def register(app: typer.Typer) -> None:
    app.add_typer(reviewers_app, name="reviewers")
