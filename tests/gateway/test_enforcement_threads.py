"""The enforcement state under both of its sides at once: the event loop deciding requests and
introducing accounts, the recorder's thread observing scores and saving levels."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from gateway_harness import gateway_settings

from distillguard.gateway.enforcement import Enforcement
from distillguard.policy import enforcer as enforcer_module
from distillguard.settings import PolicySettings
from distillguard.store import Account, AccountStatus, Store, open_store

ACCOUNTS = 400
COUNTED = 60  # accounts whose requests are counted (each interleaving is slow to run)


def _policy(path: Path, max_accounts: int) -> Path:
    # An account with an override gets its state on its first decision, on the event loop.
    watched = "".join(f'[overrides.acct_{i}]\nnote = "watched"\n' for i in range(COUNTED))
    path.write_text(
        'mode = "enforce"\ndefault_tier = "open"\n'
        f"max_accounts = {max_accounts}\ncooldown_s = 1e9\n"
        '[tiers.open]\n[tiers.other]\n[[levels]]\nname = "restrict"\n'
        "when = { min_requests = 3 }\nactions = { strip_logprobs = true }\n" + watched
    )
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(gateway_settings(tmp_path))
    yield s
    s.close()


def _yielding(frame: FrameType, event: str, arg: object) -> Any:
    """A tracer that hands the GIL to the other thread at every line of the enforcer, so that
    the two sides interleave inside its methods as they can on a loaded machine."""
    if frame.f_code.co_filename != enforcer_module.__file__:
        return None
    if event == "line":
        time.sleep(0)
    return _yielding


def _run(*sides: Callable[[], None]) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(side: Callable[[], None]) -> None:
        try:
            side()
        except BaseException as err:  # handed to the test, which fails naming it
            errors.append(err)

    def traced(side: Callable[[], None]) -> None:
        sys.settrace(_yielding)
        guarded(side)

    threads = [threading.Thread(target=traced, args=(side,)) for side in sides]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def _account(i: int) -> Account:
    return Account(f"acct_{i}", "x", "open", AccountStatus.ACTIVE, None, 0.0)


def test_eviction_while_both_sides_run_raises_nothing(tmp_path: Path, store: Store) -> None:
    enforcement = Enforcement(PolicySettings(file=_policy(tmp_path / "p.toml", 32)), store)
    enforcer = enforcement.enforcer
    body = {"model": "m", "messages": [], "logprobs": True}

    def event_loop() -> None:
        for n in range(300):
            who = _account((n * 7) % ACCOUNTS)
            tier = "open" if n % 3 else "other"  # a tier change re-decides the state
            enforcement.on_request(who, tier, body, "chat.completions", float(n))

    def recorder() -> None:
        for n in range(300):
            enforcer.observe(f"acct_{(n * 13) % ACCOUNTS}", 0.5, now=float(n), tier="open")
            if n % 50 == 0:
                saved = enforcement.saved()
                assert all(s["level"] == "restrict" for s in saved.values()), saved
                assert len(enforcer) <= 32

    assert _run(event_loop, recorder) == []
    assert len(enforcer) == 32 and enforcer.evicted > 0  # full, and not emptied past it


def test_no_observed_request_is_lost_to_the_other_side(tmp_path: Path, store: Store) -> None:
    enforcement = Enforcement(PolicySettings(file=_policy(tmp_path / "p.toml", 10**6)), store)
    enforcer = enforcement.enforcer
    together = threading.Barrier(2, timeout=60)  # both sides meet each new account at once

    def event_loop() -> None:  # the account's first request, decided as it is scored
        for i in range(COUNTED):
            together.wait()
            enforcer.decision(f"acct_{i}", "open")

    def recorder() -> None:
        for i in range(COUNTED):
            together.wait()
            for n in range(3):  # the third request reaches the level
                enforcer.observe(f"acct_{i}", None, now=float(n), tier="open")

    assert _run(event_loop, recorder) == []
    escalated = dict(enforcer.escalated())
    lost = [f"acct_{i}" for i in range(COUNTED) if f"acct_{i}" not in escalated]
    assert not lost, f"{len(lost)} accounts lost an observed request, e.g. {lost[:3]}"
    assert len(enforcer) == COUNTED
