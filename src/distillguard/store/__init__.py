"""Accounts, API keys and tiers behind one `Store` protocol; `open_store` picks the backend."""

from distillguard.store.case_queue import CasePage, CaseQuery, QueueRow
from distillguard.store.open import open_store
from distillguard.store.protocol import Store
from distillguard.store.records import (
    Account,
    AccountStatus,
    ApiKey,
    AuditEntry,
    Case,
    CaseNote,
    CaseOpening,
    CaseStatus,
    IssuedKey,
    Principal,
    Tier,
    Verification,
)
from distillguard.store.reviewers import Reviewer, ReviewerRole, ReviewerSession

__all__ = [
    "Account",
    "AccountStatus",
    "ApiKey",
    "AuditEntry",
    "Case",
    "CaseNote",
    "CaseOpening",
    "CasePage",
    "CaseQuery",
    "CaseStatus",
    "IssuedKey",
    "Principal",
    "QueueRow",
    "Reviewer",
    "ReviewerRole",
    "ReviewerSession",
    "Store",
    "Tier",
    "Verification",
    "open_store",
]
