"""Fixtures of the console tests: a gateway with reviewers, an account and a case in it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from console_harness import PASSWORD, XSS, Console, Reviewer, start_console


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    """A gateway whose store has reviewers ana (reviewer) and vic (viewer), and an account
    named with a script tag whose case holds a sample prompt with one."""
    c = start_console(tmp_path, console={"show_prompts": True, "logins_per_min": 3})
    c.store.create_reviewer("ana", "reviewer", PASSWORD)
    c.store.create_reviewer("vic", "viewer", PASSWORD)
    account = c.store.create_account(f"Acme {XSS}", tier="open")
    c.store.open_case(
        "account",
        account.id,
        members=[account.id],
        level="restrict",
        risk=0.8,
        evidence={
            "reasons": ["walks prompts without repeats: 410 distinct of 412 (peers' median 61%)"],
            "points": [[1.8e9, 0.3], [1.8e9 + 600, 0.8]],
            "samples": [f"Tell me {XSS} now"],
        },
    )
    yield c
    c.stop()


@pytest.fixture
def reviewer(console: Console) -> Iterator[Callable[..., Reviewer]]:
    made: list[Reviewer] = []

    def make(**kwargs: Any) -> Reviewer:
        r = Reviewer(console.url, **kwargs)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()
