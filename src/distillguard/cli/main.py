"""Entry point: `distillguard COMMAND`. Each command lives in its own module of this package.

A command's module is imported only when that command runs (or when the root help lists
them all). Between them the modules pull in the gateway, store, forensics and simulator
stacks, over a second of start-up that `distillguard analyze` has no use for.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
import typer.main
from typer.core import TyperGroup

# Command name -> the module whose `register(app)` adds it, in the order help lists them
# (typer lists plain commands before groups). tests/cli/test_startup.py checks this
# against what the modules register.
COMMANDS: dict[str, str] = {
    "validate": "events_cmd",
    "convert": "events_cmd",
    "simulate": "simulate_cmd",
    "analyze": "detect_cmd",
    "evaluate": "detect_cmd",
    "calibrate": "detect_cmd",
    "demo": "demo_cmd",
    "serve": "serve_cmd",
    "worker": "worker_cmd",
    "linker": "worker_cmd",
    "audit-log": "cases_cmd",
    "evidence": "evidence_cmd",
    "audit": "audit_cmd",
    "accounts": "accounts_cmd",
    "keys": "accounts_cmd",
    "cases": "cases_cmd",
    "reviewers": "reviewers_cmd",
    "review-model": "review_cmd",
    "policy": "policy_cmd",
    "ledger": "ledger_cmd",
}

# Plain click help, not typer's Rich panels: those show a `<bool>` placeholder after every
# flag and read "[policy] sanction" in a help text as markup, dropping it. Every command
# takes this from the Typer that builds it (the root's, or `load_module_commands`' holder).
MARKUP_MODE = None


def load_module_commands(module_name: str) -> dict[str, Any]:
    """The click commands that `distillguard.cli.<module_name>` registers, by name."""
    module = importlib.import_module(f"distillguard.cli.{module_name}")
    holder = typer.Typer(rich_markup_mode=MARKUP_MODE)
    # With a callback, typer builds a group even when the module registers one command.
    holder.callback()(_root)
    module.register(holder)
    return dict(typer.main.get_command(holder).commands)  # type: ignore[attr-defined]


class _LazyCommands(MutableMapping[str, Any]):
    """The root group's commands: names come from COMMANDS, so listing them or suggesting
    one for a typo imports nothing; looking one up imports its module."""

    def __init__(self) -> None:
        self._loaded: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded and name in COMMANDS:
            for key, command in load_module_commands(COMMANDS[name]).items():
                self._loaded.setdefault(key, command)
        return self._loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in COMMANDS or name in self._loaded

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(COMMANDS), **dict.fromkeys(self._loaded)})

    def __len__(self) -> int:
        return len(COMMANDS.keys() | self._loaded.keys())

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]


class LazyGroup(TyperGroup):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        commands = _LazyCommands()
        commands.update(self.commands)
        self.commands = commands

    def list_commands(self, ctx: Any) -> list[str]:
        # TyperGroup lists `commands.items()`, which would import every module.
        return list(self.commands)


def _root() -> None:
    """Detect, throttle and prove capability extraction through a model API."""


app = typer.Typer(
    name="distillguard",
    help="Detect, throttle and prove capability extraction through a model API.",
    cls=LazyGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=MARKUP_MODE,
)
app.callback()(_root)


def main() -> None:  # pragma: no cover - console script shim
    app()
