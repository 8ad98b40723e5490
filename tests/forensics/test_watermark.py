"""The keyed green lists: their share, keys, agreement of generation and detection, and power."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kstest

from distillguard.forensics.watermark import (
    WatermarkScheme,
    context_hashes,
    context_set,
    distinct_pairs,
    green_counts,
    green_flags,
    green_mask,
    pair_hashes,
    text_pairs,
)
from distillguard.forensics.watermark_detect import score_keys
from distillguard.forensics.watermark_keys import KeyRing, derive_key, key_id

SECRET = b"a master secret of the tests, 32b"
SCHEME = WatermarkScheme(gamma=0.25, delta=2.0, context=2)
VOCAB = 512


def watermarked(
    keys: list[int], length: int, rng: np.random.Generator, bias: float = 0.6
) -> list[list[int]]:
    """One synthetic text per key: each token is green under that key with probability about
    `bias + (1 - bias) * gamma`, as a sampler boosting green logits would make it."""
    rows = len(keys)
    ids = rng.integers(0, VOCAB, size=(rows, SCHEME.context)).tolist()
    key_array = np.array(keys, dtype=np.uint64)
    for _ in range(length):
        ctx = np.array([row[-SCHEME.context :] for row in ids])
        mask = green_mask(key_array, ctx, VOCAB, SCHEME)
        for r in range(rows):
            pool = np.flatnonzero(mask[r]) if rng.random() < bias else np.arange(VOCAB)
            ids[r].append(int(rng.choice(pool)))
    return ids


def test_green_share_is_gamma_and_each_key_has_its_own_list() -> None:
    keys = np.array([derive_key(SECRET, "a"), derive_key(SECRET, "b")], dtype=np.uint64)
    ctx = np.array([[5, 9], [5, 9]])
    mask = green_mask(keys, ctx, 40_000, SCHEME)
    assert mask.shape == (2, 40_000)
    assert abs(mask[0].mean() - 0.25) < 0.01 and abs(mask[1].mean() - 0.25) < 0.01
    overlap = (mask[0] & mask[1]).mean()
    assert abs(overlap - 0.25**2) < 0.01  # independent lists, not shifted copies
    other_ctx = green_mask(keys[:1], np.array([[5, 10]]), 40_000, SCHEME)
    assert abs((mask[0] & other_ctx[0]).mean() - 0.25**2) < 0.01
    again = green_mask(keys, ctx, 40_000, SCHEME)
    assert np.array_equal(mask, again)


def test_generation_and_detection_agree_on_every_token() -> None:
    rng = np.random.default_rng(3)
    key = derive_key(SECRET, "acct")
    text = rng.integers(0, VOCAB, size=300).tolist()
    flags = green_flags(text_pairs(text, SCHEME.context), key, SCHEME)
    at_generation = [
        bool(
            green_mask(
                np.array([key], dtype=np.uint64), np.array([text[t - 2 : t]]), VOCAB, SCHEME
            )[0, text[t]]
        )
        for t in range(2, len(text))
    ]
    assert flags.tolist() == at_generation


def test_the_right_key_is_found_among_many_with_a_tiny_p_value() -> None:
    rng = np.random.default_rng(7)
    ring = KeyRing.derive(SECRET, [f"acct_{i}" for i in range(300)])
    texts = watermarked([ring.key_of("acct_42")] * 20, 60, rng)
    scores = score_keys(pair_hashes(texts, SCHEME.context), ring, SCHEME)
    best, runner_up = scores[0], scores[1]
    assert best.account == "acct_42"
    assert best.green_fraction > 0.6
    assert best.p_raw < 1e-30 and best.p_holm < 1e-27
    assert best.p_bonferroni >= best.p_holm
    assert runner_up.p_holm > 0.01


def test_repeated_text_is_scored_once() -> None:
    rng = np.random.default_rng(11)
    ring = KeyRing.derive(SECRET, ["acct"])
    text = watermarked([ring.key_of("acct")], 80, rng)[0]
    once = score_keys(pair_hashes([text], 2), ring, SCHEME)[0]
    many = score_keys(pair_hashes([text] * 50 + [text[:40]], 2), ring, SCHEME)[0]
    assert (many.scored, many.green, many.p_raw) == (once.scored, once.green, once.p_raw)
    assert once.scored == len(set(zip(text, text[1:], text[2:], strict=False)))


def test_p_values_of_keys_the_texts_do_not_carry_are_uniform() -> None:
    rng = np.random.default_rng(5)
    texts = [rng.integers(0, 49_152, size=150) for _ in range(100)]
    ring = KeyRing.derive(SECRET, [f"acct_{i}" for i in range(1000)])
    scores = score_keys(pair_hashes(texts, 2), ring, SCHEME)
    result = kstest([s.p_raw for s in scores], "uniform")
    assert result.pvalue > 0.01, result
    assert min(s.p_holm for s in scores) > 0.05


def test_green_counts_agree_with_flags_whatever_the_block_size() -> None:
    rng = np.random.default_rng(2)
    pairs = pair_hashes([rng.integers(0, 1000, size=3000)], 2)
    keys = np.array([derive_key(SECRET, str(i)) for i in range(5)], dtype=np.uint64)
    expected = [int(green_flags(pairs, int(k), SCHEME).sum()) for k in keys]
    assert green_counts(pairs, keys, SCHEME).tolist() == expected
    assert green_counts(pairs, keys, SCHEME, chunk=100).tolist() == expected


def test_texts_shorter_than_the_context_score_nothing() -> None:
    assert text_pairs([1, 2], 2).size == 0
    assert text_pairs([1, 2, 3], 2).size == 1
    assert pair_hashes([], 2).size == 0


@pytest.mark.parametrize(
    ("gamma", "delta", "context"), [(0.0, 2.0, 2), (1.0, 2.0, 2), (0.5, -1.0, 2), (0.5, 2.0, 0)]
)
def test_scheme_refuses_parameters_that_make_no_watermark(
    gamma: float, delta: float, context: int
) -> None:
    with pytest.raises(ValueError, match=r"gamma|delta|context"):
        WatermarkScheme(gamma, delta, context)


def test_keys_depend_on_secret_and_account_only() -> None:
    a = derive_key(SECRET, "acct_1")
    assert a == derive_key(SECRET, "acct_1")
    assert a != derive_key(SECRET, "acct_2")
    assert a != derive_key(b"another secret entirely, 32 bytes", "acct_1")
    assert 0 <= a < 2**64
    assert len(key_id(a)) == 12 and key_id(a) != key_id(derive_key(SECRET, "acct_2"))
    ring = KeyRing.derive(SECRET, ["x", "y", "x"])
    assert ring.accounts == ("x", "y") and ring.key_of("y") == derive_key(SECRET, "y")
    with pytest.raises(ValueError, match="twice"):
        KeyRing(("x", "x"), np.zeros(2, dtype=np.uint64))


def test_distinct_pairs_keep_each_pairs_context() -> None:
    texts = [[5, 9, 7, 5, 9, 7, 1], [9, 7, 5, 2], [3]]
    pairs, contexts = distinct_pairs(texts, 2)
    assert np.array_equal(pairs, pair_hashes(texts, 2))  # sorted, each pair once
    windows = {(5, 9): 7, (9, 7): 5, (7, 5): 9}  # and (9, 7) -> 1, (7, 5) -> 2
    expected = {int(text_pairs([*c, t], 2)[0]): c for c, t in windows.items()}
    expected[int(text_pairs([9, 7, 1], 2)[0])] = (9, 7)
    expected[int(text_pairs([7, 5, 2], 2)[0])] = (7, 5)
    assert len(pairs) == len(expected) == 5
    for pair, ctx in zip(pairs, contexts, strict=True):
        assert ctx == context_hashes(np.array([expected[int(pair)]]))[0]
    served = context_set(texts, 2)
    assert np.array_equal(served, np.unique(context_hashes(np.array(list(windows)))))
    assert distinct_pairs([], 2)[0].size == 0 and context_set([[1, 2]], 2).size == 0
