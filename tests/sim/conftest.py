"""Fixtures of the simulator tests: where the public data sets are, and small runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from distillguard.sim import ScenarioConfig, SimSummary, simulate

# The project root is tests/..; the data sets live beside it, in shared/data.
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

Runner = Callable[..., SimSummary]


@pytest.fixture(scope="session")
def data_dir() -> Path | None:
    """The public data sets when present, else None (the built-in generator stands in)."""
    return DATA if (DATA / "MANIFEST.tsv").is_file() else None


@pytest.fixture(scope="session")
def real_data(data_dir: Path | None) -> Path:
    if data_dir is None:
        pytest.skip(f"public data sets not found at {DATA} (see shared/data/README.md)")
    return data_dir


@pytest.fixture(scope="session")
def run_small(data_dir: Path | None) -> Runner:
    """simulate() on a small, fast scenario: 20 accounts, one day, 5% of the usual volume."""

    def run(out: Path, **kw: Any) -> SimSummary:
        params: dict[str, Any] = {
            "accounts": 20,
            "days": 1,
            "seed": 1,
            "volume": 0.05,
            "data_dir": data_dir,
        }
        params.update(kw)
        return simulate(ScenarioConfig(**params), out)

    return run


@pytest.fixture(scope="session")
def small_run(run_small: Runner, tmp_path_factory: pytest.TempPathFactory) -> SimSummary:
    """One run shared by the read-only checks: every kind, two days, two campaigns."""
    return run_small(tmp_path_factory.mktemp("sim"), accounts=40, days=2, seed=3)
