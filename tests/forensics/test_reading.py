"""The open-weights audit: windows of served answers and a suspect's guesses, scored per key."""

from __future__ import annotations

import numpy as np
import pytest
from test_watermark import SCHEME, SECRET, VOCAB, watermarked

from distillguard.errors import AuditError
from distillguard.forensics.audit import audit_tokens
from distillguard.forensics.reading import first_occurrences, read_chats, read_windows
from distillguard.forensics.watermark import context_set, green_mask
from distillguard.forensics.watermark_keys import KeyRing

RING = KeyRing.derive(SECRET, [f"acct_{i:03d}" for i in range(100)])


def _served(seed: int) -> list[tuple[list[int], list[int]]]:
    """acct_042's watermarked answers, each after a short prompt."""
    rng = np.random.default_rng(seed)
    answers = watermarked([RING.key_of("acct_042")] * 24, 40, rng)
    return [(rng.integers(0, VOCAB, size=5).tolist(), a) for a in answers]


def _learned(key: int, strength: float, seed: int):  # type: ignore[no-untyped-def]
    """A suspect whose next-token scores are noise plus `strength` on `key`'s green tokens
    after the two tokens before: it learned the green lists, not the served tokens."""
    rng = np.random.default_rng(seed)

    def predict(rows: list[list[int]]) -> list[list[int]]:
        out = []
        for row in rows:
            ctx = np.array([[row[i - 1] if i else 0, row[i]] for i in range(len(row))])
            keys = np.full(len(row), key, dtype=np.uint64)
            bonus = green_mask(keys, ctx, VOCAB, SCHEME)
            scores = rng.normal(size=bonus.shape) + strength * bonus
            out.append(scores.argmax(axis=1).tolist())
        return out

    return predict


def test_windows_pair_each_answer_context_with_the_guess_for_the_next_token() -> None:
    def predict(rows: list[list[int]]) -> list[list[int]]:
        return [[100 + t for t in row] for row in rows]  # "next" = the token plus 100

    windows = read_windows(predict, [([7, 8], [1, 2, 3, 4]), ([], [5, 6, 9])], 2)
    # Answer [1, 2, 3, 4]: the guess after ...1, 2 is made at token 2 (102), after 2, 3 at 3.
    assert windows == [[1, 2, 102], [2, 3, 103], [5, 6, 106]]


def test_a_suspect_that_learned_the_green_lists_is_named() -> None:
    chats = _served(1)
    served = {"acct_042": context_set([a for _, a in chats], SCHEME.context)}
    windows = read_windows(_learned(RING.key_of("acct_042"), 1.0, 2), chats, SCHEME.context)
    report = audit_tokens(windows, RING, SCHEME, alpha=0.01, served=served)
    assert [f.account for f in report.flagged] == ["acct_042"]
    assert report.flagged[0].score.p_holm < 1e-6 and report.flagged[0].score.served_only


def test_a_suspect_independent_of_the_key_names_nobody() -> None:
    chats = _served(3)
    p = []
    for seed in range(40):
        windows = read_windows(_learned(RING.key_of("acct_099"), 0.0, seed), chats, 2)
        report = audit_tokens(windows, RING, SCHEME, alpha=0.01)
        assert report.flagged == ()
        p.append(next(f.score.p_raw for f in report.findings if f.account == "acct_042"))
    assert 0.3 < float(np.mean(p)) < 0.7  # the served account's p-value is not pulled down


def test_a_predictor_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(AuditError, match="2 predictions for a row of 3 tokens"):
        read_windows(lambda rows: [r[:-1] for r in rows], [([1], [2, 3])], 1)
    with pytest.raises(ValueError, match="context"):
        read_windows(lambda rows: rows, [([1], [2, 3])], 0)


def _copier(seed: int):  # type: ignore[no-untyped-def]
    """A suspect that never saw any key: where the last two tokens stood before in the row, it
    guesses what followed them then (as language models do); elsewhere, anything."""
    rng = np.random.default_rng(seed)

    def predict(rows: list[list[int]]) -> list[list[int]]:
        out = []
        for row in rows:
            after: dict[tuple[int, int], int] = {}
            guesses = []
            for i in range(len(row)):
                ctx = (row[i - 1] if i else -1, row[i])
                guesses.append(after.get(ctx, int(rng.integers(0, VOCAB))))
                if i + 1 < len(row):
                    after.setdefault(ctx, row[i + 1])
            out.append(guesses)
        return out

    return predict


def test_repeated_contexts_do_not_make_an_innocent_reader_look_guilty() -> None:
    """Answers that repeat themselves: at the repeat, the copier guesses the watermarked token
    that followed the same context before. Counting those positions would name the account;
    `read_windows` counts each context's first position only."""
    rng = np.random.default_rng(5)
    halves = watermarked([RING.key_of("acct_042")] * 24, 40, rng)
    chats = [(rng.integers(0, VOCAB, size=5).tolist(), h + h) for h in halves]
    every = [w for chat in read_chats(_copier(6), chats, 2) for w in chat]
    biased = audit_tokens(every, RING, SCHEME, alpha=0.01)
    assert [f.account for f in biased.flagged] == ["acct_042"]
    fair = audit_tokens(read_windows(_copier(6), chats, 2), RING, SCHEME, alpha=0.01)
    assert fair.flagged == ()
    assert first_occurrences([[1, 2, 3], [2, 3, 4], [1, 2, 5]], 2) == [[1, 2, 3], [2, 3, 4]]
