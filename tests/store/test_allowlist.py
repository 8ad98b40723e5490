"""The allowlist: benign labels in the store, a dismissal's for good, an allowlisting's until
its end; the audit log names who and why."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from distillguard.errors import InvalidValueError, NotFoundError
from distillguard.settings import load_settings
from distillguard.store import open_store


def test_an_allowlisting_ends_and_a_dismissal_does_not(tmp_path: Path) -> None:
    store = open_store(load_settings(overrides={"database_url": f"sqlite:///{tmp_path / 'a.db'}"}))
    a, b = (store.create_account(n, tier="free").id for n in ("a", "b"))
    case = store.open_case("account", b, members=[b], level="restrict", risk=0.5, evidence={})
    store.dismiss_case(case.id, "bo", "a real customer")
    until = time.time() + 3600
    assert store.allowlist_account(a, "ana", "a week of evals", until) == until
    assert store.allowlisted() == {a: until, b: None}
    assert store.allowlisted(now=until + 1) == {b: None}
    (entry,) = [e for e in store.audit_log(a) if e.action == "allowlist"]
    assert (entry.actor, entry.reason, entry.detail["until"]) == ("ana", "a week of evals", until)
    with pytest.raises(InvalidValueError, match="until"):
        store.allowlist_account(a, "ana", "late", time.time() - 1)
    with pytest.raises(InvalidValueError, match="reason"):
        store.allowlist_account(a, "ana", "  ", until)
    with pytest.raises(NotFoundError):
        store.allowlist_account("acct_nope", "ana", "why", until)
    store.close()
