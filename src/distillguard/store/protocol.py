"""The one interface every store backend offers; the gateway and the CLI see only this."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from distillguard.store.case_queue import CasePage, CaseQuery
from distillguard.store.records import (
    Account,
    AccountStatus,
    ApiKey,
    AuditEntry,
    Case,
    CaseOpening,
    IssuedKey,
    Principal,
    Tier,
)
from distillguard.store.reviewers import Reviewer, ReviewerSession


class Store(Protocol):
    """Accounts, their API keys and tiers. Methods block; call them off the event loop.

    Lookups of a missing id raise `NotFoundError`; `authenticate` raises `InvalidKeyError`;
    a database that cannot be reached raises `StoreUnavailableError`.
    """

    def create_account(self, name: str, *, tier: str, org: str | None = None) -> Account: ...

    def get_account(self, account_id: str) -> Account: ...

    def list_accounts(self) -> list[Account]: ...

    def set_status(self, account_id: str, status: AccountStatus) -> Account: ...

    def create_key(self, account_id: str) -> IssuedKey: ...

    def list_keys(self, account_id: str) -> list[ApiKey]: ...

    def revoke_key(self, key_id: str) -> ApiKey: ...

    def authenticate(self, secret: str, known_hash: str = "") -> Principal:
        """The key's principal; `known_hash`: the stored hash this secret already matched
        (a `Principal.key_hash`): while the key still has it, no scrypt is computed."""

    def get_tier(self, name: str) -> Tier: ...

    def list_tiers(self) -> list[Tier]: ...

    def put_tier(self, tier: Tier) -> None: ...

    def set_attributes(
        self,
        account_id: str,
        *,
        verification: str | None = None,
        org_type: str | None = None,
        affiliated_developer: bool | None = None,
    ) -> Account: ...

    def save_detector_state(self, states: Mapping[str, bytes]) -> None:
        """Upsert opaque per-account detector blobs (the accounts that changed)."""

    def load_detector_state(self) -> dict[str, bytes]: ...

    def load_detector_state_since(self, after: float) -> tuple[dict[str, bytes], float]:
        """The accounts' blobs saved after `after` (savers' `time.time()`), shared "#..." keys
        left out, and the newest save time."""

    def load_detector_state_keys(self, keys: Sequence[str]) -> dict[str, bytes]: ...

    def publish_decisions(self, entries: Mapping[str, bytes]) -> None:
        """Upsert opaque per-account policy decisions, each taking the next version."""

    def decisions_since(self, version: int, limit: int = 10_000) -> list[tuple[str, bytes, int]]:
        """(account, decision, version) written after `version`, oldest first."""

    # -- review (see store/cases.py)
    def open_case(
        self,
        kind: str,
        subject: str,
        *,
        members: Sequence[str],
        level: str,
        risk: float,
        evidence: dict[str, Any],
        actor: str = "system:policy",
        at: float | None = None,
    ) -> Case: ...

    def open_cases(self, openings: Sequence[CaseOpening]) -> list[str]: ...

    def get_case(self, case_id: str) -> Case: ...

    def list_cases(self, status: str | None = None, limit: int = 100) -> list[Case]: ...

    def assign_case(self, case_id: str, assignee: str, author: str) -> Case: ...

    def comment_case(self, case_id: str, author: str, text: str) -> Case: ...

    def confirm_case(self, case_id: str, author: str, reason: str, sanction: str) -> Case: ...

    def dismiss_case(self, case_id: str, author: str, reason: str) -> Case: ...

    def review_labels(self) -> dict[str, str]: ...

    def allowlist_account(
        self, account_id: str, author: str, reason: str, until: float | None, via: str = "cli"
    ) -> float | None: ...

    def allowlisted(self, now: float | None = None) -> dict[str, float | None]: ...

    def end_allowlist(
        self, account_id: str, author: str, reason: str, via: str = "cli"
    ) -> None: ...

    def change_status(
        self, account_id: str, status: AccountStatus, author: str, reason: str, via: str = "cli"
    ) -> None: ...

    def record_audit(self, entries: Iterable[AuditEntry]) -> None: ...

    def audit_log(
        self, subject: str | None = None, limit: int = 1000, skip: int = 0
    ) -> list[AuditEntry]: ...

    # -- the console's queue (store/case_queue.py)
    def case_page(self, q: CaseQuery) -> CasePage: ...

    def cases_about(self, subject: str, limit: int = 100) -> list[Case]: ...

    def case_days(self, since: float) -> dict[int, tuple[int, int]]: ...

    def newest_case_step(self) -> float | None: ...

    # -- reviewers and their sessions (store/reviewers.py)
    def create_reviewer(self, name: str, role: str, password: str) -> Reviewer: ...

    def get_reviewer(self, name: str) -> Reviewer: ...

    def list_reviewers(self) -> list[Reviewer]: ...

    def update_reviewer(
        self,
        name: str,
        *,
        role: str | None = None,
        password: str | None = None,
        active: bool | None = None,
    ) -> Reviewer: ...

    def login_reviewer(self, name: str, password: str, ttl_s: float) -> ReviewerSession: ...

    def reviewer_session(self, token: str) -> ReviewerSession: ...

    def end_session(self, token: str) -> None: ...

    def close(self) -> None: ...
