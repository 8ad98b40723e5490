"""The journal: the gateway's durable, append-only log of events, read back by offset.

    journal = Journal(Path("spool"), sync="fsync")
    offset = journal.append(line)          # written (to the operating system) now
    await journal.durable(offset)          # fsynced: only then is the request acknowledged
    for offset, line in JournalReader(Path("spool")).read(start, limit=512): ...

Records are JSON lines in segment files `journal-NNNNNNNNNNNNNNNNNNNN.jsonl`, NNN being the
offset of the segment's first record; offsets count records from 0 with no gaps, across
segments. One process writes a folder (a lock file says so); any number read it.

Group commit: `append` writes the line with one `write` call, so a process killed at any
moment leaves whole lines behind it; a thread fsyncs whatever has been written since its last
fsync and then releases every `durable` waiting on it, so one fsync covers all the requests
that finished meanwhile. With `sync = "write"` the fsync is skipped: a process crash still
loses nothing written, an operating-system crash or power cut may lose the last seconds.

On opening for writing, a last line that is cut (no newline) or not JSON is dropped, with a
warning: it belonged to a request that was never acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Literal

import orjson

from distillguard.errors import DistillguardError
from distillguard.events.writer import private_dir
from distillguard.pipeline.locks import FolderBusy, hold

log = logging.getLogger("distillguard.pipeline.journal")

Sync = Literal["fsync", "write"]
Commit = Literal["loop", "thread"]
_PREFIX, _SUFFIX = "journal-", ".jsonl"


class JournalError(DistillguardError):
    """The journal cannot be opened or written; the message names the folder or file."""


def segment_name(base: int) -> str:
    return f"{_PREFIX}{base:020d}{_SUFFIX}"


def segments(folder: Path) -> list[tuple[int, Path]]:
    """(first offset, path) of each segment, in offset order."""
    found = []
    for path in folder.glob(f"{_PREFIX}*{_SUFFIX}"):
        digits = path.name[len(_PREFIX) : -len(_SUFFIX)]
        if digits.isdigit():
            found.append((int(digits), path))
    return sorted(found)


def _complete_lines(path: Path) -> tuple[int, int]:
    """(whole valid lines, bytes they take) of a segment; what follows them is a torn tail."""
    count = good = 0
    with path.open("rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                break
            try:
                orjson.loads(raw)
            except orjson.JSONDecodeError:
                break
            count += 1
            good += len(raw)
    return count, good


class Journal:
    """Appends lines to a journal folder, continuing the offsets already there."""

    def __init__(
        self,
        folder: Path,
        *,
        sync: Sync = "fsync",
        segment_bytes: int = 64 << 20,
        commit: Commit = "thread",
    ):
        self.folder = folder
        self.sync = sync
        self.commit = commit
        self._scheduled = False  # commit="loop": a flush is due on the loop
        self.segment_bytes = segment_bytes
        private_dir(folder)  # records hold prompts and answers: owner only
        self._lock = _lock(folder)
        self._fd = -1
        self._size = 0
        self.next_offset = 0  # the offset the next append gets
        self._synced = 0  # offsets below this are on disk
        self._failed: OSError | None = None
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()
        self._wake = threading.Condition()
        self._closing = False
        self._stale: list[int] = []  # descriptors of rotated segments the syncer still owes
        self._loop: asyncio.AbstractEventLoop | None = None
        self._resume()
        self._syncer = threading.Thread(target=self._sync_loop, name="journal-sync", daemon=True)
        if sync == "fsync" and commit == "thread":
            self._syncer.start()

    def _resume(self) -> None:
        found = segments(self.folder)
        if not found:
            self._open(0)
            return
        base, path = found[-1]
        count, good = _complete_lines(path)
        size = path.stat().st_size
        if good < size:
            log.warning("journal %s: dropping %d bytes of a cut last record", path, size - good)
            os.truncate(path, good)
        self.next_offset = self._synced = base + count
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        self._size = good

    def _open(self, base: int) -> None:
        self._fd, self._size = self._create(base), 0

    def _create(self, base: int) -> int:
        path = self.folder / segment_name(base)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        dir_fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the new file's name survives a power cut too
        finally:
            os.close(dir_fd)
        return fd

    def append(self, line: bytes) -> int:
        """Write one serialised record (no newline); returns its offset. Raises JournalError
        when the disk refuses it (full, gone): then nothing of it counts as written."""
        if self._failed is not None:
            raise JournalError(f"journal {self.folder} cannot be written: {self._failed}")
        if self._size >= self.segment_bytes:
            self._rotate()
        data = line + b"\n"
        try:
            written = os.write(self._fd, data)
        except OSError as err:
            raise JournalError(f"journal {self.folder} cannot be written: {err}") from err
        if written != len(data):  # a short write (disk full): cut it so the file stays whole
            os.ftruncate(self._fd, self._size)
            raise JournalError(f"journal {self.folder}: disk full after {written} bytes")
        self._size += written
        offset = self.next_offset
        self.next_offset += 1
        return offset

    def _rotate(self) -> None:
        old = self._fd
        new = self._create(self.next_offset)
        with self._wake:  # one swap: the syncer never sees the old descriptor as current
            if self.sync == "write":
                os.close(old)  # nothing to wait for: written is all this mode promises
            else:
                self._stale.append(old)  # fsynced and closed by the next flush
            self._fd, self._size = new, 0

    def durable(self, offset: int) -> asyncio.Future[None]:
        """A future done once the record at `offset` is on disk (at once with sync="write")."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        if self.sync == "write":
            future.set_result(None)
            return future
        self._loop = loop
        if self.commit == "loop":
            return self._wait_on_loop(loop, offset, future)
        with self._wake:  # checked under the lock the syncer releases waiters under
            if not self._settled(offset, future):
                self._waiters.append((offset, future))
                self._wake.notify()
        return future

    def _settled(self, offset: int, future: asyncio.Future[None]) -> bool:
        """Settle `future` now if the journal failed or `offset` is on disk already."""
        if self._failed is not None:
            future.set_exception(JournalError(f"journal {self.folder}: {self._failed}"))
        elif offset < self._synced:
            future.set_result(None)
        else:
            return False
        return True

    def _wait_on_loop(
        self, loop: asyncio.AbstractEventLoop, offset: int, future: asyncio.Future[None]
    ) -> asyncio.Future[None]:
        """commit="loop": one flush, on the loop's own thread, for every record written
        before it runs (all the requests that finished in this turn of the loop). No thread
        then has to win the GIL back to wake the waiters, which costs a request up to the
        interpreter's switch interval (5 ms) while the loop is busy."""
        if not self._settled(offset, future):
            self._waiters.append((offset, future))
            if not self._scheduled:
                self._scheduled = True
                loop.call_soon(self._flush_on_loop)
        return future

    def _flush_on_loop(self) -> None:
        self._scheduled = False
        if self._fd < 0:  # closed meanwhile: close() flushed and released the waiters
            return
        target, stale = self.next_offset, self._stale
        self._stale = []
        try:
            self._flush(stale, self._fd)
        except OSError as err:
            self._failed = err
            log.error("journal %s: fsync failed: %s", self.folder, err)
        else:
            self._synced = target
        done: list[asyncio.Future[None]] = []
        while self._waiters and (self._failed or self._waiters[0][0] < self._synced):
            done.append(self._waiters.popleft()[1])
        _finish(done, self._failed)

    @staticmethod
    def _flush(stale: list[int], fd: int) -> None:
        for old in stale:
            os.fsync(old)
            os.close(old)
        _datasync(fd)

    def _sync_loop(self) -> None:
        while True:
            with self._wake:
                while not self._closing and self.next_offset <= self._synced and not self._stale:
                    self._wake.wait()
                if self._closing and self.next_offset <= self._synced and not self._stale:
                    return
                target, fd, stale = self.next_offset, self._fd, self._stale
                self._stale = []
            try:
                self._flush(stale, fd)
            except OSError as err:  # the disk is gone: every waiter hears it, none hangs
                self._failed = err
                log.error("journal %s: fsync failed: %s", self.folder, err)
            else:
                self._synced = target
            self._release()
            if self._failed is not None:
                return

    def _release(self) -> None:
        with self._wake:
            done: list[asyncio.Future[None]] = []
            while self._waiters and (self._failed or self._waiters[0][0] < self._synced):
                done.append(self._waiters.popleft()[1])
        if done and self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed under us: nobody waits
                self._loop.call_soon_threadsafe(_finish, done, self._failed)

    def close(self) -> None:
        """Fsync what is written and close; waiters still pending are released."""
        with self._wake:
            self._closing = True
            self._wake.notify()
        if self._syncer.is_alive():
            self._syncer.join()
        for old in self._stale:  # commit="loop", or sync="write": rotated, still open
            os.fsync(old)
            os.close(old)
        self._stale = []
        if self._fd >= 0:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = -1
            self._synced = self.next_offset
        pending = [f for _, f in self._waiters]  # commit="loop": a flush not yet run
        self._waiters.clear()
        if pending and self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits
                self._loop.call_soon_threadsafe(_finish, pending, None)
        self._lock.close()


