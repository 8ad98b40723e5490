"""Bounded tables for counting what clients get wrong: an LRU, and failures per minute.

Both tables hold whatever clients send, so both are bounded: when full, the least recently used
entry goes (emptying a whole table instead would reset every counter at once, which is what a
flood of junk would then aim for).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
WINDOW_S = 60.0


class Lru(OrderedDict[K, V], Generic[K, V]):
    """A dict of at most `limit` entries: putting one more drops the least recently used."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def touch(self, key: K) -> V | None:
        """The value under `key` (None if absent), now the most recently used."""
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


class FailureWindow(Generic[K]):
    """Failures per key in a fixed one-minute window, for at most `limit` keys."""

    def __init__(self, per_min: int, limit: int) -> None:
        self.per_min = per_min
        self._counts: Lru[K, tuple[float, int]] = Lru(limit)  # key -> (window start, count)

    def add(self, key: K, now: float) -> None:
        start, count = self._counts.touch(key) or (now, 0)
        if now - start >= WINDOW_S:
            start, count = now, 0
        self._counts.put(key, (start, count + 1))

    def retry_after(self, key: K, now: float) -> int | None:
        """Whole seconds until `key` may try again, or None while it is under the limit."""
        start, count = self._counts.touch(key) or (now, 0)
        if now - start < WINDOW_S and count >= self.per_min:
            return max(1, int(start + WINDOW_S - now + 0.999))
        return None
