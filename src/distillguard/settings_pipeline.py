"""`[pipeline]`: where detection runs and what carries the events to it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class PipelineSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # "worker": detection in `distillguard worker` processes, reading the events the gateway
    # made durable; the gateway follows the decisions they publish. "inline": a thread of the
    # gateway itself (one process; detection shares its CPU and GIL).
    detection: Literal["worker", "inline"] = "worker"
    # `distillguard serve` starts one worker beside itself (restarted if it dies). Off when
    # workers are run apart, one per partition, as a scaled deployment does.
    start_worker: bool = True
    # "journal": the gateway's own journal (one machine). "nats": NATS JetStream, partitioned
    # by account, so replicas publish and workers consume; the journal then holds only what
    # the stream did not take (it was down), until it is forwarded.
    transport: Literal["journal", "nats"] = "journal"
    nats_url: str = "nats://127.0.0.1:4222"
    stream: str = "DG_EVENTS"
    subject_prefix: str = "dg.events"
    partitions: Annotated[int, Field(ge=1, le=1024)] = 2
    # How often a gateway reads the decisions the workers published (one indexed query).
    decisions_poll_s: Annotated[float, Field(gt=0)] = 1.0
    # The most the journal may hold waiting for the stream; past it, requests get 503.
    spool_max_bytes: Annotated[int, Field(ge=1 << 20)] = 1 << 30
