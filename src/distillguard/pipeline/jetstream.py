"""The scaled-out journal: gateway replicas publish events to NATS JetStream, detection workers
read them back one partition at a time.

    publisher = await EventPublisher.connect(config)   # config = StreamConfig(...)
    seq = await publisher.publish(line, account="acct_7f3a", msg_id=event_id)  # stored: answer
    reader = await PartitionReader.open(config, partition=0, start_seq=position.resume_from())
    for seq, line in await reader.fetch(limit=512, timeout=1.0): ...

What it promises:

- `publish` returns only once JetStream acknowledged the event (the PubAck): the stream holds
  it. On one server that means written to its file store, which nats-server fsyncs on an
  interval (2 minutes; 2.9 has no setting for it, newer releases take `sync_interval`), so it
  survives a crash of the server process but a power cut can lose the last acknowledged
  events. With `replicas=3` in a cluster an ack means a quorum of servers holds the event.
  The journal (journal.py) fsyncs before it acknowledges; this trades that for replication.
- Every account lands on one partition (`partition_of`, stable across processes and Python
  runs), each partition is a subject `{prefix}.{p}`, and a reader gets its partition's events
  in the order the stream stored them.
- A publish carries the header Nats-Msg-Id; the server drops a second publish of the same id
  within `duplicate_window_s`, so a publisher that timed out and retries with the same id
  leaves exactly one copy.
- Sequences are stream-wide, so one partition sees them with gaps. `Position` already allows
  gaps (what counts is "below next_offset and not held"), so a worker checkpoints stream
  sequences as its offsets and resumes with `start_seq = position.resume_from()`.

Why JetStream rather than Redis Streams: with replicas a JetStream ack means a quorum stored
the event (Raft), where Redis replicates asynchronously and a failover can drop acknowledged
writes; the server drops duplicates by message id, which Redis Streams leave to the client;
partitions are just subjects, each read by a cheap ephemeral consumer that starts at any
sequence. And Redis stays the rate limiter, so one failure does not take both down.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext, api

from distillguard.errors import DistillguardError

log = logging.getLogger("distillguard.pipeline.jetstream")

# Reconnect forever, a second apart: a gateway outlives a server restart without being
# rebuilt, and `publish` fails fast meanwhile (it refuses while disconnected).
_RECONNECT_WAIT_S = 1
# Pings find a half-open connection (a server host gone without closing TCP) in ~30 s, not
# the client's default 4 minutes.
_PING_INTERVAL_S = 10
_MAX_OUTSTANDING_PINGS = 3
# An idle reader's consumer outlives pauses (a long checkpoint) but not a vanished worker.
_CONSUMER_IDLE_S = 300.0
_PARTITIONS_TAG = re.compile(r"partitions=(\d+)")
_NAME_BAD = re.compile(r"[\s.*>/\\]")
_TOKEN = re.compile(r"[^\s.*>]+")


class StreamError(DistillguardError):
    """The event stream cannot be used as configured; the message says what to fix."""


class StreamUnavailable(StreamError):
    """The NATS server (or its JetStream) cannot be reached now: the event is not known to be
    stored. Retry with the same msg_id: if the first try did land, the retry is dropped."""


def partition_of(account: str, partitions: int) -> int:
    """The partition of an account: blake2b (8-byte digest) of its UTF-8 id, big-endian, mod
    `partitions`. Not hash(): that is salted per process, and every replica must agree."""
    if partitions < 1:
        raise ValueError(f"partitions must be at least 1, not {partitions}")
    digest = hashlib.blake2b(account.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % partitions


@dataclass(frozen=True)
class StreamConfig:
    url: str = "nats://127.0.0.1:4222"
    stream: str = "DG_EVENTS"
    subject_prefix: str = "dg.events"
    # Fixed for the stream's life: changing it moves accounts to other partitions. The
    # stream's description records it, and `ensure_stream` refuses a replica that disagrees.
    partitions: int = 2
    max_age_s: float = 7 * 24 * 3600.0
    duplicate_window_s: float = 120.0
    publish_timeout_s: float = 2.0
    connect_timeout_s: float = 3.0
    replicas: int = 1  # 3 in a cluster: an ack then means a quorum stored the event

    def __post_init__(self) -> None:
        if not self.stream or _NAME_BAD.search(self.stream):
            raise StreamError(f"stream name {self.stream!r}: use letters, digits, - and _")
        if not all(_TOKEN.fullmatch(t) for t in self.subject_prefix.split(".")):
            raise StreamError(
                f"subject prefix {self.subject_prefix!r}: dot-separated tokens without "
                "spaces or wildcards, like 'dg.events'"
            )
        if self.partitions < 1 or self.replicas < 1:
            raise StreamError(f"partitions={self.partitions}, replicas={self.replicas}: need >= 1")
        for name in ("max_age_s", "duplicate_window_s", "publish_timeout_s", "connect_timeout_s"):
            if not getattr(self, name) > 0:
                raise StreamError(f"{name}={getattr(self, name)!r}: must be a positive number")
        if self.duplicate_window_s > self.max_age_s:
            raise StreamError("duplicate_window_s cannot exceed max_age_s (the server refuses)")

    def subject(self, partition: int) -> str:
        return f"{self.subject_prefix}.{partition}"


def _where(url: str) -> str:
    """The url without user or password, for messages that reach logs."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 4222}" if parts.hostname else url


