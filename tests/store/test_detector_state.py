"""Detector state reads the linker makes, on every backend."""

from __future__ import annotations

from distillguard.store import Store


def test_states_since_leave_out_shared_keys_and_keys_read_by_name(store: Store) -> None:
    store.save_detector_state({"acct_a": b"1", "#position@0": b"2", "a#b": b"3", "_x%": b"4"})
    got, newest = store.load_detector_state_since(0.0)
    assert got == {"acct_a": b"1", "a#b": b"3", "_x%": b"4"} and newest > 0
    assert store.load_detector_state_since(newest) == ({}, newest)  # nothing saved since
    assert store.load_detector_state_keys(["#position@0", "#absent"]) == {"#position@0": b"2"}
