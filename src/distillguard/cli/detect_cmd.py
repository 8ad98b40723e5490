"""`distillguard analyze` and `distillguard evaluate`: run detection over a log and score it."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import typer
from rich.console import Console
from rich.markup import escape

from distillguard.cli.events_cmd import EVENTS_HELP, fail, report_skipped
from distillguard.detect.baselines import BASELINES
from distillguard.detect.calibrate import threshold_for
from distillguard.detect.engine import AccountResult, Analyzer, AnalyzerConfig, CampaignResult
from distillguard.errors import DistillguardError
from distillguard.events import EventReader

if TYPE_CHECKING:
    from distillguard.evaluation import Evaluation

# Scoring against labels (evaluate, calibrate) and rich tables are imported inside the
# commands that use them, to keep `analyze`'s start-up short (tests/cli/test_startup.py).

console = Console()


def write_results(
    out: Path, accounts: list[AccountResult], campaigns: list[CampaignResult]
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "accounts.jsonl").open("wb") as fh:
        for a in accounts:
            row = asdict(a)
            row["reasons"] = list(a.reasons)
            fh.write(orjson.dumps(row) + b"\n")
    with (out / "campaigns.jsonl").open("wb") as fh:
        for c in campaigns:
            fh.write(orjson.dumps(asdict(c)) + b"\n")


def run_analyzer(events: Path, config: AnalyzerConfig, lenient: bool) -> Analyzer:
    analyzer = Analyzer(config)
    reader = EventReader(events, lenient=lenient)
    for event in reader:
        analyzer.process(event)
    report_skipped(reader)
    return analyzer


def print_summary(
    accounts: list[AccountResult],
    campaigns: list[CampaignResult],
    notes: Mapping[str, str] | None = None,
) -> None:
    """Counts, the top flagged accounts with reasons (`notes`: shown after an id), campaigns."""
    flagged = [a for a in accounts if a.flagged]
    console.print(
        f"{len(accounts)} accounts, {len(flagged)} flagged, {len(campaigns)} campaigns",
        highlight=False,
    )
    shown = 10
    for a in sorted(flagged, key=lambda a: -a.score)[:shown]:
        note = f" ({escape(notes[a.account])})" if notes and a.account in notes else ""
        console.print(f"  [bold]{escape(a.account)}[/] risk {a.score:.2f}{note}", highlight=False)
        for r in a.reasons[:3]:
            console.print(f"    - {r}", highlight=False, soft_wrap=True, markup=False)
    if len(flagged) > shown:
        console.print(f"  ... and {len(flagged) - shown} more flagged (see accounts.jsonl)")
    names = {a.account for a in flagged}
    for c in sorted(campaigns, key=lambda c: -c.score)[:5]:
        console.print(
            f"  campaign [bold]{escape(c.campaign)}[/]: {len(c.members)} accounts "
            f"({sum(m in names for m in c.members)} flagged), risk {c.score:.2f}",
            highlight=False,
        )
        for r in c.reasons[:1]:
            console.print(f"    - {r}", highlight=False, soft_wrap=True, markup=False)


def analyze(
    events: Path = typer.Argument(..., help=EVENTS_HELP),
    out: Path = typer.Option(..., "--out", help="Folder for accounts.jsonl and campaigns.jsonl."),
    detector: str = typer.Option("full", help="full, or a baseline: " + ", ".join(BASELINES)),
    threshold: float | None = typer.Option(None, help="Flag threshold (default: calibrated)."),
    lenient: bool = typer.Option(False, "--lenient", help="Skip and count bad lines."),
) -> None:
    """Run online detection over an event log; write per-account and per-campaign results."""
    if detector != "full" and detector not in BASELINES:
        choices = ", ".join(["full", *BASELINES])
        raise typer.BadParameter(
            f"unknown detector {detector!r}; use one of {choices}", param_hint="--detector"
        )
    config = AnalyzerConfig() if detector == "full" else BASELINES[detector]
    if threshold is not None:
        config = replace(config, threshold=threshold)
    start = time.perf_counter()
    try:
        analyzer = run_analyzer(events, config, lenient)
    except DistillguardError as err:
        raise fail(err) from None
    elapsed = time.perf_counter() - start
    accounts, campaigns = analyzer.results()
    write_results(out, accounts, campaigns)
    rate = analyzer.events / elapsed if elapsed else 0.0
    console.print(
        f"analyzed {analyzer.events:,} events in {elapsed:.1f} s ({rate:,.0f} events/s)",
        highlight=False,
    )
    print_summary(accounts, campaigns)


def print_evaluation(ev: Evaluation) -> None:
    from rich.table import Table

    table = Table(title="detection, account level", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("accounts (extraction)", f"{ev.accounts} ({ev.extraction_accounts})")
    table.add_row("AUROC", f"{ev.auroc:.4f}")
    for point, tpr in ev.tpr_at_fpr.items():
        table.add_row(f"TPR at {point} FPR", f"{tpr:.3f}")
    table.add_row("precision / recall (flagged)", f"{ev.precision:.3f} / {ev.recall:.3f}")
    table.add_row("benign flagged", f"{ev.benign_flagged} ({ev.benign_fpr:.2%})")
    med = ev.median_requests_before_flag
    table.add_row("median requests before flag", "-" if med is None else f"{med:.0f}")
    for kind, r in ev.recall_by_kind.items():
        wait = ev.median_requests_before_flag_by_kind.get(kind)
        table.add_row(f"  recall {kind}", f"{r:.2f}" + ("" if wait is None else f" (@{wait:.0f})"))
    for kind, n in ev.benign_flagged_by_kind.items():
        table.add_row(f"  benign flagged {kind}", str(n))
    for cid, frac in ev.campaign_flagged.items():
        table.add_row(f"  campaign {cid} flagged", f"{frac:.0%}")
    if ev.missing_from_output:
        table.add_row("labelled but missing from output", str(ev.missing_from_output))
    console.print(table)


def evaluate_cmd(
    scores_dir: Path = typer.Argument(..., help="Folder written by `distillguard analyze`."),
    labels: Path = typer.Option(..., "--labels", help="labels.jsonl of the same traffic."),
    out: Path | None = typer.Option(None, "--out", help="JSON file for the metrics."),
) -> None:
    """Score a detector's output against labels: AUROC, TPR at low FPR, recall per strategy."""
    from distillguard.evaluation import evaluate, read_labels, read_scores

    try:
        ev = evaluate(read_scores(scores_dir), read_labels(labels))
    except DistillguardError as err:
        raise fail(err) from None
    print_evaluation(ev)
    target = out or scores_dir / "evaluation.json"
    target.write_bytes(ev.to_json())
    console.print(f"wrote {target}", highlight=False)


