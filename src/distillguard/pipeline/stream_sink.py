"""A gateway's events into JetStream, with the journal as the spool while the stream is down.

    sink = await StreamSink.open(pipeline, journal)
    await sink.submit(line, account, msg_id)   # durable: in the stream, or in the spool

`submit` publishes and waits for the stream's acknowledgement. When the stream does not
answer, the event goes to the journal instead (fsynced, like the embedded default) and the
sink turns to spooling: every later event goes to the journal too, in order, and a
forwarder publishes the journal's records, each with its msg id (so a record published twice
is stored once), until it has caught up; then events are published directly again. Once the
spool holds `spool_max_bytes`, `submit` refuses (the proxy answers 503 with Retry-After).

The forwarder's place is a small file in the journal folder, written after each batch; a
restarted gateway forwards from there (records between the file and the crash go twice and
the stream drops the second copies, within its duplicate window).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path

import orjson

from distillguard.pipeline.jetstream import EventPublisher, StreamError, StreamUnavailable
from distillguard.pipeline.jetstream_source import stream_config
from distillguard.pipeline.journal import Journal, JournalError, JournalReader, release_segments
from distillguard.settings_pipeline import PipelineSettings

log = logging.getLogger("distillguard.pipeline.stream")

_FORWARDED = "forwarded"  # the file that holds the next journal offset to forward
_RETRY_S = 1.0


class StreamSink:
    def __init__(self, pipeline: PipelineSettings, journal: Journal) -> None:
        self._pipeline = pipeline
        self._journal = journal
        self._publisher: EventPublisher | None = None
        self._reader = JournalReader(journal.folder)
        self._forwarded = _read_forwarded(journal.folder)
        self.spooling = self._forwarded < journal.next_offset
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        self.spooled = 0

    @classmethod
    async def open(cls, pipeline: PipelineSettings, journal: Journal) -> StreamSink:
        sink = cls(pipeline, journal)
        try:
            sink._publisher = await EventPublisher.connect(stream_config(pipeline))
        except StreamUnavailable as err:
            log.error("stream down at start; spooling to the journal: %s", err)
            sink.spooling = True
        if sink.spooling:
            sink._start_forwarding()
        return sink

    def backlog(self) -> int:
        """Records in the spool not yet in the stream."""
        return self._journal.next_offset - self._forwarded

    def spool_bytes(self) -> int:
        return sum(p.stat().st_size for p in self._journal.folder.glob("journal-*.jsonl"))

    async def submit(self, line: bytes, account: str, msg_id: str) -> None:
        """Raises JournalError when the event can be made durable nowhere."""
        if not self.spooling and self._publisher is not None:
            try:
                await self._publisher.publish(line, account, msg_id)
                self.published += 1
                return
            except StreamUnavailable as err:
                log.error("stream down; spooling to the journal: %s", err)
                self.spooling = True
                self._start_forwarding()
            except StreamError as err:  # refused, not down: spooling would not help
                raise JournalError(f"the stream refused the event: {err}") from err
        if self.spool_bytes() >= self._pipeline.spool_max_bytes:
            raise JournalError(
                f"the stream is down and the spool {self._journal.folder} is full "
                f"({self._pipeline.spool_max_bytes:,} bytes)"
            )
        offset = self._journal.append(line)
        self.spooled += 1
        await self._journal.durable(offset)

    def _start_forwarding(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._forward())

    async def _forward(self) -> None:
        """Publish the spool's records in order until it is empty, then publish directly."""
        while True:
            if self._publisher is None:
                try:
                    self._publisher = await EventPublisher.connect(stream_config(self._pipeline))
                except StreamUnavailable:
                    await asyncio.sleep(_RETRY_S)
                    continue
            batch = self._reader.read(self._forwarded, 256)
            if not batch:
                if self._forwarded >= self._journal.next_offset:
                    self.spooling = False  # no await since the check: nothing slipped in
                    log.info("spool forwarded; publishing directly again")
                    return
                await asyncio.sleep(0.01)
                continue
            try:
                for offset, record in batch:
                    event = orjson.loads(record)
                    await self._publisher.publish(record, event["account"], event["_id"])
                    self._forwarded = offset + 1
            except StreamUnavailable:
                await asyncio.sleep(_RETRY_S)
            finally:
                _write_forwarded(self._journal.folder, self._forwarded)
            release_segments(self._journal.folder, self._forwarded)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        _write_forwarded(self._journal.folder, self._forwarded)
        self._reader.close()
        if self._publisher is not None:
            await self._publisher.close()


def _read_forwarded(folder: Path) -> int:
    path = folder / _FORWARDED
    if not path.exists():
        return 0
    text = path.read_text().strip()
    if not text.isdigit():
        raise JournalError(f"{path}: expected a journal offset, found {text[:40]!r}")
    return int(text)


def _write_forwarded(folder: Path, offset: int) -> None:
    path = folder / _FORWARDED
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{offset}\n")
    os.replace(tmp, path)
