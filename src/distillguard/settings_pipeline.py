"""`[events]` and `[pipeline]`: where events go, where detection runs, what carries them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class EventSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dir: Path = Path("distillguard-events")
    rotate_bytes: Annotated[int, Field(ge=4096)] = 256 << 20
    # The journal each event is appended to before its response completes (default: the
    # folder `journal` inside `dir`). "fsync": fsynced per group of requests (a few ms), so
    # it survives a power cut; "write": handed to the operating system only, so it survives
    # the gateway's crash but not the machine's.
    journal_dir: Path | None = None
    sync: Literal["fsync", "write"] = "fsync"
    # Where the fsync runs: "thread", a thread of its own (the loop goes on meanwhile; each
    # group's waiters wait for that thread to win the GIL back); "loop", on the event loop,
    # once per turn for every request that finished in it (as Redis does with appendfsync
    # always): less CPU per request, but a slow fsync stalls every request, so its p99 is
    # worse (benchmarks/gateway/RESULTS-commit.md).
    commit: Literal["loop", "thread"] = "thread"
    # No longer used: events wait in the journal on disk, not in a queue. Accepted so that
    # older settings files still load.
    queue_size: Annotated[int, Field(ge=1)] = 50_000
    detection: bool = True
    # Events are written in arrival order; one that finishes later than this after a younger
    # one was written gets its ts raised to keep the file ordered (and is counted).
    reorder_window_s: Annotated[float, Field(ge=0)] = 2.0
    # Replays only: take an event's ts from the request's X-Distillguard-Event-Time header
    # (Unix seconds), and hold events `reorder_window_s` of that clock, not of the wall clock.
    trust_event_time: bool = False
    # The detector state is saved to the store this often (and at shutdown), so a restarted
    # gateway goes on where it stopped; 0 saves only at shutdown.
    save_state_s: Annotated[float, Field(ge=0)] = 60.0


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
    # Workers adopt the campaigns and population that `distillguard linker` finds over every
    # partition (`pipeline/linker.py`); without it each links its own partition's accounts.
    linker: bool = False
    # How often a worker looks for a new linked view, and the linker for saved states.
    linker_poll_s: Annotated[float, Field(gt=0)] = 1.0
    # How often a gateway reads the decisions the workers published (one indexed query).
    decisions_poll_s: Annotated[float, Field(gt=0)] = 1.0
    # The most the journal may hold waiting for the stream; past it, requests get 503.
    spool_max_bytes: Annotated[int, Field(ge=1 << 20)] = 1 << 30
