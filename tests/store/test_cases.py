"""Cases, review labels and the audit log, on every backend."""

from __future__ import annotations

import pytest

from distillguard.errors import InvalidValueError, NotFoundError
from distillguard.store import AccountStatus, CaseOpening, CaseStatus, Store


def _open(store: Store, subject: str, members: list[str], risk: float, **evidence: object):
    return store.open_case(
        "campaign" if len(members) > 1 else "account",
        subject,
        members=members,
        level="restrict",
        risk=risk,
        evidence={"reasons": ["100% of prompts ask for step-by-step reasoning"], **evidence},
        at=1000.0,
    )


def test_an_open_case_is_updated_not_duplicated(store: Store) -> None:
    a = store.create_account("a", tier="free")
    first = _open(store, a.id, [a.id], 0.5, points=[[1.0, 0.5]], samples=["q1"])
    again = _open(store, a.id, [a.id], 0.9, points=[[2.0, 0.9]], samples=["q2"])
    assert again.id == first.id and again.status is CaseStatus.OPEN
    assert again.risk == 0.9 and again.evidence["points"] == [[1.0, 0.5], [2.0, 0.9]]
    assert again.evidence["samples"] == ["q1", "q2"]
    assert [n.kind for n in again.notes] == ["update", "update"]
    assert first.id in [c.id for c in store.list_cases("open")]
    lower = _open(store, a.id, [a.id], 0.2)
    assert lower.risk == 0.9  # the highest risk seen stays


def test_confirming_a_campaign_suspends_every_member_and_audits_each(store: Store) -> None:
    members = [store.create_account(f"m{i}", tier="free").id for i in range(3)]
    case = _open(store, "cmp_test_" + members[0], members, 0.97)
    store.assign_case(case.id, "alice@trust", author="lead@trust")
    store.comment_case(case.id, "alice@trust", "same scaffold, same /24, one card")
    done = store.confirm_case(case.id, "alice@trust", "hydra harvesting CoT", sanction="suspend")
    assert done.status is CaseStatus.CONFIRMED and done.assignee == "alice@trust"
    assert [n.kind for n in done.notes] == ["update", "assign", "comment", "confirm"]
    for m in members:
        assert store.get_account(m).status is AccountStatus.SUSPENDED
        (entry,) = store.audit_log(subject=m)
        assert (entry.actor, entry.action, entry.reason) == (
            "alice@trust",
            "suspend",
            "hydra harvesting CoT",
        )
        assert entry.detail == {"case": case.id}
    labels = store.review_labels()
    assert all(labels[m] == "extraction" for m in members)
    with pytest.raises(InvalidValueError, match="case status 'confirmed'"):
        store.dismiss_case(case.id, "bob", "changed my mind")


def test_dismissing_labels_members_benign_and_needs_a_reason(store: Store) -> None:
    a = store.create_account("bench", tier="free")
    case = _open(store, a.id, [a.id], 0.4)
    with pytest.raises(InvalidValueError, match="reason"):
        store.dismiss_case(case.id, "bob", "  ")
    store.dismiss_case(case.id, "bob", "a university benchmark run, verified by email")
    assert store.review_labels()[a.id] == "benign"
    assert store.get_account(a.id).active
    actions = [e.action for e in store.audit_log(subject=a.id)]
    assert actions == ["case_opened", "case_dismissed"]
    # A new escalation after the dismissal opens a new case.
    assert _open(store, a.id, [a.id], 0.6).id != case.id


def test_unknown_cases_and_values_are_named(store: Store) -> None:
    with pytest.raises(NotFoundError, match="case_nope"):
        store.get_case("case_nope")
    with pytest.raises(NotFoundError, match="case_nope"):
        store.comment_case("case_nope", "x", "hello")
    with pytest.raises(InvalidValueError, match="status 'shut'"):
        store.list_cases("shut")
    a = store.create_account("z", tier="free")
    case = _open(store, a.id, [a.id], 0.5)
    with pytest.raises(InvalidValueError, match="sanction 'ban'"):
        store.confirm_case(case.id, "x", "why", sanction="ban")


def test_workers_opening_one_campaign_at_once_make_one_case(postgres_url: str) -> None:
    """Each partition's worker opens a linked campaign's case on the same subject: stores of
    their own (one per worker process), at the same moment, still make one case."""
    import threading

    from distillguard.settings import load_settings
    from distillguard.store import open_store

    settings = load_settings(overrides={"database_url": postgres_url})
    stores = [open_store(settings) for _ in range(6)]
    try:
        for k in range(5):
            subject = f"cmp_race{k}"
            go = threading.Barrier(len(stores))

            def open_one(s: Store, m: str, subject: str = subject, go=go) -> None:
                go.wait()
                _open(s, subject, [m, "acct_first"], 0.5)

            threads = [
                threading.Thread(target=open_one, args=(s, f"acct_{i}"))
                for i, s in enumerate(stores)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            found = [c for c in stores[0].list_cases("open", 1000) if c.subject == subject]
            assert len(found) == 1, [c.id for c in found]
            assert set(found[0].members) == {"acct_first", *(f"acct_{i}" for i in range(6))}
    finally:
        for s in stores:
            s.close()


def test_a_batch_of_openings_is_taken_in_order_in_one_transaction(store: Store) -> None:
    """The policy's keeper writes its openings a batch at a time: a subject escalated twice
    in one batch has one case, updated by the second; each opening is audited in order."""
    a, b = (store.create_account(n, tier="free").id for n in ("a", "b"))
    ev = {"reasons": ["walks instruction-style prompts without repeats"], "points": [[1.0, 0.6]]}
    ids = store.open_cases(
        [
            CaseOpening("account", a, (a,), "throttle", 0.6, ev, 10.0),
            CaseOpening("account", b, (b,), "restrict", 0.8, ev, 11.0),
            CaseOpening("account", a, (a,), "restrict", 0.9, {"points": [[2.0, 0.9]]}, 12.0),
        ]
    )
    assert ids[0] == ids[2] != ids[1]
    case = store.get_case(ids[0])
    assert (case.level, case.risk, case.updated_at) == ("restrict", 0.9, 12.0)
    assert case.evidence["points"] == [[1.0, 0.6], [2.0, 0.9]]
    assert [e.action for e in store.audit_log(subject=a)] == ["case_opened", "case_updated"]
    assert store.open_cases([]) == []


def test_a_failed_batch_opens_none_of_its_cases(store: Store) -> None:
    a = store.create_account("a", tier="free").id
    bad = CaseOpening("account", a, (a,), "restrict", 0.9, {"reasons": [object()]}, 1.0)
    good = CaseOpening("account", a, (a,), "restrict", 0.9, {}, 1.0)
    with pytest.raises(TypeError):  # not JSON: the whole transaction is rolled back
        store.open_cases([good, bad])
    assert [c for c in store.list_cases() if c.subject == a] == []
