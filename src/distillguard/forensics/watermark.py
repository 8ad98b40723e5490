"""A keyed green-list watermark (Kirchenbauer et al. 2023, "KGW"), as vectorised hashes.

Whether token `t` is *green* after the context `c` (the `context` tokens before it) under the
64-bit key `k` is decided by a keyed hash, so that generation and detection need no table::

    pair(c, t)     = mix(ctx(c) ^ tok(t))          key-free: one value per (context, token)
    green(k, c, t) = mix(pair(c, t) ^ k) < gamma * 2**64

`mix` is splitmix64's finaliser (a bijection of 64-bit words with full avalanche). At generation
one `green_mask` call marks the green tokens of the whole vocabulary for every row of a batch
(its own key per row), and `delta` is added to their logits. At detection a text becomes the set
of its distinct pair values (`pair_hashes`: each (context, token) pair is scored once, Sander et
al. 2024), and testing a key costs one `mix` per pair (`green_counts`).

Under the null hypothesis (the text does not depend on key `k`) the green decisions of distinct
pairs are independent Bernoulli(gamma) draws, so the green count is exactly Binomial(n, gamma).

>>> scheme = WatermarkScheme(gamma=0.25, delta=1.0, context=2)
>>> mask = green_mask(np.array([7], dtype=np.uint64), np.array([[11, 12]]), 50_000, scheme)
>>> round(float(mask.mean()), 2)
0.25
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
BoolArray = npt.NDArray[np.bool_]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_CTX_SEED = np.uint64(0x6A09E667F3BCC908)  # first digits of sqrt(2): any fixed odd value works
_TOK_SALT = np.uint64(0xBB67AE8584CAA73B)


@dataclass(frozen=True, slots=True)
class WatermarkScheme:
    """Parameters shared by generation and detection; both sides must use the same ones.

    gamma: share of the vocabulary that is green in each context.
    delta: logit bonus of green tokens at generation (0: no watermark, detection unchanged).
    context: how many preceding tokens seed the green list (wider: fewer repeats to discard,
        but an edit breaks more pairs).
    """

    gamma: float = 0.25
    delta: float = 1.0  # see benchmarks/forensics/watermark/RESULTS.md for the trade-off
    context: int = 2

    def __post_init__(self) -> None:
        if not 0.0 < self.gamma < 1.0:
            raise ValueError(f"gamma must lie strictly between 0 and 1, not {self.gamma}")
        if self.delta < 0:
            raise ValueError(f"delta must be 0 or more, not {self.delta}")
        if not 1 <= self.context <= 16:
            raise ValueError(f"context must be 1 to 16 tokens, not {self.context}")

    @property
    def threshold(self) -> np.uint64:
        """A pair is green when its keyed hash is below this (a share gamma of all 2**64)."""
        return np.uint64(min(int(self.gamma * 2.0**64), 2**64 - 1))


def mix(z: U64) -> U64:
    """splitmix64: a new array of well-mixed 64-bit words (wraps modulo 2**64 by design)."""
    z = z + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    out: U64 = z ^ (z >> _S31)
    return out


def _mix_into(z: U64, tmp: U64) -> None:
    """`mix` in place, using `tmp` (same shape) as scratch: no allocation in hot loops."""
    z += _GOLDEN
    np.right_shift(z, _S30, out=tmp)
    z ^= tmp
    z *= _M1
    np.right_shift(z, _S27, out=tmp)
    z ^= tmp
    z *= _M2
    np.right_shift(z, _S31, out=tmp)
    z ^= tmp


def _as_u64(values: npt.ArrayLike) -> U64:
    return np.asarray(values, dtype=np.int64).astype(np.uint64)


def context_hashes(contexts: npt.ArrayLike) -> U64:
    """One hash per row of a (rows, context) array of token ids, chained left to right."""
    ctx = _as_u64(contexts)
    if ctx.ndim != 2:
        raise ValueError(f"contexts must be a (rows, context) array, got shape {ctx.shape}")
    h = np.full(ctx.shape[0], _CTX_SEED, dtype=np.uint64)
    for j in range(ctx.shape[1]):
        h = mix(h ^ ctx[:, j])
    return h


def token_hashes(tokens: npt.ArrayLike) -> U64:
    """The per-token half of a pair hash; `token_hashes(np.arange(V))` can be kept for a vocab."""
    return mix(_as_u64(tokens) ^ _TOK_SALT)


def green_mask(
    keys: U64, contexts: npt.ArrayLike, vocab_size: int, scheme: WatermarkScheme
) -> BoolArray:
    """(rows, vocab_size) booleans: the green tokens of each row under that row's key.

    `keys` holds one key per row; `contexts` the last `scheme.context` token ids of each row.
    """
    return green_mask_for(keys, contexts, token_hashes(np.arange(vocab_size)), scheme)


def green_mask_for(
    keys: U64, contexts: npt.ArrayLike, vocab_hashes: U64, scheme: WatermarkScheme
) -> BoolArray:
    """`green_mask` with the vocabulary's `token_hashes` computed once by the caller."""
    ctx = context_hashes(contexts)
    z = ctx[:, None] ^ vocab_hashes[None, :]
    tmp = np.empty_like(z)
    _mix_into(z, tmp)
    z ^= np.asarray(keys, dtype=np.uint64)[:, None]
    _mix_into(z, tmp)
    out: BoolArray = z < scheme.threshold
    return out


