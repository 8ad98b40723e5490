"""JetStream: events stored before publish returns, read back per partition exactly once and in
order, duplicates dropped by msg id, and a reader and publisher that outlive a server restart."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import nats
import nats.js.errors
import orjson
import pytest

from distillguard.pipeline.jetstream import (
    EventPublisher,
    PartitionReader,
    StreamConfig,
    StreamError,
    StreamUnavailable,
    partition_of,
)


async def _delete_stream(config: StreamConfig) -> None:
    client = await nats.connect(config.url, allow_reconnect=False, connect_timeout=2)
    try:
        await client.jetstream().delete_stream(config.stream)
    except nats.js.errors.NotFoundError:
        pass
    finally:
        await client.close()


@pytest.fixture
def config(nats_url: str) -> Iterator[StreamConfig]:
    # A stream and subjects of this test alone: runs sharing the server never meet.
    tag = secrets.token_hex(4)
    config = StreamConfig(
        url=nats_url, stream=f"DG_TEST_{tag}", subject_prefix=f"dgtest.{tag}", partitions=3
    )
    yield config
    asyncio.run(_delete_stream(config))


def _event(i: int, account: str) -> bytes:
    return orjson.dumps({"i": i, "account": account, "pad": "x" * 200})


async def _read(
    reader: PartitionReader, count: int, deadline_s: float = 10.0
) -> list[tuple[int, bytes]]:
    """Fetch until `count` arrived, then once more to show nothing else follows."""
    got: list[tuple[int, bytes]] = []
    end = time.monotonic() + deadline_s
    while len(got) < count and time.monotonic() < end:
        got += await reader.fetch(limit=50, timeout=0.5)
    got += await reader.fetch(limit=50, timeout=0.3)
    return got


def test_every_event_is_read_once_in_order_on_its_accounts_partition(
    config: StreamConfig,
) -> None:
    accounts = [f"acct_{n:03d}" for n in range(12)]

    async def go() -> None:
        publisher = await EventPublisher.connect(config)
        published: dict[int, list[int]] = {p: [] for p in range(config.partitions)}
        try:
            for i in range(90):
                account = accounts[i % len(accounts)]
                seq = await publisher.publish(_event(i, account), account, msg_id=f"ev-{i}")
                published[partition_of(account, config.partitions)].append(seq)
        finally:
            await publisher.close()
        assert sorted(s for seqs in published.values() for s in seqs) == list(range(1, 91))
        assert all(published.values())  # 12 accounts cover all 3 partitions
        for p, seqs in published.items():
            reader = await PartitionReader.open(config, p, start_seq=1)
            try:
                got = await _read(reader, len(seqs))
                assert await reader.last_seq() == 90
            finally:
                await reader.close()
            assert [s for s, _ in got] == seqs  # each once, in stream order
            for _, data in got:
                assert partition_of(orjson.loads(data)["account"], config.partitions) == p

    asyncio.run(go())


def test_republishing_a_msg_id_stores_one_copy(config: StreamConfig) -> None:
    async def go() -> None:
        publisher = await EventPublisher.connect(config)
        try:
            first = await publisher.publish(_event(1, "a"), "a", msg_id="same")
            again = await publisher.publish(_event(1, "a"), "a", msg_id="same")
            other = await publisher.publish(_event(2, "a"), "a", msg_id="other")
        finally:
            await publisher.close()
        assert again == first  # the server answers with the stored copy's sequence
        assert other == first + 1
        reader = await PartitionReader.open(config, partition_of("a", config.partitions), 1)
        try:
            assert [s for s, _ in await _read(reader, 2)] == [first, other]
        finally:
            await reader.close()

    asyncio.run(go())


def test_a_reader_opened_mid_stream_gets_only_its_later_events(config: StreamConfig) -> None:
    async def go() -> None:
        publisher = await EventPublisher.connect(config)
        seqs: list[tuple[int, str]] = []
        try:
            for i in range(30):
                account = f"acct_{i % 5}"
                seqs.append(
                    (await publisher.publish(_event(i, account), account, f"m{i}"), account)
                )
        finally:
            await publisher.close()
        p = partition_of("acct_0", config.partitions)
        mine = [s for s, a in seqs if partition_of(a, config.partitions) == p]
        start = mine[len(mine) // 2] - 1  # may be another partition's: the reader skips it
        reader = await PartitionReader.open(config, p, start_seq=start)
        try:
            got = await _read(reader, len([s for s in mine if s >= start]))
        finally:
            await reader.close()
        assert [s for s, _ in got] == [s for s in mine if s >= start]

    asyncio.run(go())


def test_a_reader_recreates_a_consumer_the_server_dropped(config: StreamConfig) -> None:
    async def go() -> None:
        publisher = await EventPublisher.connect(config)
        reader = await PartitionReader.open(config, partition_of("a", config.partitions), 1)
        admin = await nats.connect(config.url, allow_reconnect=False)
        try:
            for i in range(3):
                await publisher.publish(_event(i, "a"), "a", msg_id=f"d{i}")
            assert [s for s, _ in await _read(reader, 3)] == [1, 2, 3]
            js = admin.jetstream()
            for consumer in await js.consumers_info(config.stream):  # as idle expiry would
                await js.delete_consumer(config.stream, consumer.name)
            for i in range(3, 6):
                await publisher.publish(_event(i, "a"), "a", msg_id=f"d{i}")
            assert [s for s, _ in await _read(reader, 3)] == [4, 5, 6]
        finally:
            await admin.close()
            await reader.close()
            await publisher.close()

    asyncio.run(go())


def test_partition_of_is_stable_across_runs_and_spreads_accounts() -> None:
    # Computed once and fixed: a change here moves every account to another partition.
    assert partition_of("acct_7f3a", 16) == 8
    assert partition_of("acct_7f3a", 7) == 4
    assert partition_of("acct_0001", 16) == 10
    assert partition_of("anything", 1) == 0
    counts = Counter(partition_of(f"acct_{n}", 8) for n in range(16_000))
    assert sorted(counts) == list(range(8))
    assert max(counts.values()) < 2_000 * 1.1 and min(counts.values()) > 2_000 * 0.9
    with pytest.raises(ValueError, match="at least 1"):
        partition_of("a", 0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connecting_without_a_server_fails_fast() -> None:
    config = StreamConfig(url=f"nats://127.0.0.1:{_free_port()}", connect_timeout_s=2.0)

    async def go() -> None:
        for connect in (EventPublisher.connect(config), PartitionReader.open(config, 0, 1)):
            began = time.monotonic()
            with pytest.raises(StreamUnavailable, match=r"unavailable.*nats-server runs"):
                await connect
            assert time.monotonic() - began < 5

    asyncio.run(go())


def test_a_stream_that_is_not_ours_is_refused(config: StreamConfig) -> None:
    async def go() -> None:
        publisher = await EventPublisher.connect(config)  # creates it with 3 partitions
        await publisher.close()
        with pytest.raises(StreamError, match=r"has 3 partitions.*configured with 2"):
            await EventPublisher.connect(replace(config, partitions=2))
        other = replace(config, subject_prefix="dgtest.elsewhere")
        with pytest.raises(StreamError, match="exists with subjects"):
            await PartitionReader.open(other, 0, 1)

    asyncio.run(go())


def test_bad_settings_are_refused_with_the_fix() -> None:
    with pytest.raises(StreamError, match="letters, digits"):
        StreamConfig(stream="DG.EVENTS")
    with pytest.raises(StreamError, match="wildcards"):
        StreamConfig(subject_prefix="dg.*")
    with pytest.raises(StreamError, match="positive"):
        StreamConfig(publish_timeout_s=0)


# -- a private nats-server, restarted under a live publisher and reader


class _Server:
    def __init__(self, binary: str, port: int, store: Path, log: Path) -> None:
        self.args = [binary, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(store)]
        self.port, self.log = port, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT)
        end = time.monotonic() + 10
        while time.monotonic() < end:  # it restores streams before it listens: then it is ready
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nats-server did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()  # a crash, not a clean shutdown: acknowledged events must survive
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def private_server(tmp_path: Path) -> Iterator[_Server]:
    binary = shutil.which("nats-server")
    if binary is None:
        pytest.skip("no nats-server binary on PATH: the restart test runs its own server")
    server = _Server(binary, _free_port(), tmp_path / "store", tmp_path / "server.log")
    server.start()
    yield server
    server.kill()


async def _publish_until_stored(publisher: EventPublisher, i: int) -> int:
    """What a gateway does: retry with the same msg_id until the stream has the event."""
    end = time.monotonic() + 20
    while True:
        try:
            return await publisher.publish(_event(i, "a"), "a", msg_id=f"e{i}")
        except StreamUnavailable:
            if time.monotonic() > end:
                raise
            await asyncio.sleep(0.2)


@pytest.mark.slow
def test_a_reader_and_publisher_survive_a_server_restart(private_server: _Server) -> None:
    config = StreamConfig(url=f"nats://127.0.0.1:{private_server.port}", partitions=1)

    async def go() -> None:
        publisher = await EventPublisher.connect(config)
        reader = await PartitionReader.open(config, 0, start_seq=1)
        try:
            for i in range(10):
                await publisher.publish(_event(i, "a"), "a", msg_id=f"e{i}")
            assert [s for s, _ in await reader.fetch(limit=5, timeout=2)] == [1, 2, 3, 4, 5]
            private_server.kill()
            with pytest.raises(StreamUnavailable):  # not stored, or not known to be
                await publisher.publish(_event(10, "a"), "a", msg_id="e10")
            assert await reader.fetch(limit=5, timeout=0.5) == []
            private_server.start()
            assert await _publish_until_stored(publisher, 10) == 11  # once, sent or resent
            assert await _publish_until_stored(publisher, 9) == 10  # dedup survived the restart
            for i in range(11, 20):
                await _publish_until_stored(publisher, i)
            got = await _read(reader, 15, deadline_s=20)
        finally:
            await reader.close()
            await publisher.close()
        assert [s for s, _ in got] == list(range(6, 21))
        assert [orjson.loads(d)["i"] for _, d in got] == list(range(5, 20))

    asyncio.run(go())
