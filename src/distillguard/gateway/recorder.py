"""Events made durable on the request path, then taken into effect off it, exactly once.

`submit` appends the event to the journal (pipeline/journal.py) and returns a future that is
done once the journal has it on disk: the proxy awaits it before the response completes, so
an acknowledged request is never lost. A follower thread reads the journal back in offset
order and feeds, each exactly once:

- the ledger, in journal order (pipeline/ledger_feed.py);
- a reorder buffer, which releases events in arrival order to the rotating JSONL event log,
  the detection `Analyzer` and the enforcement that observes its scores.

Every `save_state_s` (and at shutdown) the follower saves the detector state of the accounts
that changed together with its `Position` in the journal, in one store transaction; a
restarted gateway cuts the event log back to that position and reads the journal on from it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import zlib
from pathlib import Path
from typing import Any

import orjson

from distillguard.detect.engine import Analyzer
from distillguard.errors import StoreError
from distillguard.events import FieldError, format_ts, parse_event
from distillguard.events.writer import private_dir
from distillguard.forensics.ledger import open_ledger
from distillguard.gateway.activity import Activity
from distillguard.gateway.enforcement import POLICY_STATE, Enforcement
from distillguard.gateway.event_log import RotatingEventLog
from distillguard.gateway.metrics import GatewayMetrics
from distillguard.gateway.reorder import ReorderBuffer
from distillguard.pipeline.journal import Journal, JournalReader, release_segments
from distillguard.pipeline.ledger_feed import LedgerFeed
from distillguard.pipeline.position import POSITION_KEY, Position
from distillguard.policy.attributes import AccountAttributes
from distillguard.settings import EventSettings, LedgerSettings
from distillguard.store import Store

log = logging.getLogger("distillguard.gateway.events")

_BATCH = 512
_POSITION_FILE = "position.json"  # where the position goes when there is no store


class EventRecorder:
    def __init__(
        self,
        settings: EventSettings,
        metrics: GatewayMetrics,
        store: Store | None = None,
        ledger: LedgerSettings | None = None,
        enforcement: Enforcement | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self.enforcement = enforcement
        self.journal_dir = settings.journal_dir or settings.dir / "journal"
        self.journal: Journal | None = None
        self._reader = JournalReader(self.journal_dir)
        self._position = Position()
        self._next = 0  # the next journal offset the follower reads
        self._unsaved: dict[str, bytes] = {}  # detector state a failed save still owes
        self._saved_at = time.monotonic()
        self._replay_clock = (0.0, 0.0)  # (newest replayed ts, wall time it came)
        # Held while the follower takes a batch, so readers (the admin API) see one state.
        self.lock = threading.Lock()
        self._metrics = metrics
        self._buffer = ReorderBuffer(settings.reorder_window_s)
        self.log = RotatingEventLog(settings.dir, settings.rotate_bytes)
        self.analyzer = Analyzer() if settings.detection else None
        self.ledger = open_ledger(ledger) if ledger is not None and ledger.enabled else None
        self._ledger_feed: LedgerFeed | None = None
        self.activity = Activity()
        self.flagged: set[str] = set()
        self.dropped = 0  # kept for callers: the journal refuses rather than drops
        self.invalid = 0
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        metrics.queue_depth.set_function(self.lag)
        metrics.flagged_accounts.set_function(lambda: len(self.flagged))

    @property
    def flagged_hours(self) -> dict[int, int]:
        return self.activity.flagged_hours

    def lag(self) -> int:
        """Events in the journal the follower has not read yet."""
        return 0 if self.journal is None else self.journal.next_offset - self._next

    def submit(self, event: dict[str, Any]) -> asyncio.Future[None]:
        """Journal one event (ts as Unix seconds); the future is done once it is durable.
        Raises JournalError when the journal cannot take it."""
        assert self.journal is not None, "EventRecorder.start() was not awaited"
        try:
            line = orjson.dumps(event)
        except (TypeError, ValueError, OverflowError) as err:
            # Bodies were checked as JSON on the way in; this is a bug, said loudly, not a 500.
            self.invalid += 1
            who = {"account": event.get("account")}
            log.error("event could not be serialised: %s", err, extra=who)
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        offset = self.journal.append(line)
        self._wake.set()
        return self.journal.durable(offset)

    async def start(self) -> None:
        private_dir(self._settings.dir)  # before the journal inside it: prompts, owner only
        self.journal = Journal(self.journal_dir, sync=self._settings.sync)
        await asyncio.to_thread(self._restore)
        # A checkpoint now, before any event: a crash before the first timed save then still
        # finds the log file it must cut back, instead of logging the journal again beside it.
        await asyncio.to_thread(self._save)
        self._thread = threading.Thread(target=self._follow, name="dg-events", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Take everything journaled into effect, save, and close."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)
            self._thread = None
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        self._reader.close()

    # -- the follower thread
    def _follow(self) -> None:
        wait = max(0.02, self._settings.reorder_window_s / 4)
        while True:
            self._wake.clear()  # before reading: an append after this wakes the next wait
            stopping = self._stopping.is_set()
            batch = self._reader.read(self._next, _BATCH)
            try:
                with self.lock:
                    self._take(batch, final=stopping and not batch)
            except Exception:  # one bad batch must not stop detection for good
                log.exception("event batch failed")
            every = self._settings.save_state_s
            if every and time.monotonic() - self._saved_at >= every:
                self._save()
            if stopping and not batch:
                break
            if not batch:
                self._wake.wait(wait)
        self._save()
        self.log.close()
        if self.ledger is not None:
            self.ledger.close()  # signs what is still unsigned

    def _take(self, batch: list[tuple[int, bytes]], final: bool) -> None:
        for offset, line in batch:
            self._next = offset + 1
            try:
                event = orjson.loads(line)
            except orjson.JSONDecodeError as err:  # the journal writes whole lines only
                self.invalid += 1
                log.error("journal record %d is not JSON: %s", offset, err)
                continue
            if self._ledger_feed is not None:
                self._ledger_feed.feed(offset, event)
            if not self._position.done(offset):
                event["_offset"] = offset
                self._buffer.push(event)
        late_before = self._buffer.late
        ready = self._buffer.drain() if final else self._buffer.ready(self._now(bool(batch)))
        for event in ready:
            self._record(event)
        if self._buffer.late > late_before:
            self._metrics.events_late.inc(self._buffer.late - late_before)
        if ready:
            self.log.flush()

    def _now(self, fresh: bool) -> float:
        now = time.time()
        if not self._settings.trust_event_time:
            return now
        if fresh:  # a replay's clock runs from its newest event on, while idle too
            self._replay_clock = (self._buffer.newest, now)
        newest, seen_at = self._replay_clock
        return newest + (now - seen_at)

    def _record(self, event: dict[str, Any]) -> None:
        meta = _meta(event.pop("_meta", None))
        event.pop("_offset", None)
        ts = float(event["ts"])
        event["ts"] = format_ts(ts)
        self.log.write_line(orjson.dumps(event))
        self._metrics.events_written.inc()
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
        if self.enforcement is not None:
            self.enforcement.observe(parsed, score, self.analyzer, meta)
        if score >= self.analyzer.config.threshold and parsed.account not in self.flagged:
            self.flagged.add(parsed.account)
            self.activity.count_flag(parsed.ts)
            log.warning(
                "account flagged", extra={"account": parsed.account, "score": round(score, 3)}
            )

    def requests_per_day(self, account: str) -> list[tuple[int, int]]:
        with self.lock:
            return self.activity.per_day(account)

    def health(self) -> dict[str, int]:
        """Events not read yet, held for reordering, dropped (never now), late and invalid."""
        return {
            "queued": self.lag(),
            "held": len(self._buffer),
            "dropped": self.dropped,
            "late": self._buffer.late,
            "invalid": self.invalid,
        }

    # -- checkpoints: detector state and journal position, saved together
    def _restore(self) -> None:
        states = self._load_states()
        blob = states.pop(POSITION_KEY, None)
        if blob is None and self._store is None:
            path = self.journal_dir / _POSITION_FILE
            blob = path.read_bytes() if path.exists() else None
        if blob is not None:
            try:
                self._position = Position.from_bytes(blob)
            except ValueError as err:
                log.error("%s; reading the journal from its start", err)
        pos = self._position
        self.log.resume(pos.log_file, pos.log_size)
        self.log.ensure_open()
        if pos.last_ts is not None:
            self._buffer.last_ts = pos.last_ts
        if pos.newest_ts is not None:
            self._buffer.newest = pos.newest_ts
        self._next = pos.resume_from()
        if self.ledger is not None:
            self._ledger_feed = LedgerFeed(self.ledger, self._next)
            self._next = min(self._next, self._ledger_feed.next_offset)
        self._restore_detection(states)
        log.info(
            "event recorder resumed",
            extra={"journal_offset": self._next, "accounts": len(self.flagged)},
        )

    def _load_states(self) -> dict[str, bytes]:
        if self._store is None:
            return {}
        try:
            return self._store.load_detector_state()
        except StoreError as err:
            log.error("detector state not restored, starting afresh: %s", err)
            return {}

    def _restore_detection(self, blobs: dict[str, bytes]) -> None:
        if self.analyzer is None:
            return
        try:
            states = {a: orjson.loads(zlib.decompress(b)) for a, b in blobs.items()}
            levels = states.pop(POLICY_STATE, {})
            self.analyzer.restore(states)
            if self.enforcement is not None:
                self.enforcement.restore(levels)
        except (zlib.error, orjson.JSONDecodeError, KeyError, TypeError) as err:
            # A gateway that cannot read old state still serves and detects from scratch.
            log.error("detector state not restored, starting afresh: %s", err)
            self.analyzer.restore({})
            return
        threshold = self.analyzer.config.threshold
        self.flagged = {a for a, t in self.analyzer.tracks.items() if t.max_score >= threshold}

    def _save(self) -> None:
        """Save the state of the accounts that changed with the position it belongs to;
        what fails is retried next time."""
        with self.lock:
            position = self._checkpoint()
            changes = self.analyzer.take_changes() if self.analyzer is not None else {}
            policy = self.enforcement.saved() if self.enforcement and changes else None
        self._unsaved.update({a: zlib.compress(orjson.dumps(s), 1) for a, s in changes.items()})
        if policy is not None:
            self._unsaved[POLICY_STATE] = zlib.compress(orjson.dumps(policy))
        if self.enforcement is not None:
            try:
                self.enforcement.refresh_allowed()
            except StoreError as err:
                log.warning("allowlist not refreshed: %s", err)
        self._saved_at = time.monotonic()
        self._unsaved[POSITION_KEY] = position.to_bytes()
        if not self._persist(self._unsaved):
            return
        self._metrics.state_saves.inc()
        self._unsaved = {}
        self._release_journal(position)

    def _checkpoint(self) -> Position:
        """The position now; what it names of the log and the ledger is on disk first."""
        self.log.sync()
        if self.ledger is not None:
            self.ledger.flush()
        name, size = self.log.position()
        # Until the follower has read past the restored position, that position still says
        # which of the offsets ahead were taken before: carry it forward, not just `_next`.
        restored = self._position
        held = {int(e["_offset"]) for e in self._buffer.held()}
        held.update(o for o in restored.held if o >= self._next)
        return Position(
            next_offset=max(self._next, restored.next_offset),
            held=frozenset(held),
            log_file=name,
            log_size=size,
            last_ts=self._buffer.last_ts if self._buffer.last_ts > float("-inf") else None,
            newest_ts=self._buffer.newest if self._buffer.newest > float("-inf") else None,
        )

    def _persist(self, blobs: dict[str, bytes]) -> bool:
        if self._store is None:
            path = self.journal_dir / _POSITION_FILE
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(blobs[POSITION_KEY])
            os.replace(tmp, path)
            return True
        try:
            self._store.save_detector_state(blobs)
        except StoreError as err:
            log.error("detector state not saved (will retry): %s", err)
            return False
        return True

    def _release_journal(self, position: Position) -> None:
        """Drop journal segments that every consumer has read past."""
        below = position.resume_from()
        if self._ledger_feed is not None:
            below = min(below, self._ledger_feed.next_offset)
        deleted = release_segments(Path(self.journal_dir), below)
        if deleted:
            log.info("journal: %d segments released", deleted)


def _meta(journaled: Any) -> dict[str, Any]:
    """The `_meta` of a journaled event (tier, account attributes) as enforcement reads it."""
    if not isinstance(journaled, dict):
        return {}
    attrs = journaled.get("attrs")
    if isinstance(attrs, dict):
        try:
            journaled["attrs"] = AccountAttributes(**attrs)
        except (TypeError, ValueError):  # written by another version: judged without them
            journaled["attrs"] = None
    return journaled
