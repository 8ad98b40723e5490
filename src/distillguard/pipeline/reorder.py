"""Put events finished out of order back in arrival order before they are written.

Events are submitted when their response ends, but stamped with the time their request
arrived, and the event format wants a file in `ts` order. The buffer holds each event for
`window_s` seconds after it arrived; by then every request that arrived before it has usually
finished. One that finishes later still (a long stream) is released with its `ts` raised to
the last released one, and counted in `late`, so the file stays ordered.

    >>> buf = ReorderBuffer(window_s=1.0)
    >>> buf.push({"ts": 10.5}); buf.push({"ts": 10.0})
    >>> [e["ts"] for e in buf.ready(now=11.2)]
    [10.0]
    >>> [e["ts"] for e in buf.drain()]
    [10.5]
"""

from __future__ import annotations

import heapq
import itertools
from typing import Any


class ReorderBuffer:
    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._heap: list[tuple[float, int, dict[str, Any]]] = []
        self._order = itertools.count()
        self.last_ts = float("-inf")
        self.newest = float("-inf")  # the latest ts pushed: the clock of a replay
        self.late = 0

    def __len__(self) -> int:
        return len(self._heap)

    def held(self) -> list[dict[str, Any]]:
        """The events waiting, in no particular order."""
        return [entry[2] for entry in self._heap]

    def push(self, event: dict[str, Any]) -> None:
        ts = float(event["ts"])
        self.newest = max(self.newest, ts)
        heapq.heappush(self._heap, (ts, next(self._order), event))

    def ready(self, now: float) -> list[dict[str, Any]]:
        """Events that arrived at least `window_s` before `now`, oldest first."""
        return self.until(now - self.window_s)

    def until(self, horizon: float) -> list[dict[str, Any]]:
        """Events that arrived at `horizon` or before, oldest first."""
        out = []
        while self._heap and self._heap[0][0] <= horizon:
            out.append(self._release(heapq.heappop(self._heap)[2]))
        return out

    def drain(self) -> list[dict[str, Any]]:
        """Every held event, oldest first (at shutdown)."""
        out = []
        while self._heap:
            out.append(self._release(heapq.heappop(self._heap)[2]))
        return out

    def _release(self, event: dict[str, Any]) -> dict[str, Any]:
        ts = float(event["ts"])
        if ts < self.last_ts:
            event["ts"] = self.last_ts
            self.late += 1
        else:
            self.last_ts = ts
        return event
