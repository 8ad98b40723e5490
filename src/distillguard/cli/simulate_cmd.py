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
    accounts: int | None = typer.Option(
        None, "--accounts", help="Number of accounts (default 200; with --families about 280)."
    ),
    days: int = typer.Option(2, "--days", help="Days of traffic (1-14)."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same bytes."),
    scenario: str = typer.Option("standard", "--scenario", help="standard or holdout."),
    volume: float = typer.Option(1.0, "--volume", help="Scale every account's daily rate."),
    families: str | None = typer.Option(
        None,
        "--families",
        help="Scenario families instead of --scenario: comma-separated names or 'all' "
        "(twin benign/attack personas with label-blind traits; see distillguard.sim.families).",
    ),
    prompt_split: str = typer.Option(
        "all", "--prompt-split", help="With --families: prompt data sets tune, test or all."
    ),
) -> None:
    """Simulate API traffic of benign customers and extraction campaigns, with labels."""
    if families is not None:
        _families(out, data, families, accounts, days, seed, volume, prompt_split)
        return
    try:
        if data is not None and not data.is_dir():
            raise InputNotFoundError(str(data), "data folder (--data)")
        data_dir = data if data is not None else (DEFAULT_DATA if DEFAULT_DATA.is_dir() else None)
        config = ScenarioConfig(
            accounts=200 if accounts is None else accounts,
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


def _data_dir(data: Path | None) -> Path | None:
    if data is not None and not data.is_dir():
        raise InputNotFoundError(str(data), "data folder (--data)")
    return data if data is not None else (DEFAULT_DATA if DEFAULT_DATA.is_dir() else None)


def _families(
    out: Path,
    data: Path | None,
    names: str,
    accounts: int | None,
    days: int,
    seed: int,
    volume: float,
    split: str,
) -> None:
    """`simulate --families`: the scenario-families simulator (distillguard.sim.families)."""
    from distillguard.sim import families as fam

    try:
        data_dir = _data_dir(data)
        chosen = fam.parse_names(names)
        scale = 1.0 if accounts is None else fam.scale_for(accounts, chosen)
        config = fam.FamiliesConfig(
            seed=seed,
            families=chosen,
            accounts=scale,
            days=days,
            volume=volume,
            data_dir=data_dir,
            prompt_split=split,
        )
        if data_dir is None:
            err_console.print(f"note: {DEFAULT_DATA} not found; built-in prompts stand in")
        summary = fam.simulate_families(config, out)
    except DistillguardError as err:
        err_console.print(f"[bold red]error:[/] {err}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    typer.echo(
        f"wrote {summary.events} events ({summary.bytes_written / 1e6:.0f} MB) from "
        f"{summary.accounts} accounts over {summary.days} day(s), prompt split "
        f"{summary.prompt_split}, to {summary.events_path} (labels: {summary.labels_path}) "
        f"in {summary.elapsed_s:.1f}s"
    )
    for name, n in summary.accounts_by_family.items():
        per_day = summary.events_by_family.get(name, 0) / max(n, 1) / summary.days
        typer.echo(f"  {name:<12} {n:>4} accounts  {per_day:>8.0f} events/account/day")


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_cmd)
