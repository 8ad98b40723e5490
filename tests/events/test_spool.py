"""SortedSpool: ts order, stable on ties, the same whether or not it spills to disk."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from distillguard.events.spool import SortedSpool


@pytest.mark.parametrize("memory_bytes", [1, 500, 1 << 20])
def test_sorted_and_stable_across_spills(memory_bytes: int, tmp_path: Path) -> None:
    rng = random.Random(7)
    items = [(float(rng.randrange(50)), f"line-{i}".encode()) for i in range(400)]
    with SortedSpool(memory_bytes, tmp_dir=tmp_path) as spool:
        for ts, line in items:
            spool.add(ts, line)
        spilled = len(spool.runs)
        out = list(spool.sorted())
    expected = [line for _, line in sorted(items, key=lambda item: item[0])]  # stable sort
    assert out == expected
    assert (spilled > 0) == (memory_bytes < 1 << 20)
    assert list(tmp_path.iterdir()) == []  # temporary runs are gone


def test_empty_spool_yields_nothing() -> None:
    with SortedSpool() as spool:
        assert list(spool.sorted()) == []


def test_memory_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="memory_bytes must be positive"):
        SortedSpool(0)
