"""`distillguard policy check POLICY` and `distillguard policy test POLICY EVENTS`.

`policy test` replays a log online through detection and the policy (enforced, whatever its
mode) and says what each request would have got: answered in full, watermarked, degraded
or denied (see `distillguard.policy.replay` for exactly what counts). With labels it
reports per label and per persona or strategy, and ends with the line

    benign degraded: X% of requests; extraction answered in full: Y% of requests

after a line with the share of benign requests degraded or denied for a campaign's risk
alone (`distillguard.policy.replay`: what the account's own risk would have left alone).
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from distillguard.cli.events_cmd import fail, report_skipped
from distillguard.errors import DistillguardError, RecordFormatError
from distillguard.evaluation import Label, read_labels
from distillguard.evaluation.records import json_objects
from distillguard.events import EventReader
from distillguard.policy import BASE_LEVEL, AccountAttributes, Policy, load_policy
from distillguard.policy.replay import AccountTally, GroupSummary, Replay, Verdict, summarize
from distillguard.settings import load_settings
from distillguard.store.records import DEFAULT_TIERS

policy_app = typer.Typer(help="Check and test enforcement policies.", no_args_is_help=True)
# Wide enough for the report table when the output is a file or a pipe.
console = Console() if sys.stdout.isatty() else Console(width=120)

POLICY = typer.Argument(..., help="Policy TOML (see examples/policy.toml).")


@policy_app.command("check")
def check(policy: Path = POLICY) -> None:
    """Load a policy and print its tiers and ladder; exit 2 naming the bad key if invalid."""
    try:
        p = load_policy(policy)
    except DistillguardError as err:
        raise fail(err) from None
    console.print(f"{policy}: valid; mode {p.mode}, default tier {p.default_tier}")
    for tier, rules in p.tiers.items():
        console.print(f"  tier {tier}: {rules.model_dump(exclude={'levels'}, exclude_none=True)}")
    for i, level in enumerate(p.levels, start=1):
        actions = level.actions.model_dump(exclude_defaults=True)
        console.print(f"  {i}. {level.name}: {actions}", highlight=False)
    console.print(f"  {len(p.overrides)} overrides, {len(p.allowlist)} allowlisted accounts")


@policy_app.command("test")
def test(
    policy: Path = POLICY,
    events: Path = typer.Argument(
        ..., help="Event log (JSONL or .jsonl.gz, or a folder of them) to replay."
    ),
    labels: Path | None = typer.Option(
        None, "--labels", help="labels.jsonl: report per label and per persona or strategy."
    ),
    accounts: Path | None = typer.Option(
        None,
        "--accounts",
        help="JSONL of {account, tier, verification, org_type, affiliated_developer}; "
        "accounts not in it are on the default tier, unverified, of unknown organisation.",
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Settings TOML whose tiers' requests_per_min throttling scales."
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Write every figure here."),
    lenient: bool = typer.Option(False, "--lenient", help="Skip and count bad lines."),
) -> None:
    """Replay EVENTS through detection and POLICY: what would each request have got?

    Verdicts: denied (suspended, verification required, over a throttled limit); degraded
    (a logprobs, top_logprobs, logit_bias or n it sent stripped or capped, an answer longer
    than a max_tokens cap, reasoning withheld or cut short); watermarked (otherwise in
    full); full (nothing changed). Benign degraded = degraded + denied; extraction
    answered in full = full only. The policy is replayed as enforced, even in shadow mode.
    """
    try:
        p = load_policy(policy)
        tiers, attrs = read_accounts(accounts) if accounts else ({}, {})
        known = read_labels(labels) if labels else None
        rpm = tier_rates(config)
        replay = Replay(p, tiers=tiers, attributes=attrs, requests_per_min=rpm)
        start = time.perf_counter()
        reader = EventReader(events, lenient=lenient)
        for event in reader:
            replay.step(event)
    except DistillguardError as err:
        raise fail(err) from None
    report_skipped(reader)
    elapsed = time.perf_counter() - start
    n = replay.analyzer.events
    console.print(
        f"replayed {n:,} events of {len(replay.accounts):,} accounts in {elapsed:.1f} s "
        f"({n / elapsed if elapsed else 0.0:,.0f} events/s); policy mode {p.mode}, "
        "judged as enforced",
        highlight=False,
    )
    if not accounts:
        console.print("no --accounts: every account taken as unverified, on the default tier")
    print_levels(p, replay)
    groups = group_summaries(replay, known)
    print_groups(groups)
    if json_out is not None:
        json_out.write_bytes(orjson.dumps(report(p, replay, groups, known), option=_JSON))
        console.print(f"wrote {json_out}", highlight=False)
    if known is not None:
        benign, extraction = groups.get("benign"), groups.get("extraction")
        degraded = (benign.degraded + benign.denied) if benign else 0.0
        full = extraction.full if extraction else 0.0
        carried = benign.carried if benign else 0.0
        typer.echo(
            f"benign degraded for a campaign alone: {carried:.3%} of requests (the account's "
            "own risk would have left them alone)"
        )
        typer.echo(
            f"benign degraded: {degraded:.3%} of requests; "
            f"extraction answered in full: {full:.3%} of requests"
        )


_JSON = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
ATTRIBUTE_FIELDS = ("verification", "org_type", "affiliated_developer")


def read_accounts(path: Path) -> tuple[dict[str, str], dict[str, AccountAttributes]]:
    """Tiers and attributes per account from a JSONL file (the store's view, for replays)."""
    tiers: dict[str, str] = {}
    attrs: dict[str, AccountAttributes] = {}
    for lineno, obj in json_objects(path, "accounts file", RecordFormatError):
        account = obj.get("account")
        if not isinstance(account, str):
            raise RecordFormatError(str(path), lineno, "field 'account' must be a string")
        if isinstance(obj.get("tier"), str):
            tiers[account] = obj["tier"]
        fields = {k: obj[k] for k in ATTRIBUTE_FIELDS if k in obj}
        try:
            attrs[account] = AccountAttributes.parse(**fields)
        except (ValueError, TypeError) as err:
            raise RecordFormatError(str(path), lineno, str(err)) from None
    return tiers, attrs


def tier_rates(config: Path | None) -> dict[str, int]:
    """Requests per minute of each tier: the store's defaults, then the settings' tiers."""
    rpm = {t.name: t.requests_per_min for t in DEFAULT_TIERS}
    if config is not None:
        rpm.update({n: t.requests_per_min for n, t in load_settings(config).tiers.items()})
    return rpm


def group_summaries(replay: Replay, known: dict[str, Label] | None) -> dict[str, GroupSummary]:
    """All accounts; with labels, each label then each of its kinds (persona or strategy)."""
    groups: dict[str, list[AccountTally]] = {"all": list(replay.accounts.values())}
    if known is not None:
        kinds: dict[str, list[AccountTally]] = {}
        for account, tally in replay.accounts.items():
            label = known.get(account)
            side = _side(label)
            groups.setdefault(side, []).append(tally)
            if label is not None and label.kind:
                kinds.setdefault(f"{side}/{label.kind}", []).append(tally)
        groups = dict(sorted(groups.items(), key=lambda kv: _ORDER.get(kv[0], 9)))
        groups.update(sorted(kinds.items()))
    return {name: summarize(name, ts) for name, ts in groups.items()}


_ORDER = {"all": 0, "benign": 1, "extraction": 2}


def _side(label: Label | None) -> str:
    if label is None:
        return "unlabelled"
    return "extraction" if label.extraction else "benign"


def print_levels(policy: Policy, replay: Replay) -> None:
    ups = sum(t.escalation for t in replay.transitions)
    downs = len(replay.transitions) - ups
    names = [BASE_LEVEL, *(lv.name for lv in policy.levels)]
    peaks: dict[str, int] = {}
    for tally in replay.accounts.values():
        name = names[tally.peak_level] if tally.peak_level < len(names) else str(tally.peak_level)
        peaks[name] = peaks.get(name, 0) + 1
    shown = ", ".join(f"{name} {peaks[name]}" for name in names if name in peaks)
    console.print(
        f"{len(replay.transitions):,} level changes ({ups:,} up, {downs:,} down); "
        f"accounts by highest level reached: {shown}",
        highlight=False,
    )


def print_groups(groups: dict[str, GroupSummary]) -> None:
    table = Table(title="what each request would have got (shares of requests)", padding=(0, 1))
    heads = ("group", "accts", "requests", "full", "wmark", "degraded", "denied")
    for col in (*heads, "med.full", "med.unres", "touched"):
        table.add_column(col, justify="left" if col == "group" else "right", no_wrap=True)
    for g in groups.values():
        table.add_row(
            g.name.split("/")[-1] if "/" in g.name else f"[bold]{g.name}[/]",
            f"{g.accounts:,}",
            f"{g.requests:,}",
            f"{g.full:.2%}",
            f"{g.watermarked:.1%}",
            f"{g.degraded:.3%}",
            f"{g.denied:.2%}",
            f"{g.median_account_full:.2%}",
            f"{g.median_account_unrestricted:.1%}",
            f"{g.accounts_touched:,}",
        )
    console.print(table)
    console.print(
        "med.full / med.unres: median over the group's accounts of each one's share of requests "
        "answered in full / in full or only watermarked; touched: accounts with a degraded or "
        "denied request",
        highlight=False,
        style="dim",
    )


def report(
    policy: Policy, replay: Replay, groups: dict[str, GroupSummary], known: dict[str, Label] | None
) -> dict[str, Any]:
    names = [BASE_LEVEL, *(lv.name for lv in policy.levels)]
    accounts = {}
    for account, t in replay.accounts.items():
        label = known.get(account) if known else None
        accounts[account] = {
            "label": None if label is None else _side(label),
            "kind": None if label is None else label.kind,
            "requests": t.requests,
            "verdicts": {v.value: t.verdicts[v] for v in Verdict},
            "causes": t.causes,
            "carried": t.carried,
            "transitions": t.transitions,
            "peak_level": names[t.peak_level] if t.peak_level < len(names) else t.peak_level,
        }
    return {
        "events": replay.analyzer.events,
        "mode": policy.mode,
        "groups": {name: asdict(g) for name, g in groups.items()},
        "accounts": accounts,
        "transitions": len(replay.transitions),
    }


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")
