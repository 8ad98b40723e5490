"""`distillguard analyze` starts fast: no scikit-learn, scipy or server stacks on its path.

Imports are checked in a fresh interpreter, since this one has imported everything the test
suite needs. The root group imports a command's module only when that command runs, so its
command list is checked here against what the modules register. numpy is imported where the
analyzer first needs it (the population of accounts), so `analyze --help` goes without it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import typer
import typer.main

from distillguard.cli import main
from distillguard.sim import SimSummary

# Modules that cost a noticeable part of a second to import and that analyze never needs.
# (pydantic is not here: typer imports it itself when a command runs.)
HEAVY = ("sklearn", "scipy", "sqlalchemy", "alembic", "cryptography", "starlette", "uvicorn")


def loaded_after(code: str, modules: tuple[str, ...] = HEAVY) -> dict[str, bool]:
    """Run `code` in a fresh interpreter; which of `modules` it left in sys.modules."""
    report = f"print(orjson.dumps({{m: m in sys.modules for m in {modules!r}}}).decode())"
    check = f"{code}\nimport sys, orjson\n{report}"
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True, timeout=120
    )
    result: dict[str, bool] = orjson.loads(done.stdout.splitlines()[-1])
    return result


def test_importing_the_cli_and_analyze_pulls_in_nothing_heavy() -> None:
    loaded = loaded_after("import distillguard.cli.main, distillguard.cli.detect_cmd")
    assert not any(loaded.values()), loaded


def test_analyze_help_through_the_lazy_root_imports_no_sklearn_scipy_or_numpy() -> None:
    # The way the console script goes: the root group looks `analyze` up, which imports
    # its module (`COMMANDS`), then prints its help.
    code = (
        "from distillguard.cli.main import app\n"
        "app(['analyze', '--help'], prog_name='distillguard', standalone_mode=False)"
    )
    loaded = loaded_after(code, ("sklearn", "scipy", "numpy", "distillguard.cli.detect_cmd"))
    assert loaded.pop("distillguard.cli.detect_cmd"), "the lookup did not import the command"
    assert not any(loaded.values()), loaded


def test_the_import_check_sees_an_import() -> None:
    """Otherwise the checks above would pass whatever analyze imported."""
    assert loaded_after("import sklearn.metrics", ("sklearn", "numpy")) == {
        "sklearn": True,
        "numpy": True,
    }


def test_running_analyze_pulls_in_nothing_heavy(scenario: SimSummary, tmp_path: Path) -> None:
    args = ["analyze", str(scenario.events_path), "--out", str(tmp_path)]
    loaded = loaded_after(
        "from distillguard.cli.main import app\n"
        f"app({args!r}, prog_name='distillguard', standalone_mode=False)"
    )
    assert not any(loaded.values()), loaded
    assert (tmp_path / "accounts.jsonl").stat().st_size > 0


def test_command_list_is_what_the_modules_register() -> None:
    package = Path(main.__file__).parent
    modules = {p.stem for p in package.glob("*_cmd.py") if "def register(" in p.read_text()}
    assert set(main.COMMANDS.values()) == modules
    for module in modules:
        mine = {name for name, m in main.COMMANDS.items() if m == module}
        assert set(main.load_module_commands(module)) == mine, module


def test_plain_commands_are_listed_before_groups() -> None:
    # As typer lists an app whose modules are registered up front.
    group: Any = typer.main.get_command(main.app)
    ctx = typer.Context(group)
    names = group.list_commands(ctx)
    assert names == list(main.COMMANDS)
    kinds = [hasattr(group.get_command(ctx, n), "commands") for n in names]
    assert kinds == sorted(kinds), "a group is listed before a plain command"
