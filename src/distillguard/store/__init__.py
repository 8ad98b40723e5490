"""Accounts, API keys and tiers behind one `Store` protocol; `open_store` picks the backend."""

from distillguard.store.open import open_store
from distillguard.store.protocol import Store
from distillguard.store.records import (
    Account,
    AccountStatus,
    ApiKey,
    AuditEntry,
    Case,
    CaseNote,
    CaseStatus,
    IssuedKey,
    Principal,
    Tier,
    Verification,
)

__all__ = [
    "Account",
    "AccountStatus",
    "ApiKey",
    "AuditEntry",
    "Case",
    "CaseNote",
    "CaseStatus",
    "IssuedKey",
    "Principal",
    "Store",
    "Tier",
    "Verification",
    "open_store",
]
