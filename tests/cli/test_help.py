"""`--help` reads as written: flags without a value placeholder, brackets kept literally."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from distillguard.cli.main import COMMANDS, app

runner = CliRunner()


def help_of(*command: str) -> str:
    result = runner.invoke(app, [*command, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize(
    "command",
    [
        ("validate",),
        ("analyze",),
        ("demo",),
        ("serve",),
        ("cases", "confirm"),
        ("ledger", "append"),
    ],
)
def test_flags_take_no_value_placeholder(command: tuple[str, ...]) -> None:
    text = help_of(*command)
    assert "<bool>" not in text
    assert re.search(r"^  --help +Show this message and exit\.$", text, re.MULTILINE), text


def test_boolean_options_read_as_flags() -> None:
    assert re.search(r"^  --lenient +Count bad lines", help_of("validate"), re.MULTILINE)
    assert re.search(r"^  --offline +Skip the gateway", help_of("demo"), re.MULTILINE)
    paired = help_of("accounts", "set")
    assert "--affiliated-developer / --not-affiliated-developer" in paired


def test_brackets_in_help_are_text_not_markup() -> None:
    assert "apply `[policy] sanction` to every account" in help_of("cases", "confirm")
    ledger = help_of("ledger", "append")
    assert "default [ledger] dir" in ledger and "\\[" not in ledger


def test_root_help_lists_every_command() -> None:
    text = help_of()
    for name in COMMANDS:
        assert re.search(rf"^  {re.escape(name)} ", text, re.MULTILINE), name