def _down(config: StreamConfig, problem: object) -> StreamUnavailable:
    return StreamUnavailable(
        f"event stream {config.stream} at {_where(config.url)} is unavailable: {problem} "
        "(check that nats-server runs with JetStream enabled (-js) and the stream url setting)"
    )


async def _connect(config: StreamConfig, role: str) -> Client:
    """A client that reconnects forever once connected, but whose first connect gives up
    after `connect_timeout_s` (the client alone would retry it as long as it reconnects)."""
    client = Client()
    last: list[Exception] = []

    async def on_error(err: Exception) -> None:
        last[:] = [err]
        quiet = isinstance(err, OSError)  # a (re)connect attempt failed (TimeoutError too)
        log.log(logging.DEBUG if quiet else logging.WARNING, "%s: nats: %s", role, err)

    async def on_disconnect() -> None:
        if not client.is_closed:  # close() reports a disconnect too
            log.warning("%s: lost %s; reconnecting", role, _where(config.url))

    async def on_reconnect() -> None:
        log.warning("%s: reconnected to %s", role, _where(config.url))

    try:
        await asyncio.wait_for(
            client.connect(
                config.url,
                name=f"distillguard-{role}",
                error_cb=on_error,
                disconnected_cb=on_disconnect,
                reconnected_cb=on_reconnect,
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=_RECONNECT_WAIT_S,
                connect_timeout=max(1, int(config.connect_timeout_s)),
                ping_interval=_PING_INTERVAL_S,
                max_outstanding_pings=_MAX_OUTSTANDING_PINGS,
            ),
            timeout=config.connect_timeout_s,
        )
    except (TimeoutError, OSError, nats.errors.Error) as err:
        await client.close()
        why = last[0] if last else (str(err) or type(err).__name__)
        raise _down(
            config, f"cannot connect within {config.connect_timeout_s:g} s ({why})"
        ) from err
    return client


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    """Create the stream if it is missing, or check that the existing one is ours: the same
    subjects, limits retention, and the same number of partitions (a replica that disagrees
    would publish to partitions no worker reads)."""
    try:
        try:
            info = await js.stream_info(config.stream)
        except nats.js.errors.NotFoundError:
            info = await _create(js, config)
    except (TimeoutError, nats.errors.NoRespondersError) as err:
        raise _down(config, f"JetStream does not answer ({err})") from err
    except nats.js.errors.ServiceUnavailableError as err:
        raise _down(config, f"JetStream is not ready ({err.description})") from err
    _check(info.config, config)


async def _create(js: JetStreamContext, config: StreamConfig) -> api.StreamInfo:
    wanted = api.StreamConfig(
        name=config.stream,
        description=f"distillguard events; partitions={config.partitions}",
        subjects=[f"{config.subject_prefix}.*"],
        retention=api.RetentionPolicy.LIMITS,
        storage=api.StorageType.FILE,
        max_age=config.max_age_s,
        duplicate_window=config.duplicate_window_s,
        num_replicas=config.replicas,
    )
    try:
        return await js.add_stream(wanted)
    except nats.js.errors.BadRequestError as err:
        if err.err_code == 10058:  # another replica created it first: check that one
            return await js.stream_info(config.stream)
        raise StreamError(
            f"cannot create stream {config.stream} on {config.subject_prefix}.*: "
            f"{err.description} (another stream may own these subjects: pick another "
            "subject prefix or delete that stream with `nats stream rm`)"
        ) from err


def _check(have: api.StreamConfig, config: StreamConfig) -> None:
    name, subjects = config.stream, [f"{config.subject_prefix}.*"]
    if have.subjects != subjects:
        raise StreamError(
            f"stream {name} exists with subjects {have.subjects}, not {subjects}: set the "
            "stream name or subject prefix to match it, or delete it with `nats stream rm`"
        )
    if have.retention not in (None, api.RetentionPolicy.LIMITS):
        raise StreamError(
            f"stream {name} has {have.retention} retention; it needs limits retention, or "
            "events vanish before every worker read them: recreate it"
        )
    tag = _PARTITIONS_TAG.search(have.description or "")
    if tag is not None and int(tag.group(1)) != config.partitions:
        raise StreamError(
            f"stream {name} has {tag.group(1)} partitions, this process is configured with "
            f"{config.partitions}: every gateway and worker must use the stream's count"
        )
    kept, wanted = (
        (have.max_age, have.duplicate_window),
        (config.max_age_s, config.duplicate_window_s),
    )
    if kept != wanted:  # an operator may have tuned them: the stream's own values hold
        log.warning("stream %s: (max_age, duplicate_window) %s, not %s", name, kept, wanted)


