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
from distillguard.events import Event, FieldError, parse_event
from distillguard.forensics.ledger import Ledger
from distillguard.pipeline.activity import Activity
from distillguard.pipeline.case_keeper import POLICY_STATE
from distillguard.pipeline.event_log import RotatingEventLog
from distillguard.pipeline.journal import release_segments
from distillguard.pipeline.ledger_feed import LedgerFeed
from distillguard.pipeline.log_line import TsHead, body, journal_ts, ts_text
from distillguard.pipeline.position import POSITION_KEY, Position
from distillguard.pipeline.reorder import ReorderBuffer
from distillguard.policy.attributes import AccountAttributes
from distillguard.settings import EventSettings
from distillguard.store import Store
from distillguard.store.detector_state import decode, encode, shared_key

log = logging.getLogger("distillguard.pipeline.follower")

_SHARED = (CAMPAIGNS, POLICY_STATE, POSITION_KEY)
_JOURNAL = "_journal"  # a held event's (offset, journal record)
_INF = float("inf")
_FLUSH_S = 0.25  # the observer's moves are written at least this often (gateways poll 1/s)


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
        self._ts_head = TsHead()
        self.saved_at = time.monotonic()
        self._unflushed = False  # events recorded since the observer last flushed
        self._flushed_at = time.monotonic()

    # -- taking events
    def take(self, batch: list[tuple[int, bytes]], final: bool = False) -> None:
        """Read a batch, and record what the reorder buffer releases (all, if final)."""
        with self.lock:
            late_before, written = self.buffer.late, self.log.written
            try:
                released = self._take(batch, final)
            finally:  # counted once a batch: a counter's lock per event costs more than it
                self._counters.events_written.inc(self.log.written - written)
                if self.buffer.late > late_before:
                    self._counters.events_late.inc(self.buffer.late - late_before)
            if released:
                self.log.flush()
        self._unflushed |= released > 0
        if self._unflushed and time.monotonic() >= self._flushed_at + _FLUSH_S:
            self._flush_observer()  # outside the lock: readers need not wait for the store

    def _flush_observer(self) -> None:
        """The observer's moves to the store: a few times a second, not every batch (two
        commits each, of a few rows: they cost a fifth of the time detection took)."""
        self._unflushed = False
        self._flushed_at = time.monotonic()
        if self.observer is not None:
            self.observer.flush()

    def _take(self, batch: list[tuple[int, bytes]], final: bool) -> int:
        """What reading the whole batch and then releasing would record, in that order,
        but each event as soon as none read after it can come before it: parsed, then at
        once recorded, while it is still in the CPU's caches (a batch of 3 KB events read
        whole first has left them: that cost a tenth more time per event). How many."""
        hints = self._hints(batch)
        if not hints:  # none read (the held ones may be due), or a record not as the
            # gateway writes them: read all, then release
            for offset, line in batch:
                self._read(offset, line)
            horizon = self._horizon(bool(batch), self.buffer.newest, final)
            return self._record_until(horizon)
        newest = max([self.buffer.newest, *(h for h in hints if h != _INF)])
        # bounds[i]: what may go once the first i + 1 are read (ts before the rest's, and
        # before the horizon). A hint that parsing contradicts only makes an event late.
        bound, bounds = self._horizon(bool(batch), newest, final), [0.0] * len(hints)
        for i in range(len(hints) - 1, -1, -1):
            bounds[i] = bound
            bound = min(bound, hints[i])
        released = 0
        for (offset, line), bound in zip(batch, bounds, strict=True):
            self._read(offset, line)
            released += self._record_until(bound)
        return released

    def _hints(self, batch: list[tuple[int, bytes]]) -> list[float] | None:
        """The ts of each record of the batch read from its first bytes (_INF, no bound, for one
        taken before), or None if one does not start with its ts."""
        hints = []
        for offset, line in batch:
            ts = _INF if self._position.done(offset) else journal_ts(line)
            if ts is None:
                return None
            hints.append(ts)
        return hints

    def _horizon(self, fresh: bool, newest: float, final: bool) -> float:
        """The reorder buffer releases what arrived by then."""
        if final:
            return _INF
        now = time.time()
        if self._settings.trust_event_time:
            if fresh:  # a replay's clock runs from its newest event on, while idle too
                self._replay_clock = (newest, now)
            newest, seen_at = self._replay_clock
            now = newest + (now - seen_at)
        return now - self.buffer.window_s

    def _record_until(self, horizon: float) -> int:
        ready = self.buffer.until(horizon)
        for event in ready:
            self._record(event)
        return len(ready)

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
            event[_JOURNAL] = (offset, line)  # the log line is cut from the journal's bytes
            self.buffer.push(event)

    def _record(self, event: dict[str, Any]) -> None:
        meta = _meta(event.get("_meta"))
        ts, ts_read = self._log(event)
        self.activity.count_day(event.get("account"), ts)
        if self.analyzer is None:
            return
        event["ts"] = ts_read  # detection reads the log's ts, as `analyze` of the log would
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

    def _log(self, event: dict[str, Any]) -> tuple[float, float | str]:
        """Write the event's log line, and take the private fields out of it; its ts, and
        that of the log line (the text itself where that does not read back as a number:
        parse_event then says why, as before)."""
        _, record = event.pop(_JOURNAL)
        keys = list(event)
        private = [k for k in keys if k.startswith("_")]  # ours: not the log's
        last = keys[len(keys) - len(private) :] == private  # where the gateway puts them
        fields = [(k, event.pop(k)) for k in private]
        ts = float(event["ts"])
        head, ts_read = self._ts_head(ts)
        cut = body(record, fields) if last else None
        if cut is not None:
            self.log.write(head, cut, b"}\n")
        else:  # not as the gateway journals: serialised again, to the same meaning
            event["ts"] = ts_text(head)
            self.log.write(orjson.dumps(event), b"\n")
        return ts, ts_text(head) if ts_read is None else ts_read

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
        # Moves are written before the checkpoint that counts their events: a crash after
        # it must not lose them (the events that made them are not taken again).
        self._flush_observer()
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
        held = {e[_JOURNAL][0] for e in self.buffer.held()}
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
    meta = dict(journaled)  # the journaled one is still to be matched against the record
    attrs = meta.get("attrs")
    if isinstance(attrs, dict):
        meta["attrs"] = _attributes(attrs)
    return meta


_KNOWN_ATTRS: dict[tuple[Any, ...], AccountAttributes | None] = {}


def _attributes(attrs: dict[str, Any]) -> AccountAttributes | None:
    """`AccountAttributes(**attrs)`, made once per set of values: accounts share a handful."""
    key = tuple(attrs.items())
    try:
        return _KNOWN_ATTRS[key]
    except KeyError:
        pass
    except TypeError:  # a value that cannot be a key: not one the gateway writes
        return _made_attributes(attrs)
    made = _KNOWN_ATTRS[key] = _made_attributes(attrs)
    if len(_KNOWN_ATTRS) > 1024:  # not a gateway's: forget them all rather than grow
        _KNOWN_ATTRS.clear()
    return made


def _made_attributes(attrs: dict[str, Any]) -> AccountAttributes | None:
    try:
        return AccountAttributes(**attrs)
    except (TypeError, ValueError):  # written by another version: judged without them
        return None
