"""Reviewers, their sessions and the paged review queue, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

from distillguard.errors import InvalidValueError, NotFoundError
from distillguard.settings import load_settings
from distillguard.store import CaseQuery, Store, open_store
from distillguard.store.reviewers import LoginRejectedError, ReviewerRole, SessionExpiredError
from distillguard.store.secrets import KdfCost

PASSWORD = "correct horse battery"
FAST = KdfCost(n=2**10)


@pytest.fixture
def empty(database_url: str) -> Iterator[Store]:
    """A store of this test alone: the queue's counts are over every case in it."""
    if not database_url.startswith("postgresql"):
        s = open_store(load_settings(overrides={"database_url": database_url}), kdf_cost=FAST)
        yield s
        s.close()
        return
    url = make_url(database_url)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(False)
    name = f"{url.database}_{secrets.token_hex(3)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        try:
            fresh = url.set(database=name).render_as_string(False)
            s = open_store(load_settings(overrides={"database_url": fresh}), kdf_cost=FAST)
            yield s
            s.close()
        finally:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_reviewer_signs_in_and_out(store: Store) -> None:
    ana = store.create_reviewer("ana", "reviewer", PASSWORD)
    assert ana.role is ReviewerRole.REVIEWER and ana.active
    with pytest.raises(InvalidValueError, match="no other reviewer"):
        store.create_reviewer("ana", "viewer", PASSWORD)
    with pytest.raises(InvalidValueError, match="role 'boss'"):
        store.create_reviewer("bo", "boss", PASSWORD)
    with pytest.raises(InvalidValueError, match="at least 12"):
        store.create_reviewer("bo", "viewer", "short")
    for name, password in (("ana", "wrong password!"), ("nobody", PASSWORD)):
        with pytest.raises(LoginRejectedError):
            store.login_reviewer(name, password, 60)
    session = store.login_reviewer("ana", PASSWORD, 60)
    assert session.token and session.csrf and session.token not in repr(session)
    again = store.reviewer_session(session.token)
    assert again.reviewer == ana and again.csrf == session.csrf
    store.end_session(session.token)
    with pytest.raises(SessionExpiredError):
        store.reviewer_session(session.token)


def test_sessions_expire_and_end_with_a_new_password_or_disabling(store: Store) -> None:
    store.create_reviewer("cy", "viewer", PASSWORD)
    with pytest.raises(SessionExpiredError):
        store.reviewer_session(store.login_reviewer("cy", PASSWORD, -1).token)
    token = store.login_reviewer("cy", PASSWORD, 60).token
    store.update_reviewer("cy", password=PASSWORD + "!")
    with pytest.raises(SessionExpiredError):
        store.reviewer_session(token)
    token = store.login_reviewer("cy", PASSWORD + "!", 60).token
    assert store.update_reviewer("cy", active=False, role="admin").role is ReviewerRole.ADMIN
    with pytest.raises(SessionExpiredError):
        store.reviewer_session(token)
    with pytest.raises(LoginRejectedError):
        store.login_reviewer("cy", PASSWORD + "!", 60)
    with pytest.raises(NotFoundError):
        store.update_reviewer("nobody", active=True)
    assert "cy" in [r.name for r in store.list_reviewers()]


def _fill(store: Store) -> list[str]:
    ids = []
    for i in range(7):
        account = store.create_account(f"a{i}", tier="standard" if i % 2 else "free")
        ids.append(account.id)
        level = "restrict" if i < 5 else "suspend"
        store.open_case(
            "account", account.id, members=[account.id], level=level, risk=i / 10, evidence={}
        )
    store.open_case("campaign", "cmp_1", members=ids[:3], level="restrict", risk=0.9, evidence={})
    return ids


def test_the_queue_filters_sorts_pages_and_counts(empty: Store) -> None:
    store = empty
    ids = _fill(store)
    page = store.case_page(CaseQuery(per_page=3))
    assert page.total == 8 and page.pages == 3 and page.counts["open"] == 8
    assert [r.risk for r in page.rows] == [0.9, 0.6, 0.5]
    assert page.rows[0].kind == "campaign" and page.rows[0].members == 3
    assert page.rows[1].name == "a6" and page.rows[1].tier == "free"
    second = store.case_page(CaseQuery(per_page=3, page=3))
    assert len(second.rows) == 2
    assert store.case_page(CaseQuery(level="suspend")).total == 2
    assert {"restrict", "suspend"} == set(page.levels)
    campaign = store.case_page(CaseQuery(campaign="cmp_1"))
    assert {r.subject for r in campaign.rows} == {"cmp_1", *ids[:3]}
    first = store.case_page(CaseQuery(sort="age")).rows[0]
    assert first.subject == ids[0]
    assert store.case_page(CaseQuery(sort="tier")).rows[0].tier in (None, "free")
    case_id = page.rows[1].id
    store.assign_case(case_id, "ana", "lead")
    assert [r.id for r in store.case_page(CaseQuery(assignee="ana")).rows] == [case_id]
    assert store.case_page(CaseQuery(assignee="-")).total == 7
    store.dismiss_case(case_id, "ana", "a real customer")
    counts = store.case_page(CaseQuery()).counts
    assert counts["open"] == 7 and counts["dismissed"] == 1
    assert store.case_page(CaseQuery(status=None)).total == 8
    about = store.cases_about(ids[0])
    assert {c.subject for c in about} == {ids[0], "cmp_1"}
    for bad in (CaseQuery(sort="name"), CaseQuery(page=0), CaseQuery(status="closed")):
        with pytest.raises(InvalidValueError):
            store.case_page(bad)