def text_pairs(tokens: Sequence[int] | npt.ArrayLike, context: int) -> U64:
    """The pair hash of every token of one text that has `context` tokens before it, in order."""
    return text_pairs_and_contexts(tokens, context)[0]


def text_pairs_and_contexts(tokens: Sequence[int] | npt.ArrayLike, context: int) -> tuple[U64, U64]:
    """`text_pairs` and, position by position, the hash of each pair's context alone."""
    ids = _as_u64(tokens).reshape(-1)
    if ids.size <= context:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.uint64)
    windows = np.lib.stride_tricks.sliding_window_view(ids, context + 1)
    ctx = context_hashes(windows[:, :context])
    return mix(ctx ^ token_hashes(windows[:, context])), ctx


def pair_hashes(texts: Iterable[Sequence[int] | npt.ArrayLike], context: int) -> U64:
    """The distinct pair hashes of a set of tokenized texts: each (context, token) scored once."""
    parts = [text_pairs(t, context) for t in texts]
    if not parts:
        return np.empty(0, dtype=np.uint64)
    out: U64 = np.unique(np.concatenate(parts))
    return out


def distinct_pairs(texts: Iterable[Sequence[int] | npt.ArrayLike], context: int) -> tuple[U64, U64]:
    """`pair_hashes` (sorted, distinct) and the context hash of each of them."""
    parts = [text_pairs_and_contexts(t, context) for t in texts]
    if not parts:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.uint64)
    pairs = np.concatenate([p for p, _ in parts])
    ctx = np.concatenate([c for _, c in parts])
    out, first = np.unique(pairs, return_index=True)
    return out, ctx[first]


def context_set(texts: Iterable[Sequence[int] | npt.ArrayLike], context: int) -> U64:
    """The distinct context hashes of tokenized texts (sorted): where a reader of them could
    have learned the key's green lists, see `watermark_detect` on served-context filtering."""
    parts = [text_pairs_and_contexts(t, context)[1] for t in texts]
    if not parts:
        return np.empty(0, dtype=np.uint64)
    out: U64 = np.unique(np.concatenate(parts))
    return out


def green_counts(
    pairs: U64, keys: U64, scheme: WatermarkScheme, chunk: int = 1 << 16
) -> npt.NDArray[np.int64]:
    """How many of `pairs` are green under each of `keys`.

    Works through blocks of about `chunk` hashes at a time, small enough to stay in cache.
    """
    keys = np.asarray(keys, dtype=np.uint64).reshape(-1)
    counts = np.zeros(keys.size, dtype=np.int64)
    if pairs.size == 0 or keys.size == 0:
        return counts
    thr = scheme.threshold
    width = min(pairs.size, chunk)
    z = np.empty(width, dtype=np.uint64)
    tmp = np.empty(width, dtype=np.uint64)
    below = np.empty(width, dtype=np.bool_)
    for start in range(0, pairs.size, width):
        part = pairs[start : start + width]
        k = part.size
        for i, key in enumerate(keys):
            np.bitwise_xor(part, key, out=z[:k])
            _mix_into(z[:k], tmp[:k])
            np.less(z[:k], thr, out=below[:k])
            counts[i] += np.count_nonzero(below[:k])
    return counts


def green_flags(pairs: U64, key: int, scheme: WatermarkScheme) -> BoolArray:
    """Which of `pairs` are green under the one key `key`."""
    out: BoolArray = mix(pairs ^ np.uint64(key)) < scheme.threshold
    return out