class EventPublisher:
    """Publishes events to their account's partition; one NATS connection, used concurrently."""

    def __init__(self, client: Client, config: StreamConfig) -> None:
        self._client = client
        self._js = client.jetstream(timeout=config.publish_timeout_s)
        self.config = config

    @classmethod
    async def connect(cls, config: StreamConfig) -> EventPublisher:
        client = await _connect(config, "publisher")
        publisher = cls(client, config)
        try:
            await ensure_stream(publisher._js, config)
        except BaseException:
            await client.close()
            raise
        return publisher

    async def publish(self, line: bytes, account: str, msg_id: str) -> int:
        """Publish one serialised event and wait until the stream holds it; returns its stream
        sequence (the first copy's, when this msg_id was published in the last
        duplicate_window_s: the server then stores nothing)."""
        if not msg_id or "\r" in msg_id or "\n" in msg_id:
            raise StreamError(f"msg_id {msg_id!r}: needs a non-empty id on one line (dedup key)")
        config = self.config
        if not self._client.is_connected:
            # The client would buffer the publish and send it on reconnecting, maybe long after
            # the caller gave up on it: refuse now, the caller retries with the same msg_id.
            raise _down(config, "not connected (reconnecting)")
        subject = config.subject(partition_of(account, config.partitions))
        try:
            ack = await self._js.publish(
                subject,
                line,
                timeout=config.publish_timeout_s,
                stream=config.stream,  # refused, not misfiled, if another stream took the subject
                headers={api.Header.MSG_ID: msg_id},
            )
        except nats.errors.MaxPayloadError as err:
            raise StreamError(
                f"event of {len(line)} bytes exceeds the server's max_payload "
                f"({self._client.max_payload}): raise max_payload in nats-server.conf"
            ) from err
        except (nats.errors.TimeoutError, nats.js.errors.ServiceUnavailableError) as err:
            raise _down(
                config, f"no acknowledgement within {config.publish_timeout_s:g} s"
            ) from err
        except nats.js.errors.NoStreamResponseError as err:
            raise _down(config, f"no stream listens on {subject}") from err
        except (nats.errors.ConnectionClosedError, nats.errors.ConnectionReconnectingError) as err:
            raise _down(config, f"connection lost ({err})") from err
        except nats.js.errors.APIError as err:
            raise StreamError(
                f"stream {config.stream} refused the event: {err.description}"
            ) from err
        if ack.duplicate:
            log.debug("msg_id %s was already stored at %d: dropped as a duplicate", msg_id, ack.seq)
        return ack.seq

    async def close(self) -> None:
        await self._client.close()  # every publish was awaited: nothing is left to flush