def _datasync(fd: int) -> None:
    """fdatasync flushes an appended file's data and its size, all a reader needs; where the
    platform has none (macOS), fsync."""
    getattr(os, "fdatasync", os.fsync)(fd)


def _finish(futures: list[asyncio.Future[None]], failed: OSError | None) -> None:
    for future in futures:
        if future.done():
            continue
        if failed is None:
            future.set_result(None)
        else:
            future.set_exception(JournalError(f"journal fsync failed: {failed}"))


def _lock(folder: Path) -> IO[bytes]:
    try:
        return hold(
            folder / "journal.lock",
            f"journal {folder} is written by another process; give each gateway its own folder",
        )
    except FolderBusy as err:
        raise JournalError(str(err)) from None


class JournalReader:
    """Reads records back by offset; a record being written is not read until it is whole."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._path: Path | None = None
        self._fh: IO[bytes] | None = None
        self._offset = -1  # the offset of the next line of _fh

    def read(self, start: int, limit: int) -> list[tuple[int, bytes]]:
        """Up to `limit` (offset, line) pairs from `start` on; [] when there is none yet."""
        if (self._fh is None or self._offset != start) and not self._seek(start):
            return []
        assert self._fh is not None
        out: list[tuple[int, bytes]] = []
        while len(out) < limit:
            at = self._fh.tell()
            raw = self._fh.readline()
            if not raw.endswith(b"\n"):  # the end, or a line still being written
                self._fh.seek(at)
                if not self._next_segment():
                    break
                continue
            out.append((self._offset, raw[:-1]))
            self._offset += 1
        return out

    def _seek(self, start: int) -> bool:
        found = [(b, p) for b, p in segments(self.folder) if b <= start]
        if not found:
            return False
        base, path = found[-1]
        self._switch(path, base)
        assert self._fh is not None
        while self._offset < start:
            raw = self._fh.readline()
            if not raw.endswith(b"\n"):
                return False
            self._offset += 1
        return True

    def _next_segment(self) -> bool:
        """Move on when a newer segment starts where this one ends."""
        following = self.folder / segment_name(self._offset)
        if self._path == following or not following.exists():
            return False
        self._switch(following, self._offset)
        return True

    def _switch(self, path: Path, base: int) -> None:
        self.close()
        self._fh = path.open("rb")
        self._path, self._offset = path, base

    def lines(self, start: int = 0) -> Iterator[tuple[int, bytes]]:
        """Every record from `start` to the current end."""
        while batch := self.read(start, 4096):
            yield from batch
            start = batch[-1][0] + 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def release_segments(folder: Path, below: int) -> int:
    """Delete segments every record of which is below offset `below` (all readers are past
    them); the newest segment is always kept. Returns how many were deleted."""
    found = segments(folder)
    deleted = 0
    for (_, path), (next_base, _) in itertools.pairwise(found):
        if next_base <= below:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
