"""`distillguard linker`: campaign linking over every partition's accounts, in one place.

    linker = Linker(settings, store)
    view = linker.step()        # None, or the `LinkedView` it just saved for the workers

With `[pipeline] partitions = P`, worker p sees only the accounts of partition p. The linker
reads the account states the workers save to the store (only those saved since it last
looked), and links when a single analyzer would: a link period of stream time after its last
view, or sooner while the population is young (`PartitionLinker.due`). Its stream time is
the least of the workers' saved positions (`last_ts`: what each has taken into effect), so it
links only once every partition has reached that time; until every partition's worker has
saved a position, it waits. A partition whose worker has taken nothing new for `IDLE_S`
(no traffic, or its worker is down) no longer holds the others back: the least is taken
over the partitions still moving (the greatest of all when none is). The view goes to the
store under `LINKED`; each worker run with `[pipeline] linker = true` reads it (`ViewPoller`)
and adopts it (`Analyzer.adopt`).

Killed and restarted, it reads every state again and goes on from its last saved view.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from distillguard.detect.linked import LinkedView
from distillguard.detect.partitions import PartitionLinker
from distillguard.errors import StoreError
from distillguard.pipeline.position import POSITION_KEY, Position
from distillguard.settings import Settings
from distillguard.store import Store, open_store
from distillguard.store.detector_state import decode, encode, shared_key

log = logging.getLogger("distillguard.pipeline.linker")

LINKED = "#linked"  # the linker's view, among the detector states
# Savers' clocks may differ by this much (processes of several hosts): states saved this
# long before the newest one read are read again, which costs a re-read, never a miss.
CLOCK_SLACK_S = 5.0
IDLE_S = 30.0  # a partition whose position has not moved for this long is idle


class Linker:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.partitions = settings.pipeline.partitions
        self.store = store
        self.linker = PartitionLinker()
        self.stream_ts: dict[int, float] = {}  # per partition: its worker's saved `last_ts`
        self._moved: dict[int, tuple[int, float]] = {}  # per partition: offset, when it moved
        self.idle: set[int] = set()  # partitions not moving for IDLE_S (`stream_time`)
        self._said_waiting = float("-inf")
        self._pending: dict[str, bytes] = {}  # saved states not decoded yet, the newest each
        self._after = float("-inf")
        self._position_keys = [shared_key(POSITION_KEY, p) for p in range(self.partitions)]
        self._resume()

    def _resume(self) -> None:
        blob = self.store.load_detector_state_keys([LINKED]).get(LINKED)
        if blob is None:
            return
        try:
            view = LinkedView.from_state(decode(blob))
        except ValueError as err:
            log.error("the last linked view is unreadable, linking afresh: %s", err)
            return
        self.linker.resume(view)

    def step(self) -> LinkedView | None:
        """Read what the workers saved since the last step; link and save a view when due."""
        blobs, newest = self.store.load_detector_state_since(self._after - CLOCK_SLACK_S)
        self._after = max(self._after, newest)
        self._positions(self.store.load_detector_state_keys(self._position_keys))
        self._pending.update(blobs)
        now = self.stream_time(time.monotonic())
        # States are decoded only when a linking may be due: the accounts known bound the
        # rankable ones, so below that bound the young rule cannot fire either.
        if now is None or not self.linker.due(now, self.accounts):
            return None
        self._take_pending()
        if not self.linker.due(now):
            return None
        view = self.linker.link(now)
        self.store.save_detector_state({LINKED: encode(view.to_state())})
        log.info(
            "linked",
            extra={"ts": now, "accounts": view.accounts, "campaigns": len(view.campaigns)},
        )
        return view

    @property
    def accounts(self) -> int:
        """Accounts known, decoded or not."""
        return self.linker.accounts + sum(a not in self.linker for a in self._pending)

    def _take_pending(self) -> None:
        for account, blob in self._pending.items():
            try:  # one state it cannot read must not stop linking for the others
                self.linker.update({account: decode(blob)})
            except (ValueError, KeyError, TypeError) as err:
                log.error("account %s: state not linked: %s: %s", account, type(err).__name__, err)
        self._pending.clear()

    def stream_time(self, wall: float) -> float | None:
        """The least stream time of the partitions still moving at monotonic time `wall`
        (never before the last view's); None while waiting for a partition: one whose worker
        has saved no position yet, or one still moving that has taken no event yet."""
        waiting = [p for p in range(self.partitions) if p not in self._moved]
        idle = {p for p, (_, at) in self._moved.items() if wall - at >= IDLE_S}
        for p in sorted(idle - self.idle):
            log.warning("partition %d has taken no event for %.0f s: linking without it", p, IDLE_S)
        self.idle = idle
        moving = [p for p in self._moved if p not in idle]
        waiting += [p for p in moving if p not in self.stream_ts]
        if waiting:
            if wall >= self._said_waiting + IDLE_S:
                self._said_waiting = wall
                log.info("linker waiting for partitions %s", sorted(waiting))
            return None
        clocks = [self.stream_ts[p] for p in moving] or list(self.stream_ts.values())
        if not clocks:
            return None  # every partition idle before any event
        now = min(clocks) if moving else max(clocks)
        last = self.linker.last_ts
        return now if last is None else max(now, last)  # stream time never runs back

    def _positions(self, blobs: dict[str, bytes]) -> None:
        wall = time.monotonic()
        for p in range(self.partitions):
            blob = blobs.get(shared_key(POSITION_KEY, p))
            if blob is None:
                continue
            try:
                position = Position.from_bytes(blob)
            except ValueError as err:
                log.error("partition %d: position unreadable: %s", p, err)
                continue
            if self._moved.get(p, (None, 0.0))[0] != position.next_offset:
                self._moved[p] = (position.next_offset, wall)
            if position.last_ts is not None:
                self.stream_ts[p] = position.last_ts


async def run_linker(
    settings: Settings, *, stop: asyncio.Event, store: Store | None = None, poll_s: float = 1.0
) -> int:
    """Step every `poll_s` until `stop` is set; returns how many views it saved."""
    own = store is None
    store = store if store is not None else open_store(settings)
    views = 0
    try:
        linker = await asyncio.to_thread(Linker, settings, store)
        while not stop.is_set():
            started = time.monotonic()
            try:
                views += await asyncio.to_thread(linker.step) is not None
            except StoreError as err:  # the store restarting: try again next time
                log.warning("linker step failed (will retry): %s", err)
            wait = max(0.0, poll_s - (time.monotonic() - started))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
        return views
    finally:
        if own:
            store.close()


class ViewPoller:
    """A worker's side: the linker's newest view, read from the store at most every
    `poll_s` seconds; `poll` gives a view once, when it is new."""

    def __init__(self, store: Store, poll_s: float) -> None:
        self.store = store
        self.poll_s = poll_s
        self._seen: bytes | None = None
        self._next = 0.0

    def poll(self) -> LinkedView | None:
        now = time.monotonic()
        if now < self._next:
            return None
        self._next = now + self.poll_s
        try:
            blob = self.store.load_detector_state_keys([LINKED]).get(LINKED)
        except StoreError as err:
            log.warning("linked view not read (will retry): %s", err)
            return None
        if blob is None or blob == self._seen:
            return None
        self._seen = blob
        try:
            return LinkedView.from_state(decode(blob))
        except ValueError as err:
            log.error("linked view not adopted: %s", err)
            return None