def calibrate(
    events: Path = typer.Argument(..., help=f"Traffic believed benign. {EVENTS_HELP}"),
    labels: Path | None = typer.Option(
        None, "--labels", help="Use only the accounts labelled benign here (attack labels unused)."
    ),
    target_fpr: float = typer.Option(0.005, help="Share of benign accounts allowed to flag."),
    margin: float = typer.Option(0.05, help="Added to the benign quantile."),
    lenient: bool = typer.Option(False, "--lenient", help="Skip and count bad lines."),
) -> None:
    """Set the flag threshold from benign traffic alone for a target false-positive rate."""
    from distillguard.evaluation import read_labels

    if not 0 < target_fpr < 1:
        raise typer.BadParameter(
            f"{target_fpr} is not within (0, 1); give a share such as 0.005",
            param_hint="--target-fpr",
        )
    try:
        benign = read_labels(labels) if labels else None
        analyzer = run_analyzer(events, AnalyzerConfig(), lenient)
    except DistillguardError as err:
        raise fail(err) from None
    scores = [
        t.max_score
        for name, t in analyzer.tracks.items()
        if benign is None or (name in benign and not benign[name].extraction)
    ]
    if not scores:
        where = "the accounts labelled benign in --labels" if labels else "EVENTS"
        raise typer.BadParameter(f"no benign accounts to calibrate on: {where} sent no events")
    cal = threshold_for(scores, target_fpr, margin)
    console.print(
        f"threshold {cal.threshold:.4f}: at most {target_fpr:.2%} of {cal.benign_accounts} "
        f"benign accounts reached {cal.quantile_score:.4f}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze)
    app.command("evaluate")(evaluate_cmd)
    app.command("calibrate")(calibrate)
