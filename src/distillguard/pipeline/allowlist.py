"""Accounts reviewers dismissed or allowlisted: the policy leaves them alone.

Kept in the store (`store.allowlist_account`, `dismiss_case`); a copy here is read on each
request and each scored event, refreshed from the store periodically (another replica, a
worker or the CLI may have changed it). An allowlisting ends on the wall clock: replayed
event times must not end it early or late.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from distillguard.store import Store


class Allowlist:
    def __init__(self, store: Store) -> None:
        self._store = store
        self.allowed: dict[str, float | None] = {}  # account -> the allowlisting's end

    def is_allowed(self, account: str) -> bool:
        if account not in self.allowed:
            return False
        until = self.allowed[account]
        return until is None or until > time.time()

    def allow(self, accounts: Iterable[str], until: float | None = None) -> None:
        """What the store was just told, here at once; elsewhere at the next refresh."""
        self.allowed.update(dict.fromkeys(accounts, until))

    def disallow(self, accounts: Iterable[str]) -> None:
        """An allowlisting the store just ended, here at once; elsewhere at the next refresh."""
        for account in accounts:
            self.allowed.pop(account, None)

    def refresh(self) -> None:
        """Raises StoreError when the store does not answer (the copy stays as it was)."""
        self.allowed = self._store.allowlisted()
