"""`distillguard ledger keygen|append|verify|export`: the tamper-evident ledger of events.

Defaults (ledger folder, key, checkpoint cadence, prompt hashing) come from the `[ledger]`
section of `--config FILE` and `DISTILLGUARD_LEDGER__*` variables. `verify` exits 0 with one
summary line when the ledger holds, 1 naming the first bad record (number, file:line) when
it does not, and 2 when it cannot run (a missing file, an unusable key).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape

from distillguard.cli.events_cmd import err_console, report_skipped
from distillguard.errors import DistillguardError, LedgerError
from distillguard.events import EventReader, FieldError, parse_ts
from distillguard.forensics.ledger import Ledger
from distillguard.forensics.ledger_export import export_ledger
from distillguard.forensics.ledger_privacy import PromptHasher
from distillguard.forensics.ledger_verify import verify_ledger
from distillguard.forensics.signing import (
    Verifier,
    generate_keypair,
    load_signer,
    load_verifier,
    public_path,
)
from distillguard.settings import LedgerSettings, load_settings

ledger_app = typer.Typer(
    help="Tamper-evident ledger: hash-chained events, signed checkpoints.", no_args_is_help=True
)

CONFIG = typer.Option(None, "--config", help="TOML settings; its [ledger] section gives defaults.")
PUBLIC_KEY = typer.Option(
    None,
    "--public-key",
    help="Public key (PEM or raw); default: KEY.pub beside [ledger] key_file.",
)


def fail(err: DistillguardError) -> typer.Exit:
    """Print the error (whose text may hold `[ledger]`, not markup) and return exit 2."""
    err_console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


class Prompts(StrEnum):
    plain = "plain"
    hashed = "hashed"


def _settings(config: Path | None) -> LedgerSettings:
    try:
        return load_settings(config).ledger
    except DistillguardError as err:
        raise fail(err) from None


def _verifier(public_key: Path | None, settings: LedgerSettings) -> Verifier | None:
    if public_key is None and settings.key_file is not None:
        pub = public_path(settings.key_file)
        public_key = pub if pub.is_file() else settings.key_file
    if public_key is None:
        return None
    try:
        return load_verifier(public_key)
    except DistillguardError as err:
        raise fail(err) from None


@ledger_app.command("keygen")
def keygen(
    out: Path = typer.Option(..., "--out", help="Private key file to write (mode 0600)."),
    force: bool = typer.Option(False, "--force", help="Replace existing key files."),
) -> None:
    """Write a new Ed25519 private key to OUT and its public key to OUT.pub."""
    try:
        private, public = generate_keypair(out, overwrite=force)
        key_id = load_verifier(public).key_id
    except DistillguardError as err:
        raise fail(err) from None
    typer.echo(f"wrote private key {private} (keep it secret) and public key {public}")
    typer.echo(f"key id {key_id}")


@ledger_app.command("append")
def append(
    events: Path = typer.Argument(..., help="Event log (JSONL or .jsonl.gz) of docs/events.md."),
    ledger: Path | None = typer.Option(
        None, "--ledger", help="Ledger folder; default [ledger] dir."
    ),
    key: Path | None = typer.Option(None, "--key", help="Private key; default [ledger] key_file."),
    checkpoint_every: int | None = typer.Option(
        None, "--checkpoint-every", min=1, help="Records between checkpoints."
    ),
    prompts: Prompts | None = typer.Option(
        None, "--prompts", help="hashed: keep text as HMACs under [ledger] prompt_secret."
    ),
    lenient: bool = typer.Option(False, "--lenient", help="Skip and count bad event lines."),
    config: Path | None = CONFIG,
) -> None:
    """Append the events of a log to a ledger (created if new), then sign a checkpoint."""
    settings = _settings(config)
    key = key or settings.key_file
    if key is None:
        raise fail(LedgerError("no signing key: pass --key KEY or set [ledger] key_file"))
    hasher = None
    if (prompts or settings.prompts) == "hashed":
        if settings.prompt_secret is None:
            raise fail(LedgerError("--prompts hashed needs [ledger] prompt_secret"))
        hasher = PromptHasher(settings.prompt_secret.get_secret_value().encode("utf-8"))
    reader = EventReader(events, lenient=lenient)
    try:
        with Ledger(
            ledger or settings.dir,
            load_signer(key),
            checkpoint_every=checkpoint_every or settings.checkpoint_every,
            checkpoint_interval_s=0,  # a batch job: the cadence is counted in records
            rotate_bytes=settings.rotate_bytes,
            hasher=hasher,
        ) as book:
            first = book.seq + 1
            for event in reader:
                book.append(event.raw)
    except DistillguardError as err:
        raise fail(err) from None
    except ValueError as err:  # an event canonical JSON cannot hold (an integer past 64 bits)
        where = f"{events}: event {reader.read:,}"
        raise fail(LedgerError(f"{where} cannot be stored: {err}")) from None
    typer.echo(
        f"appended {reader.read:,} events as records {first:,}..{book.seq:,} of "
        f"{book.folder} ({book.checkpoints:,} checkpoints signed by key {book.signer.key_id})"
    )
    report_skipped(reader)


@ledger_app.command("verify")
def verify(
    ledger: Path | None = typer.Argument(
        None, help="Ledger folder, one ledger file, or an export; default [ledger] dir."
    ),
    public_key: Path | None = PUBLIC_KEY,
    head: Path | None = typer.Option(
        None, "--head", help="A copy of ledger.head kept elsewhere, to check the tail against."
    ),
    config: Path | None = CONFIG,
) -> None:
    """Check every record and checkpoint; name the first bad one (exit 1) or summarise."""
    settings = _settings(config)
    verifier = _verifier(public_key, settings)
    if verifier is None:
        raise fail(LedgerError("no public key: pass --public-key PUB or set [ledger] key_file"))
    try:
        report = verify_ledger(ledger or settings.dir, verifier, head=head)
    except DistillguardError as err:
        raise fail(err) from None
    if not report.ok:
        err_console.print(report.summary(), highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(code=1)
    typer.echo(report.summary())


def _when(value: str | None, option: str) -> float | None:
    if value is None:
        return None
    try:
        return parse_ts(value.strip(), option)
    except FieldError:
        try:
            return parse_ts(float(value), option)
        except ValueError:
            pass
    raise typer.BadParameter(f"{value!r} is not RFC 3339 (2026-11-26T19:00:00Z) or Unix seconds")


@ledger_app.command("export")
def export(
    ledger: Path | None = typer.Argument(None, help="Ledger folder; default [ledger] dir."),
    out: Path = typer.Option(..., "--out", help="The self-contained file to write."),
    account: str | None = typer.Option(None, "--account", help="Keep only this account."),
    since: str | None = typer.Option(None, "--since", help="Keep events at or after this time."),
    until: str | None = typer.Option(None, "--until", help="Keep events before this time."),
    public_key: Path | None = PUBLIC_KEY,
    config: Path | None = CONFIG,
) -> None:
    """Write the ledger (or a slice) to one file that `ledger verify OUT` checks anywhere."""
    settings = _settings(config)
    verifier = _verifier(public_key, settings)
    try:
        summary = export_ledger(
            ledger or settings.dir,
            out,
            account=account,
            since=_when(since, "--since"),
            until=_when(until, "--until"),
            verifier=verifier,
        )
    except LedgerError as err:
        err_console.print(
            f"ledger NOT OK, nothing exported: {err}", highlight=False, markup=False, soft_wrap=True
        )
        raise typer.Exit(code=1) from None
    except DistillguardError as err:
        raise fail(err) from None
    typer.echo(
        f"exported {summary.records:,} records to {summary.out} ({summary.omitted:,} others as "
        f"{summary.stubs:,} hash stubs, {summary.checkpoints:,} checkpoints, up to record "
        f"{summary.last_seq:,})"
    )
    if verifier is None:
        err_console.print(
            "checked the chain but not the signatures (no public key: pass --public-key)",
            highlight=False,
            soft_wrap=True,
        )
    if not summary.records:
        err_console.print("no record of the ledger fits what was asked for", highlight=False)
    if summary.left_unsigned:
        err_console.print(
            f"left out {summary.left_unsigned:,} records after the ledger's last checkpoint: "
            "they are not signed yet",
            highlight=False,
            soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")
