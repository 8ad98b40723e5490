"""What a provider knows about an account that bears on risk, besides its traffic.

Fraudulent accounts are known to come in through particular doors: free credits of startup
programmes, education and research access, and accounts that never verified anything. A
declared affiliation with a model developer says the account's owner trains models. A policy
condition can name any of these (`verification = ["none"]`, `org_type = [...]`,
`affiliated_developer = true`); the store keeps them per account.

    >>> AccountAttributes().verified_at_least("email")
    False
    >>> AccountAttributes(verification="id").verified_at_least("phone")
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Verification = Literal["none", "email", "phone", "id", "business"]
OrgType = Literal[
    "unknown", "individual", "startup_programme", "education", "research", "enterprise"
]

# Weakest first: a requirement of "phone" is met by phone, id and business verification.
VERIFICATION_ORDER: tuple[Verification, ...] = get_args(Verification)
ORG_TYPES: tuple[OrgType, ...] = get_args(OrgType)
_RANK = {v: i for i, v in enumerate(VERIFICATION_ORDER)}


@dataclass(frozen=True, slots=True)
class AccountAttributes:
    """Risk-relevant facts about one account. The defaults are those of an unknown account."""

    verification: Verification = "none"
    org_type: OrgType = "unknown"
    affiliated_developer: bool = False

    def __post_init__(self) -> None:
        if self.verification not in _RANK:
            raise ValueError(
                f"verification {self.verification!r} is not one of {list(VERIFICATION_ORDER)}"
            )
        if self.org_type not in ORG_TYPES:
            raise ValueError(f"org_type {self.org_type!r} is not one of {list(ORG_TYPES)}")

    def verified_at_least(self, level: Verification) -> bool:
        return _RANK[self.verification] >= _RANK[level]

    @classmethod
    def parse(
        cls,
        verification: str = "none",
        org_type: str = "unknown",
        affiliated_developer: bool = False,
    ) -> AccountAttributes:
        """From the strings a store or a file holds; ValueError names a value it does not know.

        >>> AccountAttributes.parse("phone", "education").org_type
        'education'
        """
        if verification not in _RANK:
            raise ValueError(f"verification {verification!r} is not one of {list(_RANK)}")
        if org_type not in ORG_TYPES:
            raise ValueError(f"org_type {org_type!r} is not one of {list(ORG_TYPES)}")
        if not isinstance(affiliated_developer, bool):
            raise ValueError(f"affiliated_developer {affiliated_developer!r} is not true or false")
        return cls(verification, org_type, affiliated_developer)


UNKNOWN = AccountAttributes()
