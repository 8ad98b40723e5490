"""Where a journal consumer stands: saved with the detector state, in one transaction.

A consumer reads the journal in offset order but releases events in time order, through a
reorder buffer; so what it has taken effect of is not a prefix of the journal. A `Position`
says exactly what: every offset below `next_offset` except those in `held`, which were read
but still waited in the buffer. Resuming, the consumer reads again from `resume_from()` and
skips what `done` says it already counted: no event twice, none skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

POSITION_KEY = "#position"  # its key among the detector states in the store


@dataclass(frozen=True)
class Position:
    next_offset: int = 0
    held: frozenset[int] = field(default_factory=frozenset)
    log_file: str | None = None  # the event log file, and its size, at the checkpoint
    log_size: int = 0
    last_ts: float | None = None  # the reorder buffer's clock: the last ts it released
    newest_ts: float | None = None  # and the newest it had seen

    def resume_from(self) -> int:
        return min(self.held, default=self.next_offset)

    def done(self, offset: int) -> bool:
        """Whether the event at `offset` took effect before this position was saved."""
        return offset < self.next_offset and offset not in self.held

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "v": 1,
                "next_offset": self.next_offset,
                "held": sorted(self.held),
                "log_file": self.log_file,
                "log_size": self.log_size,
                "last_ts": self.last_ts,
                "newest_ts": self.newest_ts,
            }
        )

    @classmethod
    def from_bytes(cls, blob: bytes) -> Position:
        """Raises ValueError (with what is wrong) on a blob this version cannot read."""
        try:
            obj = orjson.loads(blob)
            if obj.get("v") != 1:
                raise ValueError(f"position version {obj.get('v')!r}; this reads version 1")
            return cls(
                next_offset=int(obj["next_offset"]),
                held=frozenset(int(o) for o in obj["held"]),
                log_file=obj["log_file"],
                log_size=int(obj["log_size"]),
                last_ts=obj["last_ts"],
                newest_ts=obj["newest_ts"],
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"saved journal position unreadable: {err!r}") from err
