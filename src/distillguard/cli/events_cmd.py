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


EVENTS_HELP = (
    "Event log (JSONL or .jsonl.gz), or a folder such as the one `serve` rotates its log "
    "in (its events*.jsonl and events*.jsonl.gz files are read oldest first)."
)
MAX_LISTED = 50  # bad lines `validate` names one by one; the rest are counted


def validate(
    events: Path = typer.Argument(..., help=EVENTS_HELP),
    lenient: bool = typer.Option(
        False, "--lenient", help="Count bad lines by reason instead of listing them; exit 0."
    ),
) -> None:
    """Check that an event log follows docs/events.md; list each bad line, or print counts.

    Exits 2 when any line is bad, unless --lenient.
    """
    # Always lenient underneath: a strict check lists every bad line, not just the first.
    reader = EventReader(events, lenient=True, keep=MAX_LISTED)
    accounts: set[str] = set()
    try:
        for ev in reader:
            accounts.add(ev.account)
    except DistillguardError as err:
        raise fail(err) from None
    counts = f"{reader.read} valid events from {len(accounts)} accounts"
    if lenient or not reader.skipped:
        typer.echo(f"{counts} in {events}")
        report_skipped(reader)
        return
    list_bad_lines(reader)
    bad = sum(reader.skipped.values())
    err_console.print(
        f"{events}: {bad} bad line{'s' if bad > 1 else ''}, {counts} "
        "(see docs/events.md; use --lenient to skip bad lines)",
        highlight=False,
        soft_wrap=True,
        markup=False,
    )
    raise typer.Exit(code=2)


def list_bad_lines(reader: EventReader) -> None:
    """Print file, line, field and problem of each kept error, then how many more there were."""
    for err in reader.errors:
        at = f" field '{err.field}'" if err.field else ""
        line = f"{err.path}:{err.line}:{at} {err.problem}"
        err_console.print(line, highlight=False, soft_wrap=True, markup=False)
    more = sum(reader.skipped.values()) - len(reader.errors)
    if more:
        err_console.print(f"... and {more} more", highlight=False)


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
