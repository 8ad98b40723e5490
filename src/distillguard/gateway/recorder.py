"""Inline detection off the hot path: events queue up, a background task logs and scores them.

`submit` never waits: it puts the event on a bounded queue, or counts it as dropped when the
queue is full. The background task takes events in batches and, in a worker thread (so the
event loop keeps serving), puts them back in arrival order, writes them to the rotating
JSONL log and feeds them to the detection `Analyzer`. `stop` drains everything still queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import zlib
from collections import OrderedDict
from typing import Any

import orjson

from distillguard.detect.engine import Analyzer
from distillguard.errors import StoreError
from distillguard.events import FieldError, format_ts, parse_event
from distillguard.forensics.ledger import open_ledger
from distillguard.gateway.enforcement import POLICY_STATE, Enforcement
from distillguard.gateway.event_log import RotatingEventLog
from distillguard.gateway.metrics import GatewayMetrics
from distillguard.gateway.reorder import ReorderBuffer
from distillguard.settings import EventSettings, LedgerSettings
from distillguard.store import Store

log = logging.getLogger("distillguard.gateway.events")

_BATCH = 512
_GATHER_S = 0.02  # how long events gather before a worker thread takes them
_HOURS_KEPT = 168
_DAYS_KEPT = 30  # UTC days of requests kept per account, for the console's account page
# Accounts with a daily series; the one whose last request is oldest goes first. Keys are
# authenticated accounts, but a store of millions must not cost 30 counters each here.
_DAY_ACCOUNTS = 100_000


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
        self._unsaved: dict[str, bytes] = {}  # detector state a failed save still owes
        self._saved_at = time.monotonic()
        self._replay_clock = (0.0, 0.0)  # (newest replayed ts, wall time it came)
        # Held while a batch is processed, so readers (the admin API) see a consistent analyzer.
        self.lock = threading.Lock()
        self._metrics = metrics
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(settings.queue_size)
        self._buffer = ReorderBuffer(settings.reorder_window_s)
        self.log = RotatingEventLog(settings.dir, settings.rotate_bytes)
        self.analyzer = Analyzer() if settings.detection else None
        # Each written event is also appended to the hash-chained, signed ledger.
        self.ledger = open_ledger(ledger) if ledger is not None and ledger.enabled else None
        self.flagged: set[str] = set()
        # Accounts newly flagged per hour (of event time), the last week's: the console's overview.
        self.flagged_hours: dict[int, int] = {}
        # Requests per UTC day (days since the epoch) per account, in memory only: it is not
        # part of the saved detector state, so it starts empty when the gateway restarts.
        self._daily: OrderedDict[str, dict[int, int]] = OrderedDict()
        self.dropped = 0
        self.invalid = 0
        self._task: asyncio.Task[None] | None = None
        self._busy: asyncio.Future[None] | None = None  # the batch a worker thread is on
        metrics.queue_depth.set_function(self._queue.qsize)
        metrics.flagged_accounts.set_function(lambda: len(self.flagged))

    def submit(self, event: dict[str, Any]) -> bool:
        """Queue one event (ts as Unix seconds); False, counted, if the queue is full."""
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            self._metrics.events_dropped.inc()
            return False
        return True

    async def start(self) -> None:
        if self.analyzer is not None and self._store is not None:
            await asyncio.to_thread(self._restore)
        self._task = asyncio.create_task(self._run(), name="distillguard-events")

    async def stop(self) -> None:
        """Process everything queued and held, then close the log."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._busy is not None:  # cancelling does not stop a thread: let it finish
            with contextlib.suppress(Exception):
                await self._busy
        rest = []
        while not self._queue.empty():
            rest.append(self._queue.get_nowait())
        await asyncio.to_thread(self._handle, rest, True)
        await asyncio.to_thread(self._save)
        self.log.close()
        if self.ledger is not None:
            self.ledger.close()  # signs what is still unsigned

    async def _run(self) -> None:
        wait = max(0.05, self._settings.reorder_window_s / 2)
        while True:
            batch: list[dict[str, Any]] = []
            with contextlib.suppress(TimeoutError):
                batch.append(await asyncio.wait_for(self._queue.get(), timeout=wait))
            if batch and self._queue.qsize() < _BATCH:
                await asyncio.sleep(_GATHER_S)  # a batch per hand-off, not an event
            while batch and len(batch) < _BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            if batch or len(self._buffer):
                self._busy = asyncio.ensure_future(asyncio.to_thread(self._handle, batch, False))
                try:
                    await asyncio.shield(self._busy)
                except Exception:  # one bad batch must not stop detection for good
                    log.exception("event batch failed")

    def _handle(self, batch: list[dict[str, Any]], final: bool) -> None:
        with self.lock:
            self._handle_locked(batch, final)
        every = self._settings.save_state_s
        if every and time.monotonic() - self._saved_at >= every:
            self._save()

    def _handle_locked(self, batch: list[dict[str, Any]], final: bool) -> None:
        for event in batch:
            self._buffer.push(event)
        late_before = self._buffer.late
        now = time.time()
        if self._settings.trust_event_time:  # the replay's clock, running on while idle
            if batch:
                self._replay_clock = (self._buffer.newest, now)
            newest, seen_at = self._replay_clock
            now = newest + (now - seen_at)
        ready = self._buffer.drain() if final else self._buffer.ready(now)
        for event in ready:
            self._record(event)
        if self._buffer.late > late_before:
            self._metrics.events_late.inc(self._buffer.late - late_before)
        if ready:
            self.log.flush()

    def _record(self, event: dict[str, Any]) -> None:
        meta = event.pop("_meta", None) or {}
        try:
            ts = float(event["ts"])
            event["ts"] = format_ts(ts)
            line = orjson.dumps(event)
        except (TypeError, ValueError, OverflowError) as err:
            # One event that cannot be written must not take the rest of its batch with it.
            self.invalid += 1
            log.error(
                "event could not be written: %s", err, extra={"account": event.get("account")}
            )
            return
        self.log.write_line(line)
        if self.ledger is not None:
            self.ledger.append(event)
        self._metrics.events_written.inc()
        self._count_day(event.get("account"), ts)
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
            self._count_flag(parsed.ts)
            log.warning(
                "account flagged",
                extra={"account": parsed.account, "score": round(score, 3)},
            )

    def _count_flag(self, ts: float) -> None:
        hour = int(ts // 3600)
        self.flagged_hours[hour] = self.flagged_hours.get(hour, 0) + 1
        if len(self.flagged_hours) > _HOURS_KEPT:
            del self.flagged_hours[min(self.flagged_hours)]

    def _count_day(self, account: Any, ts: float) -> None:
        if not isinstance(account, str):
            return
        day = int(ts // 86_400)
        days = self._daily.get(account)
        if days is None:
            days = self._daily[account] = {}
            while len(self._daily) > _DAY_ACCOUNTS:
                self._daily.popitem(last=False)
        elif day <= max(days) - _DAYS_KEPT:
            return  # a late event from before the window
        self._daily.move_to_end(account)
        days[day] = days.get(day, 0) + 1
        for old in [d for d in days if d <= day - _DAYS_KEPT]:
            del days[old]

    def requests_per_day(self, account: str) -> list[tuple[int, int]]:
        """(UTC day since the epoch, requests) for the 30 days up to the account's latest
        request, days without requests as 0; [] when none were recorded since the start."""
        with self.lock:
            days = dict(self._daily.get(account, {}))
        if not days:
            return []
        last = max(days)
        return [(d, days.get(d, 0)) for d in range(last - _DAYS_KEPT + 1, last + 1)]

    def health(self) -> dict[str, int]:
        """Events waiting, held for reordering, dropped (queue full), late and invalid."""
        return {
            "queued": self._queue.qsize(),
            "held": len(self._buffer),
            "dropped": self.dropped,
            "late": self._buffer.late,
            "invalid": self.invalid,
        }

    # -- detector state in the store
    def _restore(self) -> None:
        assert self.analyzer is not None and self._store is not None
        try:
            blobs = self._store.load_detector_state()
            states = {a: orjson.loads(zlib.decompress(b)) for a, b in blobs.items()}
            levels = states.pop(POLICY_STATE, {})
            self.analyzer.restore(states)
            if self.enforcement is not None:
                self.enforcement.restore(levels)
        except (StoreError, zlib.error, orjson.JSONDecodeError, KeyError, TypeError) as err:
            # A gateway that cannot read old state still serves and detects from scratch.
            log.error("detector state not restored, starting afresh: %s", err)
            self.analyzer.restore({})
            return
        threshold = self.analyzer.config.threshold
        self.flagged = {a for a, t in self.analyzer.tracks.items() if t.max_score >= threshold}
        log.info(
            "detector state restored",
            extra={"accounts": len(self.analyzer.tracks), "flagged": len(self.flagged)},
        )

    def _save(self) -> None:
        """Write the state of the accounts that changed; what fails is retried next time."""
        if self.analyzer is None or self._store is None:
            return
        with self.lock:
            changes = self.analyzer.take_changes()
        self._unsaved.update({a: zlib.compress(orjson.dumps(s), 1) for a, s in changes.items()})
        if self.enforcement is not None:
            if changes:
                saved = orjson.dumps(self.enforcement.saved())
                self._unsaved[POLICY_STATE] = zlib.compress(saved)
            with contextlib.suppress(StoreError):
                self.enforcement.refresh_allowed()
        self._saved_at = time.monotonic()
        if not self._unsaved:
            return
        try:
            self._store.save_detector_state(self._unsaved)
        except StoreError as err:
            log.error("detector state not saved (will retry): %s", err)
            return
        self._metrics.state_saves.inc()
        self._unsaved = {}
