"""Does an account meet a level's `when` condition? Plain comparisons, no model runs.

`Facts` is what the enforcer knows of an account at one moment. `matches` checks one
condition; with `relax` the numeric thresholds are lowered by the policy's hysteresis, which
is the test for *staying* at a level (an account leaves only once it is clearly below).
`explain` says in words why a condition holds, for transitions and cases.
"""

from __future__ import annotations

from dataclasses import dataclass

from distillguard.policy.attributes import AccountAttributes
from distillguard.policy.model import Condition


@dataclass(frozen=True, slots=True)
class Facts:
    risk: float
    campaign_risk: float | None  # None: not linked into a campaign
    attrs: AccountAttributes
    requests_per_day: int  # over the last 24 hours of stream time
    requests: int  # since the enforcer first saw the account
    tier: str
    own_risk: float | None = None  # its own behaviour's; None where not told: `risk` stands


@dataclass(frozen=True, slots=True)
class Slack:
    """How far below a threshold an account may fall and still stay at a level."""

    risk: float = 0.0  # absolute, in risk units
    volume: float = 0.0  # share of the requests-per-day threshold


NO_SLACK = Slack()


def matches(c: Condition, f: Facts, slack: Slack = NO_SLACK) -> bool:
    if c.min_risk is not None and f.risk < c.min_risk - slack.risk:
        return False
    if c.min_own_risk is not None and _own(f) < c.min_own_risk - slack.risk:
        return False
    if c.min_campaign_risk is not None and (
        f.campaign_risk is None or f.campaign_risk < c.min_campaign_risk - slack.risk
    ):
        return False
    if c.campaign_member is not None and (f.campaign_risk is not None) != c.campaign_member:
        return False
    if c.min_requests_per_day is not None and f.requests_per_day < c.min_requests_per_day * (
        1.0 - slack.volume
    ):
        return False
    if c.min_requests is not None and f.requests < c.min_requests:
        return False
    return _attributes_match(c, f)


def _own(f: Facts) -> float:
    return f.risk if f.own_risk is None else f.own_risk


def _attributes_match(c: Condition, f: Facts) -> bool:
    a = f.attrs
    if c.verification is not None and a.verification not in c.verification:
        return False
    if c.org_type is not None and a.org_type not in c.org_type:
        return False
    if c.affiliated_developer is not None and a.affiliated_developer != c.affiliated_developer:
        return False
    return c.tiers is None or f.tier in c.tiers


def explain(c: Condition, f: Facts) -> str:
    """The tests of `c` with the account's values, e.g. 'risk 0.41 >= 0.35, verification none'."""
    parts = []
    if c.min_risk is not None:
        parts.append(f"risk {f.risk:.2f} >= {c.min_risk:.2f}")
    if c.min_own_risk is not None:
        parts.append(f"own risk {_own(f):.2f} >= {c.min_own_risk:.2f}")
    if c.min_campaign_risk is not None:
        parts.append(f"campaign risk {f.campaign_risk or 0.0:.2f} >= {c.min_campaign_risk:.2f}")
    if c.campaign_member is not None:
        parts.append("linked into a campaign" if c.campaign_member else "in no campaign")
    if c.min_requests_per_day is not None:
        parts.append(f"{f.requests_per_day:,} requests in 24 h >= {c.min_requests_per_day:,}")
    if c.min_requests is not None:
        parts.append(f"{f.requests:,} requests seen >= {c.min_requests:,}")
    if c.verification is not None:
        parts.append(f"verification {f.attrs.verification}")
    if c.org_type is not None:
        parts.append(f"organisation type {f.attrs.org_type}")
    if c.affiliated_developer is not None:
        declared = "declares" if f.attrs.affiliated_developer else "declares no"
        parts.append(f"{declared} affiliation with a model developer")
    if c.tiers is not None:
        parts.append(f"tier {f.tier}")
    return ", ".join(parts)
