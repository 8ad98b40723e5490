"""A worker's source over one partition of the JetStream stream (the `Source` of worker.py)."""

from __future__ import annotations

from distillguard.pipeline.jetstream import PartitionReader, StreamConfig
from distillguard.settings_pipeline import PipelineSettings

_SHORTEST_WAIT_S = 0.2


def stream_config(pipeline: PipelineSettings) -> StreamConfig:
    return StreamConfig(
        url=pipeline.nats_url,
        stream=pipeline.stream,
        subject_prefix=pipeline.subject_prefix,
        partitions=pipeline.partitions,
    )


class StreamSource:
    def __init__(self, reader: PartitionReader) -> None:
        self._reader = reader

    @classmethod
    async def open(cls, pipeline: PipelineSettings, partition: int, start: int) -> StreamSource:
        return cls(await PartitionReader.open(stream_config(pipeline), partition, start))

    async def fetch(self, start: int, limit: int, timeout: float) -> list[tuple[int, bytes]]:
        # The reader keeps its own place; the follower only ever asks for what comes next.
        assert start <= self._reader.next_seq, (start, self._reader.next_seq)
        # A pull needs a positive wait; "nothing now" (draining at stop) is a short one.
        return await self._reader.fetch(limit, max(timeout, _SHORTEST_WAIT_S))

    async def close(self) -> None:
        await self._reader.close()
