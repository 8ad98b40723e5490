"""docs/events.md, the event format the code cites, stays the shared spec's copy."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "events.md"
SPEC = ROOT.parent / "shared" / "spec" / "events.md"  # outside the repository, where present


def test_the_doc_is_a_copy_of_the_shared_spec() -> None:
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} is absent: nothing to compare docs/events.md with")
    assert DOC.read_bytes() == SPEC.read_bytes(), f"copy {SPEC} over {DOC} (cp SPEC DOC)"


def test_the_doc_ships_with_the_code_that_cites_it() -> None:
    assert DOC.read_text(encoding="utf-8").startswith("# distillguard event log format")
