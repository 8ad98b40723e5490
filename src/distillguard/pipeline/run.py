"""Running a worker as a process: signals, logging, and the checks of its settings."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading

from distillguard.errors import ConfigError
from distillguard.gateway.logs import configure_logging
from distillguard.pipeline.supervisor import STDIN_STOPS
from distillguard.pipeline.worker import WorkerReport, run_worker
from distillguard.settings import Settings

log = logging.getLogger("distillguard.pipeline.worker")


def check_partition(settings: Settings, partition: int | None) -> None:
    pipeline = settings.pipeline
    if pipeline.transport == "journal" and partition is not None:
        raise ConfigError(
            "pipeline.transport",
            "journal",
            f"--partition {partition} is for transport = 'nats'; the journal has one worker",
        )
    last = pipeline.partitions - 1
    if pipeline.transport == "nats" and (partition is None or partition > last):
        raise ConfigError(
            "pipeline.partitions",
            pipeline.partitions,
            f"transport = 'nats' needs --partition 0..{last}, got {partition}",
        )


def run_until_signalled(settings: Settings, partition: int | None) -> WorkerReport:
    check_partition(settings, partition)
    configure_logging(settings.logging)

    async def main() -> WorkerReport:
        stop, loop = _stop_on_signals()
        if os.environ.get(STDIN_STOPS):
            threading.Thread(target=_stop_at_eof, args=(loop, stop), daemon=True).start()
        log.info("worker starting", extra={"partition": partition})
        report = await run_worker(settings, partition=partition, stop=stop)
        log.info(
            "worker stopped",
            extra={"partition": partition, "offset": report.next_offset, "events": report.events},
        )
        return report

    return asyncio.run(main())


def link_until_signalled(settings: Settings) -> int:
    """`distillguard linker`: link over every partition until SIGTERM or Ctrl-C."""
    from distillguard.pipeline.linker import run_linker

    if settings.pipeline.transport != "nats":
        raise ConfigError(
            "pipeline.transport",
            settings.pipeline.transport,
            "the linker links the partitions of transport = 'nats'; one journal has one worker",
        )
    configure_logging(settings.logging)

    async def main() -> int:
        stop, _ = _stop_on_signals()
        log.info("linker starting", extra={"partitions": settings.pipeline.partitions})
        views = await run_linker(settings, stop=stop, poll_s=settings.pipeline.linker_poll_s)
        log.info("linker stopped", extra={"views": views})
        return views

    return asyncio.run(main())


def _stop_on_signals() -> tuple[asyncio.Event, asyncio.AbstractEventLoop]:
    """An event set by SIGTERM or SIGINT (Ctrl-C), and the running loop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop, loop


def _stop_at_eof(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """The gateway that started this worker closed its end of stdin (it stopped, or died)."""
    sys.stdin.buffer.read()
    log.info("told to stop by the gateway")
    loop.call_soon_threadsafe(stop.set)
