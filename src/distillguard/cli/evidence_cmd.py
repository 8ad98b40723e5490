"""`distillguard evidence ACCOUNT --out bundle.zip`: one account's evidence, as one file.

Reads the store (`--config` or `DISTILLGUARD_DATABASE_URL`) and the ledger of `[ledger]`;
`--audit FILE` adds the results of `distillguard audit --json` runs. See
`distillguard.forensics.evidence` for what the bundle holds.
"""

from __future__ import annotations

from pathlib import Path

import typer

from distillguard.cli.accounts_cmd import CONFIG, opened
from distillguard.cli.events_cmd import fail
from distillguard.errors import DistillguardError
from distillguard.forensics.evidence import build_bundle, record_export
from distillguard.settings import load_settings


def evidence(
    account: str = typer.Argument(..., metavar="ACCOUNT"),
    out: Path = typer.Option(..., "--out", help="The zip to write."),
    audit: list[Path] = typer.Option(
        [], "--audit", help="Results of `distillguard audit --json` (repeatable)."
    ),
    author: str | None = typer.Option(
        None, "--author", help="Who takes the evidence out (with --reason: audited)."
    ),
    reason: str | None = typer.Option(None, "--reason", help="Why (kept in the audit log)."),
    config: Path | None = CONFIG,
) -> None:
    """Bundle an account's ledger slice with proofs, detection, cases, history and audits."""
    if (author is None) != (reason is None):
        raise typer.BadParameter("give --author and --reason together (the audit log keeps both)")
    try:
        settings = load_settings(config)
    except DistillguardError as err:
        raise fail(err) from None
    with opened(config) as store:
        bundle = build_bundle(store, settings, account, out=out, audits=audit)
        if author is not None and reason is not None:
            data = bundle.out.read_bytes()
            record_export(store, bundle, data, account, author, reason, via="cli")
    typer.echo(
        f"wrote {bundle.out}: {bundle.ledger_records} ledger records, {bundle.cases} case(s), "
        f"{bundle.audit_entries} audit-log entries, {bundle.watermark_hits} watermark result(s); "
        f"open report.html inside"
    )


def register(app: typer.Typer) -> None:
    app.command("evidence")(evidence)
