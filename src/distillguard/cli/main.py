"""Entry point: `distillguard COMMAND`. Each command lives in its own module of this package."""

from __future__ import annotations

import typer

from distillguard.cli import (
    accounts_cmd,
    audit_cmd,
    cases_cmd,
    demo_cmd,
    detect_cmd,
    events_cmd,
    evidence_cmd,
    ledger_cmd,
    policy_cmd,
    serve_cmd,
    simulate_cmd,
)

app = typer.Typer(
    name="distillguard",
    help="Detect, throttle and prove capability extraction through a model API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Detect, throttle and prove capability extraction through a model API."""


events_cmd.register(app)
simulate_cmd.register(app)
detect_cmd.register(app)
demo_cmd.register(app)
serve_cmd.register(app)
accounts_cmd.register(app)
cases_cmd.register(app)
evidence_cmd.register(app)
policy_cmd.register(app)
ledger_cmd.register(app)
audit_cmd.register(app)


def main() -> None:  # pragma: no cover - console script shim
    app()
