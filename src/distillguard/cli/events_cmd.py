"""`distillguard validate` and `distillguard convert`: check and translate event logs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from distillguard.errors import DistillguardError
from distillguard.events import EventReader

err_console = Console(stderr=True)


def fail(err: DistillguardError) -> typer.Exit:
    """Print a distillguard error the user can act on and return the exit to raise."""
    err_console.print(f"[bold red]error:[/] {err}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def report_skipped(reader: EventReader) -> None:
    if reader.skipped:
        total = sum(reader.skipped.values())
        parts = ", ".join(f"{n} {why}" for why, n in reader.skipped.most_common())
        err_console.print(f"skipped {total} bad lines of {reader.path}: {parts}", highlight=False)


def validate(
    events: Path = typer.Argument(..., help="Event log (JSONL or .jsonl.gz)."),
    lenient: bool = typer.Option(False, "--lenient", help="Skip and count bad lines."),
) -> None:
    """Check that an event log follows spec/events.md; print counts."""
    reader = EventReader(events, lenient=lenient)
    accounts: set[str] = set()
    try:
        for ev in reader:
            accounts.add(ev.account)
    except DistillguardError as err:
        raise fail(err) from None
    typer.echo(f"{reader.read} valid events from {len(accounts)} accounts in {events}")
    report_skipped(reader)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
