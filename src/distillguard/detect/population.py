"""The population of accounts: where each behaviour statistic usually sits, learned without labels.

A `Population` is a snapshot of the other accounts' statistics (`detect.behaviour`),
sorted per statistic and per segment (tool-using traffic apart from plain traffic),
so that ranking one account is a binary search per statistic. The engine rebuilds it
in stream time; between rebuilds accounts are ranked against the last snapshot.

Memory is bounded: at most `cap` accounts per segment are kept, chosen by a stable hash
of their names, so the sample does not depend on arrival order. Two populations merge
by pooling their samples (workers that each hold a share of the accounts).

Cold start: with fewer than `MIN_PEERS` ranked accounts there is no population, and
`rank` gives None; the scorer then claims nothing from behaviour (no flag), which is
the conservative choice for a provider's first hour.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from distillguard.detect.behaviour import NAMES, TOLERANCES
from distillguard.detect.sketches import hash64

MIN_PEERS = 20
ALL = "all"


@dataclass(frozen=True, slots=True)
class Ranks:
    """One account's place among its peers, per statistic (order of `behaviour.NAMES`)."""

    segment: str
    peers: int
    percentiles: tuple[float, ...]
    medians: tuple[float, ...]


class Population:
    __slots__ = ("_medians", "_sorted", "samples")

    def __init__(self, samples: Mapping[str, Mapping[str, Sequence[float]]] | None = None):
        # segment -> account -> statistics; ALL holds every account.
        self.samples: dict[str, dict[str, tuple[float, ...]]] = {
            seg: {a: tuple(v) for a, v in rows.items()} for seg, rows in (samples or {}).items()
        }
        # Sorted columns as plain lists: `bisect` on a list costs a tenth of a scalar
        # `np.searchsorted`, and ranking runs on every scoring.
        self._sorted: dict[str, list[list[float]]] = {}
        self._medians: dict[str, tuple[float, ...]] = {}
        if not any(self.samples.values()):
            return
        import numpy as np  # here, not at the top: `analyze --help` has no use for it

        for seg, rows in self.samples.items():
            if rows:
                table = np.sort(np.array(list(rows.values()), dtype=np.float64), 0)
                self._sorted[seg] = [table[:, j].tolist() for j in range(table.shape[1])]
                self._medians[seg] = tuple(float(x) for x in np.median(table, axis=0))

    @classmethod
    def build(
        cls, rows: Mapping[str, tuple[str, tuple[float, ...]]], cap: int = 4096
    ) -> Population:
        """From `account -> (segment, statistics)`; at most `cap` accounts per segment."""
        by_segment: dict[str, dict[str, tuple[float, ...]]] = {ALL: {}}
        for account in sorted(rows, key=hash64):
            seg, values = rows[account]
            for key in (seg, ALL):
                bucket = by_segment.setdefault(key, {})
                if len(bucket) < cap:
                    bucket[account] = values
        return cls(by_segment)

    def __len__(self) -> int:
        return len(self.samples.get(ALL, {}))

    def rank(
        self, segment: str, values: Sequence[float], tolerances: Sequence[float] = TOLERANCES
    ) -> Ranks | None:
        """Mid-rank percentile of each value among the segment's peers (all, if too few);
        values within their statistic's tolerance of each other tie."""
        found = self._table(segment)
        if found is None:
            return None
        seg, table = found
        pcts = _percentiles(table, values, tolerances)
        return Ranks(seg, len(table[0]), pcts, self._medians[seg])

    def percentiles(self, segment: str, values: Sequence[float]) -> tuple[float, ...] | None:
        """`rank`'s percentiles of the first len(values) statistics, ranking those alone."""
        found = self._table(segment)
        return None if found is None else _percentiles(found[1][: len(values)], values)

    def _table(self, segment: str) -> tuple[str, list[list[float]]] | None:
        """The segment ranked in and its sorted columns; None while it has too few peers."""
        seg = segment if len(self.samples.get(segment, {})) >= MIN_PEERS else ALL
        table = self._sorted.get(seg)
        if table is None or len(table[0]) < MIN_PEERS:
            return None
        return seg, table

    def merge(self, other: Population, cap: int = 4096) -> Population:
        rows: dict[str, dict[str, tuple[float, ...]]] = {}
        for source in (self, other):
            for seg, bucket in source.samples.items():
                rows.setdefault(seg, {}).update(bucket)
        kept = {
            seg: sorted(b.items(), key=lambda kv: hash64(kv[0]))[:cap] for seg, b in rows.items()
        }
        return Population({seg: dict(items) for seg, items in kept.items()})

    def to_state(self) -> dict[str, Any]:
        return {"names": list(NAMES), "samples": {s: dict(b) for s, b in self.samples.items()}}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Population:
        if list(state.get("names", [])) != list(NAMES):
            return cls()  # saved by another version's statistics: relearned at the next rebuild
        return cls(state["samples"])


def refresh_due(now: float, due_ts: float, rankable: int, built_with: int) -> bool:
    """When the population is rebuilt and campaigns are linked again: at `due_ts` (a link
    period after the last time), or sooner while the population is young (its rankable
    accounts have doubled since it was last built)."""
    young = rankable >= MIN_PEERS and rankable >= 2 * built_with
    return young or now >= due_ts


def _percentiles(
    columns: list[list[float]], values: Sequence[float], tolerances: Sequence[float] = TOLERANCES
) -> tuple[float, ...]:
    """Per statistic (below + half the ties) / n: `below` the peers under v - tol, ties
    those within tol of v. One comprehension, as ranking runs on every scoring."""
    n = len(columns[0])
    return tuple(
        [
            ((below := bisect_left(col, v - tol)) + 0.5 * (bisect_right(col, v + tol) - below)) / n
            for col, v, tol in zip(columns, values, tolerances[: len(columns)], strict=True)
        ]
    )
