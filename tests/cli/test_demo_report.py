"""What the gateway demo prints: flags with account, risk and reason; levels as a table."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import cast

from rich.console import Console

from distillguard.cli.demo_report import (
    FlagPrinter,
    flag_line,
    level_table,
    log_note,
    printing_flags,
    store_note,
    unverified_level,
)
from distillguard.detect.engine import Analyzer
from distillguard.evaluation.labels import Label
from distillguard.policy import default_policy


class StubAnalyzer:
    """An analyzer whose one account has fixed reasons, as the recorder's would by then."""

    def __init__(self) -> None:
        self.tracks = {"acct_1": None}

    def assessment(self, account: str) -> tuple[str, ...]:
        return ("48 requests set logit_bias over ~140 token ids", "second reason")


def recording() -> Console:
    return Console(record=True, width=200, force_terminal=False, color_system=None)


def test_a_flag_line_names_account_note_risk_and_reason() -> None:
    console = recording()
    console.print(flag_line("acct_1", 0.4123, "many [probe] requests", "simulated a, hydra"))
    text = console.export_text()
    assert text == "flagged acct_1 (simulated a, hydra) risk 0.41: many [probe] requests\n"


def test_flag_records_are_printed_with_their_reason_not_bare() -> None:
    console = recording()
    analyzer = cast(Analyzer, StubAnalyzer())
    printer = FlagPrinter(console, analyzer, {"acct_1": "simulated a, hydra"})
    logger = logging.getLogger("distillguard.gateway.events")
    before = logging.getLogger("distillguard").handlers[:]
    with printing_flags(printer):
        logger.warning("account flagged", extra={"account": "acct_1", "score": 0.391})
        logger.warning("account flagged", extra={"account": "acct_2", "score": 0.5})
        logger.warning("event not valid for detection: x")
    assert logging.getLogger("distillguard").handlers == before
    lines = console.export_text().splitlines()
    assert lines == [
        "flagged acct_1 (simulated a, hydra) risk 0.39: "
        "48 requests set logit_bias over ~140 token ids",
        "flagged acct_2 risk 0.50",  # not scored yet: no reason to give
        "gateway warning: event not valid for detection: x",
    ]
    assert printer.flagged == 2


def test_levels_are_a_table_with_counts_and_meanings() -> None:
    policy = default_policy()
    labels = {
        "a": Label("a", extraction=False),
        "b": Label("b", extraction=True),
        "c": Label("c", extraction=True),
        "d": Label("d", extraction=False),
    }
    levels = {"a": "probation", "b": "probation", "c": "verify"}  # d: the base level
    console = recording()
    console.print(level_table(policy, levels, labels, labels))
    text = console.export_text()
    rows = {
        cells[0]: cells
        for line in text.splitlines()
        if line.startswith("│") and (cells := [c.strip() for c in line.split("│")[1:-1]])
    }
    assert list(rows) == ["none", "probation", "verify"]  # ladder order; unreached left out
    assert rows["none"][:4] == ["none", "1", "1", "0"]
    assert rows["probation"][:4] == ["probation", "2", "1", "1"]
    assert rows["probation"][4].startswith("unverified")
    assert rows["verify"][:4] == ["verify", "1", "0", "1"]
    assert "created unverified (verification none)" in text
    assert "{'" not in text  # no raw dict


def test_the_unverified_level_of_the_shipped_policy_is_probation() -> None:
    assert unverified_level(default_policy()) == "probation"


def test_notes_point_to_files_only_when_they_are_kept(tmp_path: Path) -> None:
    assert str(tmp_path) not in store_note(tmp_path, kept=False) + log_note(tmp_path, kept=False)
    assert "--out DIR keeps" in log_note(tmp_path, kept=False)
    assert store_note(tmp_path, kept=True) == f"SQLite in {tmp_path / 'gateway.db'}"
    events = tmp_path / "gateway-events"
    assert f"`distillguard analyze {events} --out DIR`" in log_note(tmp_path, kept=True)
