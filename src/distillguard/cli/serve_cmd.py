"""`distillguard serve`: run the OpenAI-compatible gateway in the foreground."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from distillguard.cli.events_cmd import fail
from distillguard.errors import DistillguardError
from distillguard.settings import Settings, load_settings, replace_settings


def with_upstream(settings: Settings, upstream: str) -> Settings:
    """`--upstream simulated`: the two simulated models (any other name is a 404).
    `--upstream URL`: that server takes every model name, and answers for unknown ones."""
    if upstream == "simulated":
        conf: dict[str, Any] = {"kind": "simulated"}
        models = {"sim-large": "cli", "sim-small": "cli"}
    else:
        conf = {"kind": "http", "url": upstream}
        models = {"*": "cli"}
    return replace_settings(settings, "--upstream", upstreams={"cli": conf}, models=models)


def serve(
    config: Path | None = typer.Option(None, "--config", help="TOML settings file."),
    host: str | None = typer.Option(None, "--host", help="Address to listen on."),
    port: int | None = typer.Option(None, "--port", min=0, max=65535, help="0: any free port."),
    upstream: str | None = typer.Option(
        None, "--upstream", help="'simulated', or the /v1 URL of an OpenAI-compatible server."
    ),
) -> None:
    """Serve /v1/chat/completions, /v1/completions, /v1/models and /metrics."""
    from distillguard.gateway import serve as run

    overrides: dict[str, Any] = {}
    server: dict[str, Any] = {}
    if host is not None:
        server["host"] = host
    if port is not None:
        server["port"] = port
    if server:
        overrides["server"] = server
    try:
        settings = load_settings(config, overrides)
        if upstream is not None:
            settings = with_upstream(settings, upstream)
        run(settings, config)
    except DistillguardError as err:
        raise fail(err) from None


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
