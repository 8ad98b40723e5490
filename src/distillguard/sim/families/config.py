"""What a scenario-families run is asked to do, and what it reports back.

`FamiliesConfig` is validated on construction, so a bad option fails before any work with
the option, the value and the fix (as `ScenarioError`). `FamiliesSummary` is what
`simulate_families` returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from distillguard.errors import ScenarioError

SPLITS = ("tune", "test", "all")
MAX_DAYS = 14  # the ServeGen client traces cover 14 days; longer runs would repeat them


def parse_names(text: str) -> tuple[str, ...]:
    """`all` or comma-separated family names (as `--families` takes them); () means all."""
    from distillguard.sim.families.catalog import FAMILIES

    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if names in ((), ("all",)):
        return ()
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        raise ScenarioError("families", unknown[0], f"use all or some of {', '.join(FAMILIES)}")
    return names


@dataclass(frozen=True, slots=True)
class FamiliesConfig:
    """One run. `families` empty means all of them; `accounts` scales every family's size.

    `prompt_split` picks which prompt sources (whole data sets) the run may draw from:
    `tune` and `test` are disjoint, so a detector tuned on one can be tested on the other.
    """

    seed: int = 0
    families: tuple[str, ...] = ()
    accounts: float = 1.0
    days: int = 2
    volume: float = 1.0
    data_dir: Path | None = None
    prompt_split: str = "all"

    def __post_init__(self) -> None:
        from distillguard.sim.families.catalog import FAMILIES

        if not isinstance(self.seed, int) or self.seed < 0:
            raise ScenarioError("seed", self.seed, "give a non-negative whole number")
        unknown = [f for f in self.families if f not in FAMILIES]
        if unknown:
            raise ScenarioError("families", unknown[0], f"use some of {', '.join(FAMILIES)}")
        if not 0 < self.accounts <= 20:
            raise ScenarioError("accounts", self.accounts, "give a scale above 0 and at most 20")
        if not isinstance(self.days, int) or not 1 <= self.days <= MAX_DAYS:
            raise ScenarioError("days", self.days, f"give 1 to {MAX_DAYS} whole days")
        if not 0 < self.volume <= 10:
            raise ScenarioError("volume", self.volume, "give a factor above 0 and at most 10")
        if self.prompt_split not in SPLITS:
            raise ScenarioError("prompt_split", self.prompt_split, f"use one of {SPLITS}")

    @property
    def names(self) -> tuple[str, ...]:
        """The families of this run, in catalog order."""
        from distillguard.sim.families.catalog import FAMILIES

        return tuple(f for f in FAMILIES if not self.families or f in self.families)


@dataclass(frozen=True, slots=True)
class FamiliesSummary:
    """What one `simulate_families` call wrote."""

    events: int
    accounts: int
    days: int
    elapsed_s: float
    bytes_written: int
    events_path: Path
    labels_path: Path
    prompt_split: str
    used_fallback: bool
    accounts_by_family: dict[str, int] = field(default_factory=dict)
    events_by_family: dict[str, int] = field(default_factory=dict)
    accounts_by_kind: dict[str, int] = field(default_factory=dict)
    events_by_kind: dict[str, int] = field(default_factory=dict)
