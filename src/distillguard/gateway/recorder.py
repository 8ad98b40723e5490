"""Events made durable on the request path, then taken into effect off it.

`submit` appends the event to the journal (pipeline/journal.py) and returns a future that is
done once the journal has it on disk: the proxy awaits it before the response completes, so
an acknowledged request is never lost.

What reads the journal depends on `[pipeline] detection`:

- "inline": a thread of this process runs a `Follower` (pipeline/follower.py): ledger, event
  log, detection and the policy's case keeper, each event exactly once.
- "worker": `distillguard worker` processes do that; this gateway follows the decisions they
  publish (a thread polls the store) and shows their detection from the saved state
  (`DetectionView`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from typing import Any

import orjson

from distillguard.detect.engine import Analyzer
from distillguard.errors import StoreError
from distillguard.events.writer import private_dir
from distillguard.forensics.ledger import open_ledger
from distillguard.gateway.enforcement import Enforcement
from distillguard.gateway.metrics import GatewayMetrics
from distillguard.pipeline.event_log import RotatingEventLog
from distillguard.pipeline.follower import Follower
from distillguard.pipeline.journal import Journal, JournalReader
from distillguard.pipeline.stream_sink import StreamSink
from distillguard.pipeline.view import DetectionView
from distillguard.settings import EventSettings, LedgerSettings
from distillguard.settings_pipeline import PipelineSettings
from distillguard.store import Store

log = logging.getLogger("distillguard.gateway.events")

_BATCH = 512


class EventRecorder:
    def __init__(
        self,
        settings: EventSettings,
        metrics: GatewayMetrics,
        store: Store | None = None,
        ledger: LedgerSettings | None = None,
        enforcement: Enforcement | None = None,
        pipeline: PipelineSettings | None = None,
    ) -> None:
        self._settings = settings
        self._pipeline = pipeline or PipelineSettings(detection="inline")
        self._store = store
        self.enforcement = enforcement
        self.journal_dir = settings.journal_dir or settings.dir / "journal"
        self.journal: Journal | None = None
        self._metrics = metrics
        self.follower: Follower | None = None
        self.view: DetectionView | None = None
        if self._pipeline.detection == "inline":
            self.follower = Follower(
                settings,
                metrics,
                store,
                ledger=open_ledger(ledger) if ledger is not None and ledger.enabled else None,
                observer=enforcement,
                journal_dir=self.journal_dir,
            )
        elif store is not None:
            self.view = DetectionView(store)
        self._reader = JournalReader(self.journal_dir)
        self.dropped = 0  # kept for callers: the journal refuses rather than drops
        self.invalid = 0
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._sink: StreamSink | None = None
        self._boot = uuid.uuid4().hex[:16]
        self._count = 0
        metrics.queue_depth.set_function(self.lag)
        metrics.flagged_accounts.set_function(lambda: len(self.flagged))

    # -- what the admin API and the console read
    @property
    def analyzer(self) -> Analyzer | None:
        if self.follower is not None:
            return self.follower.analyzer
        return self.view.analyzer() if self.view is not None else None

    @property
    def lock(self) -> threading.Lock:
        if self.follower is not None:
            return self.follower.lock
        assert self.view is not None, "no detection to lock"
        return self.view.lock

    @property
    def log(self) -> RotatingEventLog:
        assert self.follower is not None, "the event log is the worker's"
        return self.follower.log

    @property
    def flagged(self) -> set[str]:
        if self.follower is not None:
            return self.follower.flagged
        analyzer = self.analyzer
        if analyzer is None:
            return set()
        threshold = analyzer.config.threshold
        return {a for a, t in analyzer.tracks.items() if t.max_score >= threshold}

    @property
    def flagged_hours(self) -> dict[int, int]:
        return self.follower.activity.flagged_hours if self.follower is not None else {}

    def requests_per_day(self, account: str) -> list[tuple[int, int]]:
        if self.follower is None:
            return []  # counted by the follower of this process only
        with self.follower.lock:
            return self.follower.activity.per_day(account)

    def lag(self) -> int:
        """Journaled events detection has not read yet (as its last checkpoint says, for a
        worker)."""
        if self.journal is None:
            return 0
        if self.follower is not None:
            return self.journal.next_offset - self.follower.next_offset
        if self.view is not None and self.view.positions:
            done = min(p.next_offset for p in self.view.positions.values())
            return max(0, self.journal.next_offset - done)
        return 0

    def health(self) -> dict[str, int]:
        """Events not read yet, held for reordering, dropped (never now), late and invalid."""
        buffer = self.follower.buffer if self.follower is not None else None
        invalid = self.invalid + (self.follower.invalid if self.follower is not None else 0)
        return {
            "queued": self.lag(),
            "held": len(buffer) if buffer is not None else 0,
            "dropped": self.dropped,
            "late": buffer.late if buffer is not None else 0,
            "invalid": invalid,
        }

    # -- the request path
    def submit(self, event: dict[str, Any]) -> asyncio.Future[None]:
        """Journal one event (ts as Unix seconds); the future is done once it is durable.
        Raises JournalError when the journal cannot take it."""
        assert self.journal is not None, "EventRecorder.start() was not awaited"
        self._count += 1
        event_id = event["_id"] = f"{self._boot}-{self._count}"  # the stream's dedup key
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
        if self._sink is not None:
            account = str(event.get("account"))
            return asyncio.ensure_future(self._sink.submit(line, account, event_id))
        offset = self.journal.append(line)
        if self.follower is not None:  # inline detection reads the journal: wake it
            self._wake.set()
        return self.journal.durable(offset)

    # -- lifecycle
    async def start(self) -> None:
        private_dir(self._settings.dir)  # before the journal inside it: prompts, owner only
        self.journal = Journal(
            self.journal_dir, sync=self._settings.sync, commit=self._settings.commit
        )
        if self._pipeline.transport == "nats":
            sink = self._sink = await StreamSink.open(self._pipeline, self.journal)
            self._metrics.spool.set_function(sink.backlog)
        if self.follower is not None:
            follower = self.follower
            start = await asyncio.to_thread(follower.restore)
            # A checkpoint now, before any event: a crash before the first timed save then
            # still finds the log file it must cut back, instead of logging the journal again.
            await asyncio.to_thread(follower.save)
            log.info("event recorder resumed", extra={"journal_offset": start})
            target = self._follow
        else:
            target = self._follow_decisions
        self._thread = threading.Thread(target=target, name="dg-events", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Take everything journaled into effect (inline), save, and close."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)
            self._thread = None
        if self._sink is not None:
            await self._sink.close()
            self._sink = None
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        self._reader.close()

    def _follow(self) -> None:
        follower = self.follower
        assert follower is not None
        wait = max(0.02, self._settings.reorder_window_s / 4)
        every = self._settings.save_state_s
        while True:
            self._wake.clear()  # before reading: an append after this wakes the next wait
            stopping = self._stopping.is_set()
            batch = self._reader.read(follower.next_offset, _BATCH)
            try:
                follower.take(batch, final=stopping and not batch)
            except Exception:  # one bad batch must not stop detection for good
                log.exception("event batch failed")
            if every and follower.saved_at + every <= time.monotonic():
                follower.save()
            if stopping and not batch:
                break
            if not batch:
                self._wake.wait(wait)
        follower.save()
        follower.close()

    def _follow_decisions(self) -> None:
        """Detection runs elsewhere: apply the decisions it publishes, until stopped."""
        enforcement = self.enforcement
        while not self._stopping.wait(self._pipeline.decisions_poll_s):
            if enforcement is None:
                continue
            try:
                enforcement.follow_decisions()
                enforcement.refresh_allowed()
            except StoreError as err:
                log.warning("decisions not read: %s", err)