class PartitionReader:
    """Reads one partition in stream order from a start sequence, through an ephemeral pull
    consumer without acks: the worker's checkpoint, not the server, remembers where it is.

    After a reconnect, or a gap in the consumer's own sequence (messages lost in flight), the
    consumer is recreated at the last delivered sequence + 1: nothing skipped or repeated."""

    def __init__(self, client: Client, config: StreamConfig, partition: int, start_seq: int):
        self._client = client
        self._js = client.jetstream(timeout=config.publish_timeout_s)
        self.config = config
        self.partition = partition
        self.subject = config.subject(partition)
        self.next_seq = start_seq  # the first stream sequence not yet returned
        self._sub: JetStreamContext.PullSubscription | None = None
        self._consumer: str | None = None  # its name, to delete it when replaced
        self._consumer_seq = 0  # the consumer's sequence of the last message taken
        self._stale = False  # the consumer lost its place: recreate it before the next fetch
        self._reconnects = -1  # the client's reconnect count when the consumer was made

    @classmethod
    async def open(cls, config: StreamConfig, partition: int, start_seq: int) -> PartitionReader:
        if not 0 <= partition < config.partitions:
            raise StreamError(f"partition {partition}: the stream has 0..{config.partitions - 1}")
        if start_seq < 0:
            raise StreamError(f"start_seq {start_seq}: stream sequences start at 1")
        client = await _connect(config, f"reader-{partition}")
        # 0, a fresh Position's next_offset, is "from the start" too: sequences begin at 1.
        reader = cls(client, config, partition, max(1, start_seq))
        try:
            await ensure_stream(reader._js, config)
            await reader._subscribe()
        except (TimeoutError, nats.errors.Error) as err:
            await reader.close()
            raise _down(config, f"cannot create a consumer on {reader.subject} ({err})") from err
        except BaseException:
            await reader.close()
            raise
        return reader

    @property
    def connected(self) -> bool:
        return self._client.is_connected

    async def _subscribe(self) -> None:
        await self._drop_consumer()
        self._reconnects = self._client.stats["reconnects"]
        info = await self._js.stream_info(self.config.stream)
        if info.state.first_seq > self.next_seq:
            log.warning(
                "partition %d: stream %s starts at %d, after %d: events of this partition "
                "in between, if any, expired unread (max_age)",
                self.partition, self.config.stream, info.state.first_seq, self.next_seq,
            )  # fmt: skip
        name = f"dg-{self.partition}-{secrets.token_hex(8)}"
        consumer = api.ConsumerConfig(
            name=name,
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=self.next_seq,
            ack_policy=api.AckPolicy.NONE,
            filter_subject=self.subject,
            inactive_threshold=_CONSUMER_IDLE_S,
            mem_storage=True,  # its state is worthless after a restart: we recreate it anyway
            num_replicas=1,
        )
        await self._js.add_consumer(self.config.stream, consumer)
        self._consumer = name
        self._sub = await self._js.pull_subscribe_bind(consumer=name, stream=self.config.stream)
        self._consumer_seq, self._stale = 0, False

    async def _drop_consumer(self) -> None:
        sub, self._sub = self._sub, None
        name, self._consumer = self._consumer, None
        with contextlib.suppress(TimeoutError, nats.errors.Error, ValueError):
            if sub is not None:
                await sub.unsubscribe()  # late deliveries to it are discarded, never returned
            if name is not None and self._client.is_connected:  # else inactive_threshold
                await self._js.delete_consumer(self.config.stream, name)

    async def fetch(self, limit: int, timeout: float) -> list[tuple[int, bytes]]:
        """Up to `limit` (stream_seq, data) pairs of this partition after the last returned,
        in order; [] when none came within `timeout` (> 0) seconds or the server is down
        (see `connected`); raises StreamUnavailable once the reader is closed."""
        if self._client.is_closed:
            raise _down(self.config, "the reader is closed")
        start = time.monotonic()
        if not await self._ready():
            await asyncio.sleep(max(0.0, timeout - (time.monotonic() - start)))
            return []
        assert self._sub is not None
        try:
            msgs = await self._sub.fetch(limit, timeout=timeout)
        except TimeoutError:  # nats.errors.TimeoutError too
            msgs = []
        except nats.js.errors.APIError as err:  # e.g. 409 consumer deleted
            log.warning("partition %d: %s; recreating the consumer", self.partition, err)
            self._stale = True
            return []
        if not msgs:
            await self._check_consumer()
        out: list[tuple[int, bytes]] = []
        for msg in msgs:
            meta = msg.metadata
            if meta.sequence.consumer != self._consumer_seq + 1:  # one went missing in flight
                log.warning("partition %d: delivery gap; recreating the consumer", self.partition)
                self._stale = True
                break
            self._consumer_seq = meta.sequence.consumer
            if meta.sequence.stream >= self.next_seq:
                out.append((meta.sequence.stream, msg.data))
                self.next_seq = meta.sequence.stream + 1
        return out

    async def _ready(self) -> bool:
        """Whether a consumer is in place, (re)creating it when the connection was remade."""
        if not self._client.is_connected:
            return False
        remade = self._client.stats["reconnects"] != self._reconnects
        if self._sub is not None and not self._stale and not remade:
            return True
        try:
            await self._subscribe()
        except (TimeoutError, nats.errors.Error) as err:  # JetStream still recovering
            log.info("partition %d: consumer not recreated yet: %s", self.partition, err)
            return False
        log.info("partition %d: consumer recreated at sequence %d", self.partition, self.next_seq)
        return True

    async def _check_consumer(self) -> None:
        """An empty fetch also hides a consumer the server dropped (idle too long): look."""
        if self._sub is None or not self._client.is_connected:
            return
        try:
            await self._sub.consumer_info()
        except nats.js.errors.NotFoundError:
            log.warning("partition %d: consumer gone; recreating it", self.partition)
            self._stale = True
        except (TimeoutError, nats.errors.Error):
            pass  # the server is busy or going away: the next fetch will tell

    async def last_seq(self) -> int:
        """The stream's last sequence (all partitions): lag is last_seq() - next_seq + 1 at most."""
        try:
            info = await self._js.stream_info(self.config.stream)
        except (TimeoutError, nats.errors.Error) as err:
            raise _down(self.config, f"stream info failed ({err})") from err
        return info.state.last_seq

    async def close(self) -> None:
        await self._drop_consumer()
        await self._client.close()
