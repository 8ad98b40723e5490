"""The decisions table: each write takes the next version; readers get what changed, in order,
also when two workers write at once."""

from __future__ import annotations

import threading

from distillguard.settings import load_settings
from distillguard.store import Store, open_store
from distillguard.store.detector_state import decode, encode


def test_readers_get_each_change_once_in_version_order(store: Store) -> None:
    store.publish_decisions({"acct_a": encode({"level": "watch"})})
    store.publish_decisions({"acct_b": encode({"level": "throttle"})})
    first = store.decisions_since(0)
    assert [(a, decode(d)["level"]) for a, d, _ in first] == [
        ("acct_a", "watch"),
        ("acct_b", "throttle"),
    ]
    seen = first[-1][2]
    assert store.decisions_since(seen) == []
    store.publish_decisions({"acct_a": encode({"level": "base"})})  # a row written again
    (again,) = store.decisions_since(seen)
    assert again[0] == "acct_a" and decode(again[1])["level"] == "base" and again[2] > seen
    assert [a for a, _, _ in store.decisions_since(0)] == ["acct_b", "acct_a"]  # one row each


def test_writers_at_once_never_share_a_version(store: Store, database_url: str) -> None:
    others = [open_store(load_settings(overrides={"database_url": database_url})) for _ in range(2)]
    errors: list[BaseException] = []

    def write(s: Store, tag: str) -> None:
        try:
            for i in range(40):
                s.publish_decisions({f"acct_{tag}{i}": encode({"level": "watch"})})
        except BaseException as err:  # reported below, not lost in the thread
            errors.append(err)

    threads = [
        threading.Thread(target=write, args=(s, t)) for s, t in zip(others, "xy", strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in others:
        s.close()
    assert errors == []
    rows = [r for r in store.decisions_since(0, limit=1000) if r[0][5] in "xy"]
    versions = [v for _, _, v in rows]
    assert len(rows) == 80 and len(set(versions)) == 80 and versions == sorted(versions)
