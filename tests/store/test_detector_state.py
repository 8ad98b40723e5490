"""Detector state reads the linker makes, on every backend."""

from __future__ import annotations

import secrets

from distillguard.store import Store


def test_states_since_leave_out_shared_keys_and_keys_read_by_name(store: Store) -> None:
    # The PostgreSQL database is shared by the session's tests: keys of this test's own.
    t = secrets.token_hex(4)
    mine = {f"acct_{t}": b"1", f"a#{t}": b"3", f"_{t}%": b"4"}
    store.save_detector_state({**mine, f"#position@{t}": b"2"})
    got, newest = store.load_detector_state_since(0.0)
    assert {k: v for k, v in got.items() if t in k} == mine and newest > 0
    assert not any(k.startswith("#") for k in got)
    assert store.load_detector_state_since(newest) == ({}, newest)  # nothing saved since
    found = store.load_detector_state_keys([f"#position@{t}", f"#absent{t}"])
    assert found == {f"#position@{t}": b"2"}
