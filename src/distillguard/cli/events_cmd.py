"""`distillguard validate` and `distillguard convert`: check and translate event logs."""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

from distillguard.errors import DistillguardError
from distillguard.events import EventReader
from distillguard.events.convert_file import convert_file

err_console = Console(stderr=True)


def fail(err: DistillguardError) -> typer.Exit:
    """Print a distillguard error the user can act on and return the exit to raise."""
    # The message is plain text: "[ledger] enabled" must not be read as Rich markup.
    message = Text("error: ", style="bold red") + Text(str(err))
    err_console.print(message, highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def report_skipped(reader: EventReader) -> None:
    report_counts(reader.skipped, reader.path, "bad lines")


def report_counts(skipped: Counter[str], path: str, what: str) -> None:
    """Print to stderr how many lines or records were skipped, by reason."""
    if skipped:
        total = sum(skipped.values())
        parts = ", ".join(f"{n} {why}" for why, n in skipped.most_common())
        err_console.print(
            f"skipped {total} {what} of {path}: {parts}", highlight=False, soft_wrap=True
        )


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


class Source(StrEnum):
    litellm = "litellm"
    openai_dump = "openai-dump"


def convert(
    source: Source = typer.Option(..., "--from", help="Format of INPUT."),
    input_log: Path = typer.Argument(
        ..., metavar="INPUT", help="Provider log: JSONL, .jsonl.gz or a JSON array."
    ),
    out: Path = typer.Option(..., "--out", help="Event log to write (.jsonl or .jsonl.gz)."),
    lenient: bool = typer.Option(False, "--lenient", help="Skip and count bad records."),
    account: str | None = typer.Option(
        None, "--account", help="openai-dump: account for lines with no account header."
    ),
    memory_mb: int = typer.Option(
        256, "--memory-mb", min=1, help="Sort buffer; larger inputs spill to disk."
    ),
) -> None:
    """Turn a LiteLLM spend log or an OpenAI request/response dump into a sorted event log."""
    try:
        report = convert_file(
            source.value,
            input_log,
            out,
            lenient=lenient,
            account=account,
            memory_bytes=memory_mb << 20,
        )
    except DistillguardError as err:
        raise fail(err) from None
    typer.echo(f"wrote {report.written} events from {report.records} records to {out}")
    report_counts(report.skipped, report.input, "records")


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("convert")(convert)
