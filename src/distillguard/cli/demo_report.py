"""What `distillguard demo` says about the gateway's verdicts: each flag as it happens, and
the policy levels the accounts ended at, with what each level means.

The gateway logs a flag as the record "account flagged", its account and score in `extra`;
with no handler configured Python prints the bare message alone. `printing_flags` shows it
as a line naming the account, its risk and its top reason instead.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from distillguard.policy import BASE_LEVEL, Policy

if TYPE_CHECKING:
    from distillguard.detect.engine import Analyzer
    from distillguard.evaluation.labels import Label
    from distillguard.store import Store

FLAGGED = "account flagged"  # the recorder's message (gateway/recorder.py)


def store_note(folder: Path, kept: bool) -> str:
    """Where the gateway's store is, when it outlives the demo."""
    return f"SQLite in {folder / 'gateway.db'}" if kept else "SQLite in a temporary folder"


def log_note(folder: Path, kept: bool) -> str:
    """Where the gateway's event log is and how to read it again, or how to keep it."""
    if not kept:
        return "--out DIR keeps its event log, store and results."
    events = folder / "gateway-events"
    return f"its event log is in {events} (`distillguard analyze {events} --out DIR`)."


def flag_line(account: str, risk: float, reason: str | None, note: str | None = None) -> str:
    """One flagged account in Rich markup: `flagged acct_1 (simulated a, kind) risk 0.41: why`."""
    who = f"[bold]{escape(account)}[/]" + (f" ({escape(note)})" if note else "")
    why = f": {escape(reason)}" if reason else ""
    return f"flagged {who} risk {risk:.2f}{why}"


class FlagPrinter(logging.Handler):
    """Prints the gateway's flag records with the reason the analyzer gives at that moment.

    It runs in the recorder's thread, which holds the lock over the analyzer while it
    processes a batch, so reading the analyzer here sees it consistent.
    """

    def __init__(self, console: Console, analyzer: Analyzer, notes: Mapping[str, str]) -> None:
        super().__init__(logging.WARNING)
        self.console = console
        self.analyzer = analyzer
        self.notes = notes
        self.flagged = 0

    def emit(self, record: logging.LogRecord) -> None:
        account = getattr(record, "account", None)
        if record.getMessage() != FLAGGED or not isinstance(account, str):
            message = f"gateway {record.levelname.lower()}: {record.getMessage()}"
            self.console.print(message, markup=False, highlight=False, soft_wrap=True)
            return
        known = account in self.analyzer.tracks
        reasons = self.analyzer.assessment(account) if known else ()
        score = getattr(record, "score", 0.0)
        risk = float(score) if isinstance(score, int | float) else 0.0
        line = flag_line(account, risk, reasons[0] if reasons else None, self.notes.get(account))
        self.console.print(line, highlight=False, soft_wrap=True)
        self.flagged += 1


@contextlib.contextmanager
def printing_flags(handler: logging.Handler) -> Iterator[None]:
    """Route distillguard's log records to `handler` (not Python's bare last resort) a while."""
    logger = logging.getLogger("distillguard")
    saved = logger.handlers[:], logger.propagate
    logger.handlers[:] = [handler]
    logger.propagate = False
    try:
        yield
    finally:
        logger.handlers[:], logger.propagate = saved


def level_table(
    policy: Policy, levels: Mapping[str, str], labels: Mapping[str, Label], accounts: Iterable[str]
) -> Table:
    """Accounts at each level (benign and extraction among them) and what the level means."""
    at = {a: levels.get(a, BASE_LEVEL) for a in accounts}
    count = Counter(at.values())
    extraction = Counter(lv for a, lv in at.items() if a in labels and labels[a].extraction)
    meaning = {lv.name: lv.description or "-" for lv in policy.levels}
    meaning[BASE_LEVEL] = "the base level: the tier's rules, nothing more"
    order = [BASE_LEVEL, *(lv.name for lv in policy.levels)]
    order += sorted(count.keys() - set(order))
    table = Table(title="policy levels the accounts ended at", title_justify="left")
    table.add_column("level")
    table.add_column("accounts", justify="right")
    table.add_column("benign", justify="right")
    table.add_column("extraction", justify="right")
    table.add_column("what the level means")
    for name in order:
        if count[name]:
            n, bad = count[name], extraction[name]
            table.add_row(name, str(n), str(n - bad), str(bad), meaning.get(name, "-"))
    unverified = unverified_level(policy)
    if unverified is not None and count[unverified]:
        table.caption = (
            f"{unverified}: demo accounts are created unverified (verification none), which "
            f"alone puts an account at {unverified}; detection moves it higher"
        )
        table.caption_justify = "left"
    return table


def unverified_level(policy: Policy) -> str | None:
    """The first level an account enters for being unverified, whatever its traffic."""
    for level in policy.levels:
        for c in level.when:
            tests = c.model_dump(exclude_none=True)
            if tests.keys() == {"verification"} and "none" in tests["verification"]:
                return level.name
    return None


def print_console_login(out: Console, url: str, store: Store) -> str:
    """A reviewer with a random password, made for this demo, and where to sign in; the
    reviewer's name is returned. The password is shown here once and kept only hashed."""
    import secrets

    name = f"demo-{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(15)
    store.create_reviewer(name, "reviewer", password)
    out.print(
        f"review console: {url}/console/ (sign in as {name}, password {password}); "
        "Ctrl-C stops the gateway",
        highlight=False,
        soft_wrap=True,
    )
    return name
