"""What the store holds, as frozen values: tiers, accounts, API keys and who a key speaks for."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from distillguard.policy.attributes import ORG_TYPES as POLICY_ORG_TYPES
from distillguard.policy.attributes import VERIFICATION_ORDER


class AccountStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


# How much the provider knows about who holds an account, weakest first, and the organisation
# types the policy can name: one vocabulary, the policy's (policy/attributes.py). An account
# stores no org type rather than "unknown".
Verification = StrEnum(  # type: ignore[misc]
    "Verification", [(v.upper(), v) for v in VERIFICATION_ORDER]
)
ORG_TYPES = frozenset(POLICY_ORG_TYPES) - {"unknown"}
_UNVERIFIED = Verification("none")


# Request fields every tier may send: what a request is, not how it is answered.
CORE_PARAMS = frozenset({"model", "messages", "prompt", "stream", "stream_options", "user"})


@dataclass(frozen=True, slots=True)
class Tier:
    """Limits of a class of accounts; 0 means unlimited, `allowed_params` None means all."""

    name: str
    requests_per_min: int = 0
    tokens_per_min: int = 0
    daily_tokens: int = 0
    allowed_params: frozenset[str] | None = None

    def disallowed(self, params: Iterable[str]) -> list[str]:
        """The request fields among `params` that this tier may not send, sorted."""
        if self.allowed_params is None:
            return []
        return sorted(p for p in params if p not in CORE_PARAMS and p not in self.allowed_params)


# Seeded by the first migration; `[tiers.NAME]` in the settings adds or replaces tiers.
DEFAULT_TIERS = (
    Tier(
        "free",
        requests_per_min=20,
        tokens_per_min=40_000,
        daily_tokens=200_000,
        allowed_params=frozenset(
            {
                "temperature",
                "top_p",
                "max_tokens",
                "max_completion_tokens",
                "n",
                "stop",
                "seed",
                "presence_penalty",
                "frequency_penalty",
                "response_format",
                "tools",
                "tool_choice",
            }
        ),
    ),
    Tier("standard", requests_per_min=600, tokens_per_min=1_000_000, daily_tokens=50_000_000),
    Tier("enterprise"),
)


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str
    tier: str
    status: AccountStatus = AccountStatus.ACTIVE
    org: str | None = None
    created_at: float = 0.0
    verification: Verification = _UNVERIFIED
    org_type: str | None = None
    affiliated_developer: bool = False  # declared affiliation with a model developer

    @property
    def active(self) -> bool:
        return self.status is AccountStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key as stored: its public id and owner, never its secret."""

    id: str
    account_id: str
    created_at: float
    revoked_at: float | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key just created: the only moment its secret exists outside the caller's hands."""

    key: ApiKey
    secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who an authenticated request speaks for."""

    account: Account
    key_id: str
    tier: Tier
    # The stored hash the secret was checked against: passed back to `authenticate`, a check
    # again (for revocation, suspension, a new tier) skips the scrypt while it is unchanged.
    key_hash: str = field(default="", repr=False, compare=False)


class CaseStatus(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"  # extraction: the sanction was applied to every member
    DISMISSED = "dismissed"  # benign: members allowlisted and labelled benign


@dataclass(frozen=True, slots=True)
class CaseNote:
    at: float
    author: str
    kind: str  # comment, assign, update, confirm, dismiss
    text: str


@dataclass(frozen=True, slots=True)
class Case:
    """An account, or a campaign of accounts, waiting for (or past) a person's review."""

    id: str
    kind: str  # "account" or "campaign"
    subject: str  # the account id, or the campaign id
    status: CaseStatus
    opened_at: float
    updated_at: float
    level: str
    risk: float
    members: tuple[str, ...]
    evidence: dict[str, Any]  # scores over time, reasons, sample requests
    assignee: str | None = None
    notes: tuple[CaseNote, ...] = ()


@dataclass(frozen=True, slots=True)
class CaseOpening:
    """An escalation to the review level: open a case on `subject`, or update its open one."""

    kind: str  # "account" or "campaign"
    subject: str
    members: tuple[str, ...]
    level: str
    risk: float
    evidence: dict[str, Any]
    at: float
    actor: str = "system:policy"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One enforcement action or review decision: who, when, what, to whom, and why."""

    at: float
    actor: str
    action: str
    subject: str
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
