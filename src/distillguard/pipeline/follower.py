"""Takes journaled events into effect, each exactly once: the ledger, the event log, detection.

A `Follower` is fed batches of (offset, line) in offset order, from the embedded journal or a
stream partition, and does not care which. It feeds:

- the ledger, in offset order (`LedgerFeed`);
- a reorder buffer, which releases events in arrival order to the rotating JSONL event log,
  the detection `Analyzer` and an `Observer` (the policy's `CaseKeeper`).

`save` writes the detector state of the accounts that changed, the observer's levels and
the follower's `Position` in one store transaction; `restore` cuts the event log back to that
position and says where to read on from. With accounts partitioned across workers, each
follower keeps its own shared keys (`#campaigns@P`, ...) and restores only its accounts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import orjson
from prometheus_client import Counter

from distillguard.detect.engine import CAMPAIGNS, Analyzer, Score
from distillguard.errors import StoreError
from distillguard.events import Event, FieldError, format_ts, parse_event
from distillguard.forensics.ledger import Ledger
from distillguard.pipeline.activity import Activity
from distillguard.pipeline.case_keeper import POLICY_STATE
from distillguard.pipeline.event_log import RotatingEventLog
from distillguard.pipeline.journal import release_segments
from distillguard.pipeline.ledger_feed import LedgerFeed
from distillguard.pipeline.position import POSITION_KEY, Position
from distillguard.pipeline.reorder import ReorderBuffer
from distillguard.policy.attributes import AccountAttributes
from distillguard.settings import EventSettings
from distillguard.store import Store
from distillguard.store.detector_state import decode, encode, shared_key

log = logging.getLogger("distillguard.pipeline.follower")

_SHARED = (CAMPAIGNS, POLICY_STATE, POSITION_KEY)


class Observer(Protocol):
    def observe(
        self, event: Event, score: Score, analyzer: Analyzer, meta: dict[str, Any]
    ) -> None: ...

    def saved(self) -> dict[str, Any]: ...

    def restore(self, saved: dict[str, Any]) -> None: ...

    def flush(self) -> None: ...


class Counters(Protocol):
    events_written: Counter
    events_late: Counter
    state_saves: Counter


class Follower:
    def __init__(
        self,
        settings: EventSettings,
        counters: Counters,
        store: Store | None,
        *,
        ledger: Ledger | None = None,
        observer: Observer | None = None,
        partition: int | None = None,
        owns: Callable[[str], bool] | None = None,
        journal_dir: Path | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self._settings = settings
        self._counters = counters
        self._store = store
        self.ledger = ledger
        self.observer = observer
        self.partition = partition
        self._owns = owns or (lambda account: True)
        self._journal_dir = journal_dir  # segments read past are released here, if given
        self.lock = threading.Lock()  # held while a batch is taken: readers see one state
        self.log = RotatingEventLog(log_dir or settings.dir, settings.rotate_bytes)
        self.analyzer = Analyzer() if settings.detection else None
        self.buffer = ReorderBuffer(settings.reorder_window_s)
        self.activity = Activity()
        self.flagged: set[str] = set()
        self.invalid = 0
        self.next_offset = 0  # the next offset to read
        self._position = Position()  # the restored one: what took effect before
        self._ledger_feed: LedgerFeed | None = None
        self._unsaved: dict[str, bytes] = {}
        self._replay_clock = (0.0, 0.0)  # (newest replayed ts, wall time it came)
        self.saved_at = time.monotonic()

    # -- taking events
    def take(self, batch: list[tuple[int, bytes]], final: bool = False) -> None:
        """Read a batch, then record what the reorder buffer releases (all, if final)."""
        with self.lock:
            for offset, line in batch:
                self._read(offset, line)
            late_before = self.buffer.late
            ready = self.buffer.drain() if final else self.buffer.ready(self._now(bool(batch)))
            for event in ready:
                self._record(event)
            if self.buffer.late > late_before:
                self._counters.events_late.inc(self.buffer.late - late_before)
            if ready:
                self.log.flush()
        if ready and self.observer is not None:
            self.observer.flush()  # outside the lock: readers need not wait for the store

    def _read(self, offset: int, line: bytes) -> None:
        self.next_offset = offset + 1
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError as err:  # the journal writes whole lines only
            self.invalid += 1
            log.error("journal record %d is not JSON: %s", offset, err)
            return
        if self._ledger_feed is not None:
            self._ledger_feed.feed(offset, event)
        if not self._position.done(offset):
            event["_offset"] = offset
            self.buffer.push(event)

    def _now(self, fresh: bool) -> float:
        now = time.time()
        if not self._settings.trust_event_time:
            return now
        if fresh:  # a replay's clock runs from its newest event on, while idle too
            self._replay_clock = (self.buffer.newest, now)
        newest, seen_at = self._replay_clock
        return newest + (now - seen_at)

    def _record(self, event: dict[str, Any]) -> None:
        meta = _meta(event.pop("_meta", None))
        for private in [k for k in event if k.startswith("_")]:  # ours: not the log's
            del event[private]
        ts = float(event["ts"])
        event["ts"] = format_ts(ts)
        self.log.write_line(orjson.dumps(event))
        self._counters.events_written.inc()
        self.activity.count_day(event.get("account"), ts)
        if self.analyzer is None:
            return
        try:
            parsed = parse_event(event)
        except FieldError as err:
            self.invalid += 1
            log.warning("event not valid for detection: %s", err)
            return
        score = self.analyzer.process(parsed)
        if self.observer is not None:
            self.observer.observe(parsed, score, self.analyzer, meta)
        if score.risk >= self.analyzer.config.threshold and parsed.account not in self.flagged:
            self.flagged.add(parsed.account)
            self.activity.count_flag(parsed.ts)
            log.warning(
                "account flagged", extra={"account": parsed.account, "score": round(score.risk, 3)}
            )

    # -- checkpoints
    def restore(self) -> int:
        """Load the last checkpoint; returns the offset to read from."""
        states = self._load_states()
        blob = states.pop(POSITION_KEY, None)
        if blob is not None:
            try:
                self._position = Position.from_bytes(blob)
            except ValueError as err:
                log.error("%s; reading from the start", err)
        pos = self._position
        self.log.resume(pos.log_file, pos.log_size)
        self.log.ensure_open()
        if pos.last_ts is not None:
            self.buffer.last_ts = pos.last_ts
        if pos.newest_ts is not None:
            self.buffer.newest = pos.newest_ts
        self.next_offset = pos.resume_from()
        if self.ledger is not None:
            self._ledger_feed = LedgerFeed(self.ledger, self.next_offset)
            self.next_offset = min(self.next_offset, self._ledger_feed.next_offset)
        self._restore_detection(states)
        return self.next_offset

    def _load_states(self) -> dict[str, bytes]:
        """This follower's saved states, its shared keys under their plain names."""
        if self._store is None:
            return {}
        try:
            saved = self._store.load_detector_state()
        except StoreError as err:
            log.error("detector state not restored, starting afresh: %s", err)
            return {}
        out = {a: b for a, b in saved.items() if not a.startswith("#") and self._owns(a)}
        for name in _SHARED:
            key = shared_key(name, self.partition)
            if key in saved:
                out[name] = saved[key]
        return out

    def _restore_detection(self, blobs: dict[str, bytes]) -> None:
        if self.analyzer is None:
            return
        try:
            states = {a: decode(b) for a, b in blobs.items()}
            levels = states.pop(POLICY_STATE, {})
            self.analyzer.restore(states)
            if self.observer is not None:
                self.observer.restore(levels)
        except (ValueError, KeyError, TypeError) as err:
            # A follower that cannot read old state still detects, from scratch.
            log.error("detector state not restored, starting afresh: %s", err)
            self.analyzer.restore({})
            return
        threshold = self.analyzer.config.threshold
        self.flagged = {a for a, t in self.analyzer.tracks.items() if t.max_score >= threshold}

    def save(self) -> bool:
        """Save the state of the accounts that changed with the position it belongs to;
        what fails is retried next time. True when saved."""
        with self.lock:
            position = self._checkpoint()
            changes = self.analyzer.take_changes() if self.analyzer is not None else {}
            levels = self.observer.saved() if self.observer and changes else None
        for key, state in changes.items():
            name = shared_key(key, self.partition) if key in _SHARED else key
            self._unsaved[name] = encode(state)
        if levels is not None:
            self._unsaved[shared_key(POLICY_STATE, self.partition)] = encode(levels)
        self._unsaved[shared_key(POSITION_KEY, self.partition)] = position.to_bytes()
        self.saved_at = time.monotonic()
        if not self._persist(self._unsaved):
            return False
        self._counters.state_saves.inc()
        self._unsaved = {}
        self._release(position)
        return True

    def _checkpoint(self) -> Position:
        """The position now; what it names of the log and the ledger is on disk first."""
        self.log.sync()
        if self.ledger is not None:
            self.ledger.flush()
        name, size = self.log.position()
        # Until the follower has read past the restored position, that position still says
        # which of the offsets ahead were taken before: carry it forward, not just the next.
        restored = self._position
        held = {int(e["_offset"]) for e in self.buffer.held()}
        held.update(o for o in restored.held if o >= self.next_offset)
        return Position(
            next_offset=max(self.next_offset, restored.next_offset),
            held=frozenset(held),
            log_file=name,
            log_size=size,
            last_ts=self.buffer.last_ts if self.buffer.last_ts > float("-inf") else None,
            newest_ts=self.buffer.newest if self.buffer.newest > float("-inf") else None,
        )

    def _persist(self, blobs: dict[str, bytes]) -> bool:
        if self._store is None:
            return True  # nothing to keep it in: a restart reads the journal from its start
        try:
            self._store.save_detector_state(blobs)
        except StoreError as err:
            log.error("detector state not saved (will retry): %s", err)
            return False
        return True

    def _release(self, position: Position) -> None:
        """Drop journal segments that every consumer here has read past."""
        if self._journal_dir is None:
            return
        below = position.resume_from()
        if self._ledger_feed is not None:
            below = min(below, self._ledger_feed.next_offset)
        if deleted := release_segments(self._journal_dir, below):
            log.info("journal: %d segments released", deleted)

    def close(self) -> None:
        self.log.close()
        if self.ledger is not None:
            self.ledger.close()  # signs what is still unsigned


def _meta(journaled: Any) -> dict[str, Any]:
    """The `_meta` of a journaled event (tier, account attributes) as the policy reads it."""
    if not isinstance(journaled, dict):
        return {}
    attrs = journaled.get("attrs")
    if isinstance(attrs, dict):
        try:
            journaled["attrs"] = AccountAttributes(**attrs)
        except (TypeError, ValueError):  # written by another version: judged without them
            journaled["attrs"] = None
    return journaled
