"""`distillguard accounts create|list|set|suspend|activate`, `distillguard keys create|list|revoke`.

Every command reads the store that `--config FILE` or `DISTILLGUARD_DATABASE_URL` names (the
variable wins). Scripts rely on `accounts create` printing the new id, and `keys create` the
new secret, as the last word of the last line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import typer

from distillguard.cli.events_cmd import fail
from distillguard.errors import DistillguardError
from distillguard.settings import load_settings
from distillguard.store import AccountStatus, Store, open_store

accounts_app = typer.Typer(help="Create, list and suspend accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)

CONFIG = typer.Option(
    None, "--config", help="TOML settings; DISTILLGUARD_DATABASE_URL overrides its store."
)


@contextmanager
def opened(config: Path | None) -> Iterator[Store]:
    """The configured store, with distillguard errors printed as a one-line failure."""
    try:
        store = open_store(load_settings(config))
    except DistillguardError as err:
        raise fail(err) from None
    try:
        yield store
    except DistillguardError as err:
        raise fail(err) from None
    finally:
        store.close()


def _when(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


@accounts_app.command("create")
def create_account(
    name: str = typer.Argument(..., help="Display name of the customer."),
    tier: str | None = typer.Option(None, "--tier", help="Tier; default: settings.default_tier."),
    org: str | None = typer.Option(None, "--org", help="Organisation the account belongs to."),
    config: Path | None = CONFIG,
) -> None:
    """Create an account; its id is the last word printed."""
    with opened(config) as store:
        chosen = tier or load_settings(config).default_tier
        account = store.create_account(name, tier=chosen, org=org)
    typer.echo(f"created account {name!r} on tier {chosen}: {account.id}")


@accounts_app.command("list")
def list_accounts(config: Path | None = CONFIG) -> None:
    """One line per account: id, status, tier, org, verification, created, name."""
    with opened(config) as store:
        accounts = store.list_accounts()
    for a in accounts:
        typer.echo(
            f"{a.id}\t{a.status.value}\t{a.tier}\t{a.org or '-'}\t{a.verification.value}\t"
            f"{_when(a.created_at)}\t{a.name}"
        )


@accounts_app.command("suspend")
def suspend(
    account_id: str = typer.Argument(..., metavar="ID"),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
    author: str = typer.Option(..., "--author", help="Who decides (kept in the audit log)."),
    config: Path | None = CONFIG,
) -> None:
    """Suspend an account: its keys get 403 until it is activated again. Audited."""
    with opened(config) as store:
        store.change_status(account_id, AccountStatus.SUSPENDED, author, reason)
    typer.echo(f"suspended {account_id}")


@accounts_app.command("activate")
def activate(
    account_id: str = typer.Argument(..., metavar="ID"),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
    author: str = typer.Option(..., "--author", help="Who decides (kept in the audit log)."),
    config: Path | None = CONFIG,
) -> None:
    """Lift a suspension. Audited."""
    with opened(config) as store:
        store.change_status(account_id, AccountStatus.ACTIVE, author, reason)
    typer.echo(f"activated {account_id}")


@accounts_app.command("set")
def set_attributes(
    account_id: str = typer.Argument(..., metavar="ID"),
    verification: str | None = typer.Option(
        None, "--verification", help="none, email, phone, id or business."
    ),
    org_type: str | None = typer.Option(
        None,
        "--org-type",
        help="individual, startup_programme, education, research or enterprise.",
    ),
    affiliated: bool | None = typer.Option(
        None,
        "--affiliated-developer/--not-affiliated-developer",
        help="Declared affiliation with a model developer.",
    ),
    config: Path | None = CONFIG,
) -> None:
    """Set the attributes of an account that the policy weighs (verification, org type, ...)."""
    with opened(config) as store:
        a = store.set_attributes(
            account_id,
            verification=verification,
            org_type=org_type,
            affiliated_developer=affiliated,
        )
    typer.echo(
        f"{a.id}: verification {a.verification.value}, org type {a.org_type or '-'}, "
        f"affiliated developer {'yes' if a.affiliated_developer else 'no'}"
    )


@keys_app.command("create")
def create_key(
    account_id: str = typer.Argument(..., metavar="ACCOUNT"), config: Path | None = CONFIG
) -> None:
    """Create an API key; the secret is printed once, as the last word, and never again."""
    with opened(config) as store:
        issued = store.create_key(account_id)
    typer.echo(f"created key {issued.key.id} for {account_id}; store the secret now, it is")
    typer.echo(f"shown only once: {issued.secret}")


@keys_app.command("list")
def list_keys(
    account_id: str = typer.Argument(..., metavar="ACCOUNT"), config: Path | None = CONFIG
) -> None:
    """One line per key of an account: id, created, revoked (never the secret)."""
    with opened(config) as store:
        keys = store.list_keys(account_id)
    for k in keys:
        typer.echo(f"{k.id}\tcreated {_when(k.created_at)}\trevoked {_when(k.revoked_at)}")


@keys_app.command("revoke")
def revoke_key(
    key_id: str = typer.Argument(..., metavar="KEY_ID"), config: Path | None = CONFIG
) -> None:
    """Revoke a key; gateways refuse it within auth.cache_ttl_s seconds."""
    with opened(config) as store:
        store.revoke_key(key_id)
    typer.echo(f"revoked {key_id}")


def register(app: typer.Typer) -> None:
    app.add_typer(accounts_app, name="accounts")
    app.add_typer(keys_app, name="keys")
