"""`distillguard cases list|show|assign|comment|confirm|dismiss|allowlist|unallowlist`, and
`audit-log`.

The review queue from the command line, on the store every command reads (`--config`, or
`DISTILLGUARD_DATABASE_URL`). Each decision names its author; the case's notes and the audit
log keep it. Gateways see a confirmation's suspensions within `auth.cache_ttl_s` and a
dismissal within a minute.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import orjson
import typer

from distillguard.cli.accounts_cmd import CONFIG, opened
from distillguard.settings import load_settings
from distillguard.store import Case, CaseQuery, QueueRow, Store
from distillguard.store.case_queue import MAX_PER_PAGE

cases_app = typer.Typer(help="The review queue: cases opened by the policy.", no_args_is_help=True)
AUTHOR = typer.Option(..., "--author", help="Who decides (kept in the audit log).")


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _columns(c: Case | QueueRow, members: int) -> str:
    who = f"{members} accounts" if c.kind == "campaign" else c.subject
    return (
        f"{c.id}\t{c.status.value}\t{c.kind}\t{who}\tlevel {c.level}\trisk {c.risk:.2f}\t"
        f"opened {_when(c.opened_at)}\t{c.assignee or '-'}"
    )


def _line(c: Case) -> str:
    return _columns(c, len(c.members))


def _queue(store: Store, query: CaseQuery, limit: int) -> Iterator[QueueRow]:
    """Up to `limit` rows of the console's queue query, a page at a time (bounded memory);
    cases that change while it pages may show twice or not at all, as between page loads."""
    shown = 0
    while shown < limit:
        rows = store.case_page(query).rows
        yield from rows[: limit - shown]
        shown += len(rows)
        if len(rows) < query.per_page:
            return
        query = replace(query, page=query.page + 1)


@cases_app.command("list")
def list_cases(
    status: str | None = typer.Option("open", "--status", help="open, confirmed or dismissed."),
    level: str | None = typer.Option(None, "--level", help="Only cases at this level."),
    assignee: str | None = typer.Option(
        None, "--assignee", help="Only this reviewer's cases; - for cases nobody has taken."
    ),
    campaign: str | None = typer.Option(
        None, "--campaign", help="A campaign's own case and its members' account cases."
    ),
    sort: str = typer.Option(
        "risk", "--sort", help="risk (highest first), age (oldest first) or tier."
    ),
    limit: int = typer.Option(100, "--limit", min=1, max=10_000),
    config: Path | None = CONFIG,
) -> None:
    """One line per case, filtered and sorted as the console's queue does it."""
    per_page = min(limit, MAX_PER_PAGE)
    query = CaseQuery(status, level, assignee, campaign, sort, per_page=per_page)
    with opened(config) as store:
        for row in _queue(store, query, limit):
            typer.echo(_columns(row, row.members))


@cases_app.command("show")
def show(
    case_id: str = typer.Argument(..., metavar="CASE"),
    as_json: bool = typer.Option(False, "--json", help="The whole case as JSON."),
    config: Path | None = CONFIG,
) -> None:
    """A case: members, reasons, scores over time, sample requests and notes."""
    with opened(config) as store:
        c = store.get_case(case_id)
    if as_json:
        typer.echo(orjson.dumps(c, option=orjson.OPT_INDENT_2).decode())
        return
    typer.echo(_line(c))
    typer.echo("members: " + ", ".join(c.members))
    for reason in c.evidence.get("reasons", []):
        typer.echo(f"  - {reason}")
    points = c.evidence.get("points", [])
    if points:
        shown = ", ".join(f"{_when(ts)} {r:.2f}" for ts, r in points[-8:])
        typer.echo(f"risk over time ({len(points)} points, latest): {shown}")
    for sample in c.evidence.get("samples", []):
        typer.echo(f"  sample: {sample[:120]!r}")
    for n in c.notes:
        typer.echo(f"{_when(n.at)}\t{n.author}\t{n.kind}\t{n.text}")


@cases_app.command("assign")
def assign(
    case_id: str = typer.Argument(..., metavar="CASE"),
    assignee: str = typer.Argument(...),
    author: str = AUTHOR,
    config: Path | None = CONFIG,
) -> None:
    with opened(config) as store:
        store.assign_case(case_id, assignee, author)
    typer.echo(f"{case_id} assigned to {assignee}")


@cases_app.command("comment")
def comment(
    case_id: str = typer.Argument(..., metavar="CASE"),
    text: str = typer.Argument(...),
    author: str = AUTHOR,
    config: Path | None = CONFIG,
) -> None:
    with opened(config) as store:
        store.comment_case(case_id, author, text)
    typer.echo(f"{case_id}: comment added")


@cases_app.command("confirm")
def confirm(
    case_id: str = typer.Argument(..., metavar="CASE"),
    reason: str = typer.Option(..., "--reason", help="Why this is extraction."),
    author: str = AUTHOR,
    config: Path | None = CONFIG,
) -> None:
    """Extraction: apply `[policy] sanction` to every account of the case."""
    sanction = load_settings(config).policy.sanction
    with opened(config) as store:
        c = store.confirm_case(case_id, author, reason, sanction)
    typer.echo(f"{case_id} confirmed; sanction {sanction} on {len(c.members)} account(s)")


@cases_app.command("dismiss")
def dismiss(
    case_id: str = typer.Argument(..., metavar="CASE"),
    reason: str = typer.Option(..., "--reason", help="Why this is a real customer."),
    author: str = AUTHOR,
    config: Path | None = CONFIG,
) -> None:
    """Benign: label every account of the case benign; the policy leaves them alone."""
    with opened(config) as store:
        c = store.dismiss_case(case_id, author, reason)
    typer.echo(f"{case_id} dismissed; {len(c.members)} account(s) labelled benign")


@cases_app.command("allowlist")
def allowlist(
    account: str = typer.Argument(..., metavar="ACCOUNT"),
    days: float = typer.Option(..., "--days", min=0.001, max=365, help="For how long."),
    reason: str = typer.Option(..., "--reason", help="Why the policy should let it alone."),
    author: str = AUTHOR,
    config: Path | None = CONFIG,
) -> None:
    """Label an account benign for DAYS: the policy leaves it alone until then."""
    with opened(config) as store:
        until = store.allowlist_account(account, author, reason, time.time() + days * 86_400)
    assert until is not None
    typer.echo(f"{account} allowlisted until {_when(until)} UTC")


@cases_app.command("unallowlist")
def unallowlist(
    account: str = typer.Argument(..., metavar="ACCOUNT"),
    reason: str = typer.Option(..., "--reason", help="Why the policy should weigh it again."),
    author: str = AUTHOR,
    config: Path | None = CONFIG,
) -> None:
    """End an account's allowlisting (or a dismissal's benign label) now; gateways weigh it
    again within a minute."""
    with opened(config) as store:
        store.end_allowlist(account, author, reason)
    typer.echo(f"{account} no longer allowlisted")


def audit_log(
    subject: str | None = typer.Option(None, "--subject", help="An account, campaign or case."),
    limit: int = typer.Option(1000, "--limit", min=1),
    config: Path | None = CONFIG,
) -> None:
    """Every enforcement action and review decision: when, who, what, to whom, why."""
    with opened(config) as store:
        entries = store.audit_log(subject, limit)
    for e in entries:
        typer.echo(f"{_when(e.at)}\t{e.actor}\t{e.action}\t{e.subject}\t{e.reason}")


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app, name="cases")
    app.command("audit-log")(audit_log)
