"""`distillguard demo`: the simulated traffic replayed through a real gateway, which detects.

The gateway runs in this process (`BackgroundServer` on 127.0.0.1, a port the system picks)
with the simulated upstream and a SQLite store in the demo's folder; the replay itself
(`sim.replay`) sends each simulated request through it over loopback HTTP, on the simulated
clock and for the simulated client address. The gateway's inline detection scores them as
they come; its verdicts are printed as they happen, then scored against the simulated
labels, translated to the gateway's account ids.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from distillguard.cli.demo_cmd import RateColumn, simulate_traffic
from distillguard.cli.demo_report import (
    FlagPrinter,
    level_table,
    log_note,
    print_console_login,
    printing_flags,
    store_note,
)
from distillguard.cli.detect_cmd import console, print_evaluation, print_summary, write_results
from distillguard.evaluation import evaluate, read_labels, read_scores
from distillguard.evaluation.labels import Label
from distillguard.gateway import BackgroundServer, build_app
from distillguard.gateway.enforcement import Enforcement
from distillguard.settings import Settings
from distillguard.sim import ScenarioConfig, SimSummary
from distillguard.sim.replay import (
    EVENTS_DIR,
    Plan,
    gateway_labels,
    policy_effect,
    prepare,
    read_plan,
    replay,
    write_map,
)
from distillguard.store import Store

# Requests through HTTP cost far more than offline analysis: at 5/6 of the offline demo's
# volume the default 60 accounts make ~40k requests, about a minute on 2 cores.
VOLUME = 0.5


def run_gateway_demo(
    folder: Path, config: ScenarioConfig, kept: bool = False, serve: bool = False
) -> None:
    """Simulate, replay through a gateway, analyze its log, evaluate; print as the offline demo.

    `kept`: the folder outlives the demo (--out), so its files may be pointed to. `serve`:
    then serve the gateway again on the same store, with a reviewer for the console, until
    Ctrl-C (--keep-serving).
    """
    summary = simulate_traffic(folder, config)
    labels = read_labels(summary.labels_path)
    plan = read_plan(summary.events_path)
    ready = prepare(folder, plan, labels)
    write_map(folder / "gateway-accounts.jsonl", ready.ids, labels)
    kinds = {name: label.kind for name, label in labels.items()}
    notes = {gid: f"simulated {name}, {kinds.get(name) or '?'}" for name, gid in ready.ids.items()}

    app = build_app(ready.settings, store=ready.store)
    recorder = app.state.recorder
    # Flags are printed as they happen, the last ones while the gateway drains at shutdown.
    printer = FlagPrinter(console, recorder.analyzer, notes)
    with printing_flags(printer), BackgroundServer(app) as s:
        console.print(
            f"gateway on {s.url} (simulated upstream, {store_note(folder, kept)}): "
            f"{len(ready.ids)} accounts with one key each",
            highlight=False,
            soft_wrap=True,
        )
        start = time.perf_counter()
        statuses = replay_with_progress(s.url, plan, ready.secrets)
        took = time.perf_counter() - start
    print_replay(plan, statuses, took, recorder.log.written, recorder.dropped)
    print_detected(printer.flagged, summary, took, log_note(folder, kept))
    accounts, campaigns = recorder.analyzer.results()
    write_results(folder, accounts, campaigns)
    print_summary(accounts, campaigns, notes=notes)
    translated = gateway_labels(ready.ids, labels)
    evaluation = evaluate(read_scores(folder), translated)
    print_evaluation(evaluation)
    (folder / "evaluation.json").write_bytes(evaluation.to_json())
    print_policy(folder, translated, ready.store, app.state.enforcement)
    if serve:
        serve_until_interrupted(ready.settings, ready.store)


def replay_with_progress(url: str, plan: Plan, secrets: Mapping[str, str]) -> Counter[int]:
    columns = (
        TextColumn("replaying"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn("requests"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("replaying", total=plan.total)
        return asyncio.run(replay(url, plan, secrets, lambda: progress.advance(task)))


def print_detected(flagged: int, summary: SimSummary, took: float, log: str) -> None:
    if flagged:
        # The gateway flags an account the first time its risk reaches the threshold; the
        # summary below counts those still over it at the end, so the two numbers differ.
        console.print(
            f"{flagged} account{'s' if flagged > 1 else ''} reached the flag "
            "threshold during the replay; the summary below counts those still flagged at the end",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"the gateway detected inline on the simulated clock ({summary.days} simulated "
        f"day{'s' if summary.days > 1 else ''} in {took:.0f} s) and the simulated client "
        f"addresses (X-Forwarded-For from a trusted loopback proxy); {log}",
        style="dim",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _forever() -> None:
    while True:
        time.sleep(3600)


def serve_until_interrupted(
    settings: Settings, store: Store, wait: Callable[[], None] = _forever
) -> None:
    """A fresh gateway on the demo's store (it restores the detector state the first one
    saved), so the console shows the replay's cases, risks and levels."""
    with BackgroundServer(build_app(settings, store=store)) as s:
        print_console_login(console, s.url, store)
        try:
            wait()
        except KeyboardInterrupt:
            console.print("gateway stopped", highlight=False)


def print_replay(
    plan: Plan, statuses: Counter[int], took: float, written: int, dropped: int
) -> None:
    shown = ", ".join(f"{code or 'failed'}: {n:,}" for code, n in sorted(statuses.items()))
    console.print(
        f"replayed {plan.total:,} requests in {took:.1f} s ({plan.total / max(took, 1e-9):,.0f}/s; "
        f"{shown}); gateway recorded {written:,} events, dropped {dropped}",
        highlight=False,
        soft_wrap=True,
    )
    if plan.skipped:
        skipped = ", ".join(f"{n:,} {endpoint}" for endpoint, n in plan.skipped.most_common())
        console.print(f"skipped requests to endpoints the gateway does not serve: {skipped}")


def print_policy(
    folder: Path, labels: dict[str, Label], store: Store, enforcement: Enforcement
) -> None:
    """What the policy (shadow mode by default) did or would have done, by label."""
    effect = policy_effect(folder / EVENTS_DIR, labels)
    restricted, total = effect.restricted, effect.total
    cases = store.list_cases(None, 10_000)
    mode = "shadow mode: nothing was changed" if effect.shadow else "enforcing"
    console.print(
        f"policy ({mode}): {restricted['extraction']:,} of {total['extraction']:,} extraction "
        f"requests and {restricted['benign']:,} of {total['benign']:,} benign requests "
        f"{'would have been ' if effect.shadow else ''}restricted beyond a watermark; "
        f"{len(cases)} case(s) opened for review",
        highlight=False,
        soft_wrap=True,
    )
    levels = {a: enforcement.enforcer.decision(a).level for a in labels}
    console.print(level_table(enforcement.policy, levels, labels, labels))
