"""Fixtures of the CLI tests: one small simulated scenario and its analysis, shared read-only."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from distillguard.cli.main import app
from distillguard.sim import ScenarioConfig, SimSummary, simulate


@pytest.fixture(scope="session")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> SimSummary:
    """20 accounts of every kind over one day at 5% volume (~1.5k events), built-in text."""
    config = ScenarioConfig(accounts=20, days=1, seed=1, volume=0.05)
    return simulate(config, tmp_path_factory.mktemp("scenario"))


@pytest.fixture(scope="session")
def analyzed(scenario: SimSummary, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder `distillguard analyze` wrote for the scenario."""
    out = tmp_path_factory.mktemp("analyzed")
    result = CliRunner().invoke(app, ["analyze", str(scenario.events_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out
