"""`distillguard review-model fit|show`: a model learned from reviewers' decisions.

`fit` reads the review labels of the store (confirmed cases: extraction, dismissed: benign)
and each reviewed account's detector outputs from `distillguard analyze`'s accounts.jsonl
(or analyzes an event log first), fits `detect.review` and writes it as JSON. `show`
prints what a saved model changed.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson
import typer

from distillguard.cli.accounts_cmd import CONFIG, opened
from distillguard.cli.detect_cmd import run_analyzer
from distillguard.cli.events_cmd import fail
from distillguard.detect.engine import AnalyzerConfig
from distillguard.detect.review import FitConfig, ReviewModel
from distillguard.errors import DistillguardError, InputNotFoundError, ReviewStateError
from distillguard.store.review_training import fit_from_store, read_results, results_path

review_app = typer.Typer(
    help="A calibrated model over detector outputs, trained on reviewed cases.",
    no_args_is_help=True,
)


def _rows(source: Path, lenient: bool) -> dict[str, dict[str, Any]]:
    """Result rows by account: read from accounts.jsonl, or by analyzing an event log."""
    if results_path(source) is not None:
        return read_results(source)
    if not source.is_file():
        raise InputNotFoundError(str(source), "accounts.jsonl, its folder or an event log")
    accounts, _ = run_analyzer(source, AnalyzerConfig(), lenient).results()
    return {a.account: asdict(a) for a in accounts}


@review_app.command("fit")
def fit_cmd(
    events: Path = typer.Option(
        ..., "--events", help="accounts.jsonl, the folder `analyze` wrote, or an event log."
    ),
    out: Path = typer.Option(..., "--out", help="JSON file for the model."),
    target_fpr: float = typer.Option(0.01, help="Share of benign accounts allowed to flag."),
    confidence: float = typer.Option(0.95, help="Of the upper bound on that share."),
    prior_strength: float = typer.Option(
        2.0, help="Reviews' worth of trust in the current risk score, per weight."
    ),
    lenient: bool = typer.Option(False, "--lenient", help="Skip and count bad event lines."),
    config: Path | None = CONFIG,
) -> None:
    """Fit on the store's reviewed accounts; write the model and say what it changed."""
    settings = FitConfig(
        target_fpr=target_fpr, confidence=confidence, prior_strength=prior_strength
    )
    try:
        rows = _rows(events, lenient)
    except DistillguardError as err:
        raise fail(err) from None
    with opened(config) as store:
        trained = fit_from_store(store, rows, AnalyzerConfig().threshold, settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(orjson.dumps(trained.model.to_state(), option=orjson.OPT_INDENT_2) + b"\n")
    for line in trained.model.explain():
        typer.echo(line)
    missing = trained.training.missing
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        typer.echo(f"{len(missing)} reviewed account(s) not in {events}, not trained on: {shown}")
    typer.echo(f"wrote {out}")


@review_app.command("show")
def show(model: Path = typer.Argument(..., help="A model.json that `fit` wrote.")) -> None:
    """What a saved model changed: weights against the prior, and its threshold rule."""
    try:
        if not model.is_file():
            raise InputNotFoundError(str(model), "review model")
        try:
            state = orjson.loads(model.read_bytes())
        except orjson.JSONDecodeError as err:
            raise ReviewStateError(f"{model} is not JSON ({err})") from None
        if not isinstance(state, dict):
            raise ReviewStateError(f"{model} is not a JSON object")
        loaded = ReviewModel.from_state(state)
    except DistillguardError as err:
        raise fail(err) from None
    for line in loaded.explain():
        typer.echo(line)


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review-model")
