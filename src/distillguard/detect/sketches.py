"""Fixed-size sketches that keep per-account state bounded whatever the volume.

Each sketch has `add`, `merge` and plain-data `to_state`/`from_state`; the maths is
in module-level functions so it can be tested on its own.
"""

from __future__ import annotations

import math
from hashlib import blake2b
from operator import itemgetter
from typing import Any


def hash64(value: int | str) -> int:
    data = value.encode() if isinstance(value, str) else value.to_bytes(8, "little", signed=False)
    return int.from_bytes(blake2b(data, digest_size=8).digest(), "little")


def _mix(value: int) -> int:
    """SplitMix64 finaliser: spreads an already-hashed 64-bit int over all bits, cheaply."""
    z = (value + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


_COUNT = itemgetter(1)
# 2**-r for every register value r, as `_totals` sums them.
_INVERSE = tuple(2.0**-r for r in range(66))


class HyperLogLog:
    """Distinct count in 2**p bytes (Flajolet et al. 2007), with the small-range correction.

    >>> h = HyperLogLog()
    >>> for i in range(1000): h.add(i)
    >>> 900 < h.count() < 1100
    True
    """

    __slots__ = ("_inverse_sum", "_last", "_zeros", "p", "registers")

    def __init__(self, p: int = 7) -> None:
        if not 4 <= p <= 12:
            raise ValueError(f"HyperLogLog precision p={p} must be within 4..12")
        self.p = p
        self.registers = bytearray(1 << p)
        # The item added last: adding it again changes nothing (registers only grow, by
        # merges too), and an account sends one system prompt request after request.
        self._last: int | None = None
        self._totals()

    def _totals(self) -> None:
        # Kept up to date on each change so that `count` is O(1): detectors read it per event.
        self._inverse_sum = sum(map(_INVERSE.__getitem__, self.registers))
        self._zeros = self.registers.count(0)

    def add(self, value: int) -> None:
        """Add an item given as an int hash (strings: pass `hash64(s)`)."""
        if value == self._last:
            return
        self._last = value
        h = _mix(value)
        idx = h >> (64 - self.p)
        rest = (h << self.p) & 0xFFFFFFFFFFFFFFFF
        rank = 64 - self.p + 1 if rest == 0 else 65 - rest.bit_length()
        old = self.registers[idx]
        if rank > old:
            self.registers[idx] = rank
            self._inverse_sum += _INVERSE[rank] - _INVERSE[old]
            if old == 0:
                self._zeros -= 1

    def count(self) -> float:
        m = len(self.registers)
        alpha = 0.7213 / (1 + 1.079 / m)
        est = alpha * m * m / self._inverse_sum
        if est <= 2.5 * m and self._zeros:
            return m * math.log(m / self._zeros)
        return est

    def merge(self, other: HyperLogLog) -> None:
        # Most accounts never set some sketches (logit-bias ids), as their zero counts
        # tell: merging an empty one changes no register, and into an empty one as well
        # leaves totals that are already the exact sums.
        m = len(self.registers)
        if other._zeros == m == len(other.registers):
            if self._zeros == m:
                return
        else:
            self.registers = bytearray(map(max, self.registers, other.registers))
        self._totals()

    def copy(self) -> HyperLogLog:
        """An independent copy, totals included (recomputing them could round differently)."""
        h = HyperLogLog.__new__(HyperLogLog)
        h.p, h.registers, h._last = self.p, bytearray(self.registers), self._last
        h._inverse_sum, h._zeros = self._inverse_sum, self._zeros
        return h

    def to_state(self) -> dict[str, Any]:
        return {"p": self.p, "registers": self.registers.hex()}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> HyperLogLog:
        h = cls(int(state["p"]))
        h.registers = bytearray.fromhex(state["registers"])
        h._totals()
        return h


class SpaceSaving:
    """The k most frequent keys and their approximate counts (Metwally et al. 2005).

    >>> s = SpaceSaving(2)
    >>> for key in [1, 1, 1, 2, 3, 1]: s.add(key)
    >>> s.top(1)
    [(1, 4)]
    """

    __slots__ = ("capacity", "counts", "total")

    def __init__(self, capacity: int = 16) -> None:
        self.capacity = capacity
        self.counts: dict[int, int] = {}
        self.total = 0

    def add(self, key: int, weight: int = 1) -> None:
        self.total += weight
        counts = self.counts
        held = counts.get(key)
        if held is not None:
            counts[key] = held + weight
            return
        if len(counts) < self.capacity:
            counts[key] = weight
            return
        # The first key in order with the least count, as `min(counts, key=counts.get)`
        # finds it, but with the minimum taken over the values in C: the dict is full on
        # almost every request of an account whose templates or addresses keep changing.
        least = min(counts.values())
        for victim, c in counts.items():
            if c == least:
                counts[key] = counts.pop(victim) + weight
                return  # before the loop would go on over the changed dict

    def top(self, k: int | None = None) -> list[tuple[int, int]]:
        # Heaviest first, ties by key: by key, then stably by count (reverse keeps ties in
        # order), which sorts in C where a (-count, key) key function calls Python per item.
        ranked = sorted(self.counts.items())
        ranked.sort(key=_COUNT, reverse=True)
        return ranked if k is None else ranked[:k]

    def heavy(self, k: int, at_least: float) -> list[int]:
        """The keys of `top(k)` whose count is at least `at_least`, in no set order: those
        are the keys over the bar, which seldom need the sort `top` makes."""
        hits = [(key, c) for key, c in self.counts.items() if c >= at_least]
        if len(hits) > k:
            hits.sort()
            hits.sort(key=_COUNT, reverse=True)
            del hits[k:]
        return [key for key, _ in hits]

    def share(self, k: int = 1) -> float:
        """Fraction of all weight carried by the k heaviest keys."""
        return sum(c for _, c in self.top(k)) / self.total if self.total else 0.0

    def merge(self, other: SpaceSaving) -> None:
        for key, c in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + c
        self.total += other.total
        if len(self.counts) > self.capacity:
            self.counts = dict(self.top(self.capacity))

    def copy(self) -> SpaceSaving:
        s = SpaceSaving(self.capacity)
        s.counts, s.total = dict(self.counts), self.total
        return s

    def to_state(self) -> dict[str, Any]:
        return {
            "capacity": self.capacity,
            "total": self.total,
            "counts": [list(kv) for kv in self.counts.items()],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> SpaceSaving:
        s = cls(int(state["capacity"]))
        s.total = int(state["total"])
        s.counts = {int(k): int(c) for k, c in state["counts"]}
        return s


class RotatingBloom:
    """Approximate 'seen before?' over the recent past, in a fixed 2 x 2**bits_log2 bits.

    Two generations: when the current one holds `per_generation` items it becomes the
    previous one and a new one starts, so memory is fixed and old prompts are forgotten.
    """

    __slots__ = ("bits_log2", "current", "inserted", "per_generation", "previous")

    def __init__(self, bits_log2: int = 15, per_generation: int = 3000) -> None:
        self.bits_log2 = bits_log2
        self.per_generation = per_generation
        self.current = bytearray(1 << (bits_log2 - 3))
        self.previous = bytearray(1 << (bits_log2 - 3))
        self.inserted = 0

    def seen_then_add(self, value: int) -> bool:
        """True if `value` was (probably) added before; adds it either way."""
        # Four bit positions from one mixed hash (`_mix`, inlined), tested and set unrolled:
        # three filters take this path on every request.
        z = (value + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        h = z ^ (z >> 31)
        mask = (1 << self.bits_log2) - 1
        a, b, c, d = h & mask, (h >> 16) & mask, (h >> 32) & mask, (h >> 48) & mask
        bits = self.current
        if (
            bits[a >> 3] & (1 << (a & 7))
            and bits[b >> 3] & (1 << (b & 7))
            and bits[c >> 3] & (1 << (c & 7))
            and bits[d >> 3] & (1 << (d & 7))
        ):
            return True
        old = self.previous
        seen = bool(
            old[a >> 3] & (1 << (a & 7))
            and old[b >> 3] & (1 << (b & 7))
            and old[c >> 3] & (1 << (c & 7))
            and old[d >> 3] & (1 << (d & 7))
        )
        if self.inserted >= self.per_generation:
            self.previous, self.current = bits, bytearray(len(bits))
            bits = self.current
            self.inserted = 0
        bits[a >> 3] |= 1 << (a & 7)
        bits[b >> 3] |= 1 << (b & 7)
        bits[c >> 3] |= 1 << (c & 7)
        bits[d >> 3] |= 1 << (d & 7)
        self.inserted += 1
        return seen

    def copy(self) -> RotatingBloom:
        b = RotatingBloom(self.bits_log2, self.per_generation)
        b.current[:], b.previous[:] = self.current, self.previous
        b.inserted = self.inserted
        return b

    def to_state(self) -> dict[str, Any]:
        return {
            "bits_log2": self.bits_log2,
            "per_generation": self.per_generation,
            "current": self.current.hex(),
            "previous": self.previous.hex(),
            "inserted": self.inserted,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> RotatingBloom:
        b = cls(int(state["bits_log2"]), int(state["per_generation"]))
        b.current = bytearray.fromhex(state["current"])
        b.previous = bytearray.fromhex(state["previous"])
        b.inserted = int(state["inserted"])
        return b
