"""`distillguard worker`: run detection in its own process, fed from the durable log."""

from __future__ import annotations

from pathlib import Path

import typer

from distillguard.cli.events_cmd import fail
from distillguard.errors import DistillguardError
from distillguard.settings import load_settings


def worker(
    config: Path | None = typer.Option(None, "--config", help="TOML settings file."),
    partition: int | None = typer.Option(
        None,
        "--partition",
        min=0,
        help="With [pipeline] transport = 'nats': the partition this worker reads.",
    ),
) -> None:
    """Detect from the events the gateway made durable, until SIGTERM or Ctrl-C; then save."""
    from distillguard.pipeline.run import run_until_signalled

    try:
        settings = load_settings(config)
        run_until_signalled(settings, partition)
    except DistillguardError as err:
        raise fail(err) from None


def linker(
    config: Path | None = typer.Option(None, "--config", help="TOML settings file."),
) -> None:
    """Link campaigns over every partition's accounts (workers with [pipeline] linker = true
    adopt what it finds), until SIGTERM or Ctrl-C."""
    from distillguard.pipeline.run import link_until_signalled

    try:
        link_until_signalled(load_settings(config))
    except DistillguardError as err:
        raise fail(err) from None


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("linker")(linker)
