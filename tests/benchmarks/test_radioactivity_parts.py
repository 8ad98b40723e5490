"""The radioactivity benchmark's pieces that decide what a figure means (fast; no model)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "forensics" / "radioactivity"
pytest.importorskip("torch", reason="the radioactivity benchmark needs the local-model extra")
sys.path.insert(0, str(BENCH))
import finetune  # noqa: E402
import run  # noqa: E402


def _pairs(count: int, length: int, start: int) -> list[tuple[list[int], list[int]]]:
    return [([start + i], list(range(length))) for i in range(count)]


@pytest.mark.parametrize("share", [1.0, 0.3, 0.1, 0.03, 0.0])
def test_every_student_sees_as_many_answer_tokens_with_the_share_harvested(share: float) -> None:
    marked, other = _pairs(500, 100, 0), _pairs(2000, 50, 10_000)
    mix, w, o = run.corpus(share, marked, other)
    assert w == sum(len(a) for p, a in mix if p[0] < 10_000)
    assert abs((w + o) - 50_000) <= 100  # the whole harvest's size, within one answer
    assert abs(w - share * 50_000) <= 100


def test_only_answers_carry_the_loss() -> None:
    ids, mask, labels = finetune._tensors([([5, 6, 7], [8, 9]), ([5], [8, 9, 10])], pad=0)
    assert ids.tolist() == [[5, 6, 7, 8, 9], [5, 8, 9, 10, 0]]
    assert mask.tolist() == [[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]]
    assert labels.tolist() == [[-100, -100, -100, 8, 9], [-100, 8, 9, 10, -100]]
