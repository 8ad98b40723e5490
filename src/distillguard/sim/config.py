"""What a simulation run is asked to do, and what it reports back.

`ScenarioConfig` is the input (validated on construction); `Mix` says how many accounts
of each kind a scenario holds; `SimSummary` is what `simulate` returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from distillguard.errors import ScenarioError

SCENARIOS = ("standard", "holdout")
MAX_DAYS = 14  # the ServeGen client traces cover 14 days; longer runs would repeat them

BENIGN_KINDS = (
    "consumer_chat",
    "support_bot",
    "rag_app",
    "benchmark_runner",
    "batch",
    "researcher",
)
EXTRACTION_KINDS = (
    "broad_harvest",
    "cot_harvest",
    "capability_harvest",
    "rubric_grading",
    "logit_probe",
    "hydra",
    "reseller",
    "evasive",
)
KINDS = BENIGN_KINDS + EXTRACTION_KINDS


@dataclass(frozen=True, slots=True)
class ScenarioConfig:
    """One simulation run. `volume` scales every account's daily rate (tests use < 1)."""

    accounts: int = 200
    days: int = 2
    seed: int = 0
    data_dir: Path | None = None
    scenario: str = "standard"
    volume: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.accounts, int) or self.accounts < 1:
            raise ScenarioError("accounts", self.accounts, "give a whole number of at least 1")
        if not isinstance(self.days, int) or not 1 <= self.days <= MAX_DAYS:
            raise ScenarioError(
                "days", self.days, f"give 1 to {MAX_DAYS} (the rate traces cover {MAX_DAYS} days)"
            )
        if self.scenario not in SCENARIOS:
            raise ScenarioError("scenario", self.scenario, f"use one of {', '.join(SCENARIOS)}")
        if not 0 < self.volume <= 10:
            raise ScenarioError("volume", self.volume, "give a factor above 0 and at most 10")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ScenarioError("seed", self.seed, "give a non-negative whole number")


@dataclass(frozen=True, slots=True)
class Mix:
    """Share of accounts per kind, the number of hydra campaigns, and when the log starts."""

    shares: dict[str, float]
    campaigns: int
    start: str  # RFC 3339, midnight UTC, so that day buckets line up with calendar days

    def counts(self, n: int) -> dict[str, int]:
        """Accounts per kind for `n` accounts: every kind gets one where n allows, hydra two."""
        order = sorted(KINDS, key=lambda k: -self.shares[k])
        floor = {k: 1 for k in order[:n]}
        if n >= len(KINDS) + 1:
            floor["hydra"] = 2  # one member is no campaign
        left = n - sum(floor.values())
        total = sum(self.shares.values())
        want = {k: self.shares[k] / total * n for k in KINDS}
        extra = {k: max(0.0, want[k] - floor.get(k, 0)) for k in KINDS}
        out = {k: floor.get(k, 0) for k in KINDS}
        # Largest remainder over what each kind still wants beyond its floor.
        ext_total = sum(extra.values()) or 1.0
        quotas = {k: extra[k] / ext_total * left for k in KINDS}
        for k in KINDS:
            out[k] += int(quotas[k])
        rest = n - sum(out.values())
        by_remainder = sorted(KINDS, key=lambda k: (-(quotas[k] - int(quotas[k])), k))
        for k in by_remainder[:rest]:
            out[k] += 1
        return out


# Standard: roughly 70% benign accounts. Hydra members are many small accounts, so their
# share of accounts is large while their share of traffic is tiny.
STANDARD = Mix(
    shares={
        "consumer_chat": 0.13,
        "support_bot": 0.11,
        "rag_app": 0.11,
        "benchmark_runner": 0.06,
        "batch": 0.035,
        "researcher": 0.235,
        "broad_harvest": 0.03,
        "cot_harvest": 0.025,
        "capability_harvest": 0.02,
        "rubric_grading": 0.02,
        "logit_probe": 0.015,
        "hydra": 0.17,
        "reseller": 0.015,
        "evasive": 0.025,
    },
    campaigns=2,
    start="2026-11-23T00:00:00Z",
)

# Holdout: kept out of detector tuning. More evasive and hydra accounts, three campaigns,
# another start date; the personas also switch templates and rates (see `variant`).
HOLDOUT = Mix(
    shares={
        "consumer_chat": 0.12,
        "support_bot": 0.09,
        "rag_app": 0.10,
        "benchmark_runner": 0.05,
        "batch": 0.03,
        "researcher": 0.21,
        "broad_harvest": 0.02,
        "cot_harvest": 0.02,
        "capability_harvest": 0.02,
        "rubric_grading": 0.015,
        "logit_probe": 0.01,
        "hydra": 0.22,
        "reseller": 0.02,
        "evasive": 0.075,
    },
    campaigns=3,
    start="2027-03-08T00:00:00Z",
)

MIXES = {"standard": STANDARD, "holdout": HOLDOUT}
VARIANTS = {"standard": 0, "holdout": 1}


@dataclass(frozen=True, slots=True)
class SimSummary:
    """What one `simulate` call wrote."""

    events: int
    accounts: int
    days: int
    elapsed_s: float
    events_path: Path
    labels_path: Path
    used_fallback: bool
    accounts_by_kind: dict[str, int] = field(default_factory=dict)
    events_by_kind: dict[str, int] = field(default_factory=dict)
