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
import time
from typing import Any

import orjson

from distillguard.detect.engine import Analyzer
from distillguard.events import FieldError, format_ts, parse_event
from distillguard.gateway.event_log import RotatingEventLog
from distillguard.gateway.metrics import GatewayMetrics
from distillguard.gateway.reorder import ReorderBuffer
from distillguard.settings import EventSettings

log = logging.getLogger("distillguard.gateway.events")

_BATCH = 512


class EventRecorder:
    def __init__(self, settings: EventSettings, metrics: GatewayMetrics) -> None:
        self._settings = settings
        self._metrics = metrics
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(settings.queue_size)
        self._buffer = ReorderBuffer(settings.reorder_window_s)
        self.log = RotatingEventLog(settings.dir, settings.rotate_bytes)
        self.analyzer = Analyzer() if settings.detection else None
        self.flagged: set[str] = set()
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
        self.log.close()

    async def _run(self) -> None:
        wait = max(0.05, self._settings.reorder_window_s / 2)
        while True:
            batch: list[dict[str, Any]] = []
            with contextlib.suppress(TimeoutError):
                batch.append(await asyncio.wait_for(self._queue.get(), timeout=wait))
            while batch and len(batch) < _BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            if batch or len(self._buffer):
                self._busy = asyncio.ensure_future(asyncio.to_thread(self._handle, batch, False))
                try:
                    await asyncio.shield(self._busy)
                except Exception:  # one bad batch must not stop detection for good
                    log.exception("event batch failed")

    def _handle(self, batch: list[dict[str, Any]], final: bool) -> None:
        for event in batch:
            self._buffer.push(event)
        late_before = self._buffer.late
        ready = self._buffer.drain() if final else self._buffer.ready(time.time())
        for event in ready:
            self._record(event)
        if self._buffer.late > late_before:
            self._metrics.events_late.inc(self._buffer.late - late_before)
        if ready:
            self.log.flush()

    def _record(self, event: dict[str, Any]) -> None:
        event["ts"] = format_ts(float(event["ts"]))
        line = orjson.dumps(event)
        self.log.write_line(line)
        self._metrics.events_written.inc()
        if self.analyzer is None:
            return
        try:
            parsed = parse_event(event)
        except FieldError as err:
            self.invalid += 1
            log.warning("event not valid for detection: %s", err)
            return
        score = self.analyzer.process(parsed)
        if score >= self.analyzer.config.threshold and parsed.account not in self.flagged:
            self.flagged.add(parsed.account)
            log.warning(
                "account flagged",
                extra={"account": parsed.account, "score": round(score, 3)},
            )
