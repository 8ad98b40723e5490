"""`distillguard simulate`: write a labelled synthetic event log (see distillguard.sim)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from distillguard.errors import DistillguardError, InputNotFoundError
from distillguard.sim import ScenarioConfig, simulate

err_console = Console(stderr=True)
DEFAULT_DATA = Path("../shared/data")


def simulate_cmd(
    out: Path = typer.Option(..., "--out", help="Folder for events.jsonl and labels.jsonl."),
    data: Path | None = typer.Option(
        None, "--data", help="Public data sets folder (default: ../shared/data when present)."
    ),
    accounts: int = typer.Option(200, "--accounts", help="Number of accounts."),
    days: int = typer.Option(2, "--days", help="Days of traffic (1-14)."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same bytes."),
    scenario: str = typer.Option("standard", "--scenario", help="standard or holdout."),
    volume: float = typer.Option(1.0, "--volume", help="Scale every account's daily rate."),
) -> None:
    """Simulate API traffic of benign customers and extraction campaigns, with labels."""
    try:
        if data is not None and not data.is_dir():
            raise InputNotFoundError(str(data), "data folder (--data)")
        data_dir = data if data is not None else (DEFAULT_DATA if DEFAULT_DATA.is_dir() else None)
        config = ScenarioConfig(
            accounts=accounts,
            days=days,
            seed=seed,
            data_dir=data_dir,
            scenario=scenario,
            volume=volume,
        )
        if data_dir is None:
            err_console.print(
                f"note: {DEFAULT_DATA} not found; using the built-in prompt generator and "
                "parametric rates (pass --data to use the real data sets)",
                highlight=False,
            )
        summary = simulate(config, out)
    except DistillguardError as err:
        err_console.print(f"[bold red]error:[/] {err}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    if data_dir is not None and summary.used_fallback:
        err_console.print(
            f"note: some files under {data_dir} were missing; generated text or "
            "parametric rates stood in for them",
            highlight=False,
        )
    days_text = f"{summary.days} day{'s' if summary.days > 1 else ''}"
    typer.echo(
        f"wrote {summary.events} events from {summary.accounts} accounts over {days_text} to "
        f"{summary.events_path} (labels: {summary.labels_path}) in {summary.elapsed_s:.1f}s"
    )
    for kind, n in sorted(summary.accounts_by_kind.items()):
        per_day = summary.events_by_kind.get(kind, 0) / max(n, 1) / summary.days
        typer.echo(f"  {kind:<20} {n:>4} accounts  {per_day:>8.0f} events/account/day")


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_cmd)
