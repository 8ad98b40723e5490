"""The policy's case keeper: moves, cases and decisions written a batch at a time, in order,
and kept for the next flush when the store refuses them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from tests.detect.traffic import event

from distillguard.detect.engine import Analyzer, Score
from distillguard.errors import StoreUnavailableError
from distillguard.pipeline.case_keeper import CaseKeeper
from distillguard.policy import Enforcer, default_policy
from distillguard.settings import load_settings
from distillguard.store import CaseOpening, Store, open_store


class Flaky:
    """The real store, but its next `fail` batches of cases are refused with `error`: by
    default as a database that went away refuses them."""

    def __init__(self, store: Store) -> None:
        self.store, self.fail = store, 0
        self.error: Exception = StoreUnavailableError("sqlite:///dg.db", "database is locked")

    def open_cases(self, openings: Sequence[CaseOpening]) -> list[str]:
        if self.fail:
            self.fail -= 1
            raise self.error
        return self.store.open_cases(openings)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(load_settings(overrides={"database_url": f"sqlite:///{tmp_path / 'dg.db'}"}))
    yield s
    s.close()


def _escalate(keeper: CaseKeeper, account: str, start: float) -> None:
    """300 requests at risk 0.4: the default policy's `restrict` (a case level) needs both."""
    analyzer = Analyzer()
    for i in range(301):
        score = Score(0.4, True, None, None, held=0.4)
        keeper.observe(event(start + i, account, f"q{i}"), score, analyzer, {})


def test_a_case_waits_for_the_flush_and_follows_its_move(store: Store) -> None:
    keeper = CaseKeeper(Enforcer(default_policy()), store, lambda a: False, publish=True)
    _escalate(keeper, "acct_a", 1000.0)
    assert store.list_cases() == []  # off the detection path: nothing written per event
    keeper.flush()
    (case,) = store.list_cases()
    assert (case.subject, case.level, case.risk) == ("acct_a", "restrict", 0.4)
    assert case.evidence["samples"][-1] == "q299"  # the prompt that escalated it, last
    actions = [e.action for e in store.audit_log(subject="acct_a")]
    assert actions[-2:] == ["shadow_level_change", "case_opened"]  # a new install: shadow
    assert [a for a, _, _ in store.decisions_since(0)] == ["acct_a"]


def test_cases_the_store_refused_are_written_at_the_next_flush(store: Store) -> None:
    flaky = Flaky(store)
    keeper = CaseKeeper(Enforcer(default_policy()), flaky, lambda a: False, publish=True)  # type: ignore[arg-type]
    _escalate(keeper, "acct_a", 1000.0)
    flaky.fail = 1
    keeper.flush()
    assert store.list_cases() == []
    assert [a for a, _, _ in store.decisions_since(0)] == ["acct_a"]  # enforced all the same
    _escalate(keeper, "acct_b", 5000.0)
    keeper.flush()
    assert sorted(c.subject for c in store.list_cases()) == ["acct_a", "acct_b"]
    assert sorted({a for a, _, _ in store.decisions_since(0)}) == ["acct_a", "acct_b"]
    keeper.flush()  # nothing left over: written once
    assert len(store.list_cases()) == 2
    assert [e.action for e in store.audit_log(subject="acct_a")].count("case_opened") == 1


def test_a_batch_the_store_can_never_take_is_dropped_and_said(store: Store, caplog) -> None:
    """A case the database rejects as such (not a lost connection) is logged and dropped:
    retried for ever it would keep every later case out."""
    flaky = Flaky(store)
    keeper = CaseKeeper(Enforcer(default_policy()), flaky, lambda a: False, publish=True)  # type: ignore[arg-type]
    _escalate(keeper, "acct_a", 1000.0)
    flaky.fail, flaky.error = 1, TypeError("Type is not JSON serializable: object")
    keeper.flush()
    assert "1 cases dropped" in caplog.text
    _escalate(keeper, "acct_b", 5000.0)
    keeper.flush()
    assert [c.subject for c in store.list_cases()] == ["acct_b"]
