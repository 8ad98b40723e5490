"""`distillguard worker`: detection in its own process, fed from the durable log.

    await run_worker(settings, partition=None, stop=event)   # the embedded journal
    await run_worker(settings, partition=1, stop=event)      # partition 1 of the stream

A worker runs one `Follower` (ledger, event log, detection, the policy's case keeper) over a
source: the gateway's journal folder, or one partition of the NATS JetStream stream. It
checkpoints its detector state with its position every `[events] save_state_s`; killed, it
resumes from that checkpoint, so no event counts twice and none is skipped. Each move of an
account's level goes to the store's decisions table, where the gateways read it.

With partitions, worker P keeps the accounts of partition P only; its event log and ledger
are folders of their own (`EVENTS_DIR/pP`, `LEDGER_DIR/pP`).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter

from distillguard.detect.engine import Analyzer
from distillguard.errors import StoreError
from distillguard.events.writer import private_dir
from distillguard.forensics.ledger import open_ledger
from distillguard.pipeline.allowlist import Allowlist
from distillguard.pipeline.case_keeper import CaseKeeper
from distillguard.pipeline.follower import Follower
from distillguard.pipeline.journal import JournalReader
from distillguard.pipeline.linker import ViewPoller
from distillguard.pipeline.locks import hold
from distillguard.policy import Enforcer, default_policy, load_policy
from distillguard.settings import Settings
from distillguard.store import Store, open_store

log = logging.getLogger("distillguard.pipeline.worker")

_BATCH = 512


class Source(Protocol):
    async def fetch(self, start: int, limit: int, timeout: float) -> list[tuple[int, bytes]]: ...

    async def close(self) -> None: ...


class JournalSource:
    """The embedded journal, read by polling: the gateway writes it from another process."""

    def __init__(self, folder: Path) -> None:
        self._reader = JournalReader(folder)

    async def fetch(self, start: int, limit: int, timeout: float) -> list[tuple[int, bytes]]:
        deadline = time.monotonic() + timeout
        while True:
            batch = self._reader.read(start, limit)
            if batch or time.monotonic() >= deadline:
                return batch
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        self._reader.close()


class WorkerCounters:
    def __init__(self) -> None:
        r = CollectorRegistry()
        self.events_written = Counter("distillguard_events_written", "Events logged.", registry=r)
        self.events_late = Counter("distillguard_events_late", "Events released late.", registry=r)
        self.state_saves = Counter("distillguard_detector_state_saves", "Saves.", registry=r)


@dataclass(frozen=True)
class WorkerReport:
    partition: int | None
    started_at: int  # the offset it resumed from
    next_offset: int
    events: int  # events it took into effect in this run


def partition_dirs(settings: Settings, partition: int | None) -> tuple[Path, Path]:
    """(event log folder, ledger folder) of a worker."""
    if partition is None:
        return settings.events.dir, settings.ledger.dir
    return settings.events.dir / f"p{partition}", settings.ledger.dir / f"p{partition}"


def build_follower(
    settings: Settings, store: Store, partition: int | None
) -> tuple[Follower, Allowlist]:
    policy = load_policy(settings.policy.file) if settings.policy.file else default_policy()
    allowlist = Allowlist(store)
    keeper = CaseKeeper(Enforcer(policy), store, allowlist.is_allowed, publish=True)
    log_dir, ledger_dir = partition_dirs(settings, partition)
    ledger = None
    if settings.ledger.enabled:
        ledger = open_ledger(settings.ledger.model_copy(update={"dir": ledger_dir}))
    owns = None
    if partition is not None:
        from distillguard.pipeline.jetstream import partition_of

        n = settings.pipeline.partitions
        owns = lambda account: partition_of(account, n) == partition  # noqa: E731
    journal_dir = None
    if settings.pipeline.transport == "journal":
        journal_dir = settings.events.journal_dir or settings.events.dir / "journal"
    follower = Follower(
        settings.events,
        WorkerCounters(),
        store,
        ledger=ledger,
        observer=keeper,
        partition=partition,
        owns=owns,
        journal_dir=journal_dir,
        log_dir=log_dir,
    )
    return follower, allowlist


async def open_source(settings: Settings, partition: int | None, start: int) -> Source:
    if settings.pipeline.transport == "journal":
        return JournalSource(settings.events.journal_dir or settings.events.dir / "journal")
    from distillguard.pipeline.jetstream_source import StreamSource

    assert partition is not None, "a stream worker reads one partition"
    source: Source = await StreamSource.open(settings.pipeline, partition, start)
    return source


# How long a starting worker waits for its stream: a worker restarted while the stream
# server restarts too (both killed by one host failure) must not exit for want of it.
STREAM_WAIT_S = 60.0


async def _open_waiting(
    settings: Settings, partition: int | None, start: int, stop: asyncio.Event
) -> Source:
    """`open_source`, retried each second while the stream is down, up to `STREAM_WAIT_S`
    or until asked to stop (then the last `StreamUnavailable` is raised: it names the stream
    and the fix)."""
    from distillguard.pipeline.jetstream import StreamUnavailable

    deadline = time.monotonic() + STREAM_WAIT_S
    while True:
        try:
            return await open_source(settings, partition, start)
        except StreamUnavailable as err:
            if time.monotonic() >= deadline or stop.is_set():
                raise
            log.warning(
                "stream unavailable; retrying", extra={"partition": partition, "why": str(err)}
            )
            await asyncio.sleep(1.0)


async def run_worker(
    settings: Settings, *, partition: int | None, stop: asyncio.Event, store: Store | None = None
) -> WorkerReport:
    """Take events into effect until `stop` is set; then everything read, saved."""
    log_dir = partition_dirs(settings, partition)[0]
    private_dir(log_dir)
    lock = hold(
        log_dir / "worker.lock",
        f"another worker writes {log_dir}; one worker per partition (and per journal)",
    )
    own_store = store is None
    store = store if store is not None else open_store(settings)
    follower, allowlist = build_follower(settings, store, partition)
    try:
        start = await asyncio.to_thread(follower.restore)
        await asyncio.to_thread(_refresh, allowlist)
        await asyncio.to_thread(follower.save)
        log.info("worker resumed", extra={"partition": partition, "offset": start})
        source = await _open_waiting(settings, partition, start, stop)
        # What start-up made (modules, settings, the restored state) lives as long as the
        # worker: frozen, the collector stops walking it again and again (it cost the
        # worker a tenth of its time), while what detection makes is still collected.
        gc.collect()
        gc.freeze()
        try:
            viewer = None
            if settings.pipeline.linker and partition is None:
                log.warning("[pipeline] linker = true is for partitioned workers; this one links")
            elif settings.pipeline.linker:
                viewer = ViewPoller(store, settings.pipeline.linker_poll_s)
            events = await _loop(settings, follower, allowlist, source, stop, viewer)
        finally:
            gc.unfreeze()
            await source.close()
        return WorkerReport(partition, start, follower.next_offset, events)
    finally:
        follower.close()
        if own_store:
            store.close()
        lock.close()


async def _loop(
    settings: Settings,
    follower: Follower,
    allowlist: Allowlist,
    source: Source,
    stop: asyncio.Event,
    viewer: ViewPoller | None = None,
) -> int:
    wait = max(0.02, settings.events.reorder_window_s / 4)
    every = settings.events.save_state_s
    events = 0
    while True:
        stopping = stop.is_set()
        batch = await source.fetch(follower.next_offset, _BATCH, 0.0 if stopping else wait)
        events += len(batch)
        try:
            follower.take(batch, final=stopping and not batch)
        except Exception:  # one bad batch must not stop detection for good
            log.exception("event batch failed")
        if viewer is not None and follower.analyzer is not None:
            _adopt(follower, follower.analyzer, viewer)
        if every and follower.saved_at + every <= time.monotonic():
            _refresh(allowlist)
            follower.save()
        if stopping and not batch:
            break
    follower.save()
    return events


def _adopt(follower: Follower, analyzer: Analyzer, viewer: ViewPoller) -> None:
    view = viewer.poll()
    if view is not None:
        with follower.lock:  # readers (the console, evidence) see one state
            analyzer.adopt(view)
        log.info("linked view adopted", extra={"ts": view.ts, "campaigns": len(view.campaigns)})


def _refresh(allowlist: Allowlist) -> None:
    try:
        allowlist.refresh()
    except StoreError as err:
        log.warning("allowlist not refreshed: %s", err)
