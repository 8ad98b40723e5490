"""The one interface every store backend offers; the gateway and the CLI see only this."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from distillguard.store.records import Account, AccountStatus, ApiKey, IssuedKey, Principal, Tier


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

    def authenticate(self, secret: str) -> Principal: ...

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

    def close(self) -> None: ...
