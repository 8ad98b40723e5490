"""`distillguard demo`: the main job end to end on embedded defaults.

Simulates a small mix of benign customers and extraction campaigns, replays it through a
gateway on loopback HTTP (`demo_gateway`; `--offline` analyzes the log directly), prints who
was flagged and why, and scores that against the labels.
Files go to a temporary folder that is removed afterwards, unless `--out` keeps them.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from distillguard.cli.detect_cmd import console, print_evaluation, print_summary, write_results
from distillguard.cli.events_cmd import fail
from distillguard.cli.simulate_cmd import DEFAULT_DATA
from distillguard.detect.engine import Analyzer
from distillguard.errors import DistillguardError
from distillguard.evaluation import evaluate, read_labels, read_scores
from distillguard.events import EventReader
from distillguard.sim import ScenarioConfig, SimSummary, simulate
from distillguard.sim.config import EXTRACTION_KINDS

# At volume 1 the standard mix averages ~1,000 requests per account a day; 0.6 keeps the
# default 60 accounts for one day at 45-57k events (seeds 0-4), analyzed in well under a minute.
VOLUME = 0.6
PROGRESS_EVERY = 1000  # events between progress bar updates


class RateColumn(ProgressColumn):
    """Events (or `unit`) per second over the progress bar's recent window."""

    def __init__(self, unit: str = "events") -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} {self.unit}/s")


def demo(
    out: Path | None = typer.Option(
        None, "--out", help="Keep events, labels and results here (default: a removed temp folder)."
    ),
    seed: int = typer.Option(0, "--seed", help="Same seed, same traffic and results."),
    accounts: int = typer.Option(60, "--accounts", help="Number of simulated accounts."),
    days: int = typer.Option(1, "--days", help="Days of simulated traffic (1-14)."),
    offline: bool = typer.Option(
        False,
        "--offline",
        help="Skip the gateway: analyze the simulated log directly (faster, twice the volume).",
    ),
    keep_serving: bool = typer.Option(
        False,
        "--keep-serving",
        help="Then keep the gateway serving, with a reviewer for /console, until Ctrl-C.",
    ),
) -> None:
    """Simulate customers and extraction campaigns, replay them through the gateway over HTTP,
    detect inline, print who was flagged and why, and how well."""
    start = time.perf_counter()
    data_dir = DEFAULT_DATA if DEFAULT_DATA.is_dir() else None
    run: Callable[[Path, ScenarioConfig, bool], None] = run_demo
    volume = VOLUME
    if offline and keep_serving:
        raise typer.BadParameter("--keep-serving needs the gateway: drop --offline")
    if not offline:
        from functools import partial

        from distillguard.cli import demo_gateway  # imports this module: not at the top

        gateway = partial(demo_gateway.run_gateway_demo, serve=keep_serving)
        run, volume = gateway, demo_gateway.VOLUME
    try:
        config = ScenarioConfig(
            accounts=accounts, days=days, seed=seed, data_dir=data_dir, volume=volume
        )
        if out is not None:
            run(out, config, True)
        else:
            with tempfile.TemporaryDirectory(prefix="distillguard-demo-") as tmp:
                run(Path(tmp), config, False)
    except DistillguardError as err:
        raise fail(err) from None
    where = f"files in {out}" if out else "temporary files removed; --out DIR keeps them"
    elapsed = time.perf_counter() - start
    console.print(f"demo done in {elapsed:.0f} s ({where})", highlight=False, soft_wrap=True)


def run_demo(folder: Path, config: ScenarioConfig, kept: bool = False) -> None:
    """Simulate into `folder`, analyze, write results and evaluation there, print both.

    Nothing here names a file of `folder`, so `kept` (whether it outlives the demo) is unused.
    """
    summary = simulate_traffic(folder, config)
    analyzer = detect([summary.events_path], summary.events)
    accounts, campaigns = analyzer.results()
    write_results(folder, accounts, campaigns)
    print_summary(accounts, campaigns)
    evaluation = evaluate(read_scores(folder), read_labels(summary.labels_path))
    print_evaluation(evaluation)
    (folder / "evaluation.json").write_bytes(evaluation.to_json())


def simulate_traffic(folder: Path, config: ScenarioConfig) -> SimSummary:
    if config.data_dir is None:
        source = f"built-in prompt generator and parametric rates ({DEFAULT_DATA} not found)"
    else:
        source = f"public data sets in {config.data_dir}"
    console.print(f"data: {source}", highlight=False, soft_wrap=True)
    with console.status("simulating traffic"):
        summary = simulate(config, folder)
    if config.data_dir is not None and summary.used_fallback:
        console.print("note: some data files were missing; generated text stood in", style="dim")
    extraction = sum(n for kind, n in summary.accounts_by_kind.items() if kind in EXTRACTION_KINDS)
    console.print(
        f"simulated {summary.events:,} events from {summary.accounts} accounts "
        f"({extraction} extracting) over {summary.days} day{'s' if summary.days > 1 else ''} "
        f"in {summary.elapsed_s:.1f} s",
        highlight=False,
    )
    return summary


def detect(logs: Sequence[Path], total: int) -> Analyzer:
    """Run the online analyzer over the event logs in turn, one event at a time."""
    analyzer = Analyzer()
    columns = (
        TextColumn("detecting"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("detecting", total=total)
        for log in logs:
            for event in EventReader(log):
                analyzer.process(event)
                if analyzer.events % PROGRESS_EVERY == 0:
                    progress.update(task, completed=analyzer.events)
        progress.update(task, completed=analyzer.events)
    return analyzer


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
