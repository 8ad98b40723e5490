"""Serve the gateway with uvicorn (uvloop, httptools): in the foreground, or in a thread.

`serve(settings)` is what `distillguard serve` runs. `BackgroundServer` runs an app (the
gateway, or any ASGI app) the same way on a loopback port the system picks, in a thread of
this process (tests, the demo):

    with BackgroundServer(build_app(settings)) as server:
        client = openai.OpenAI(base_url=server.url + "/v1", api_key=secret)
"""

from __future__ import annotations

import gc
import logging
import socket
import threading
from pathlib import Path
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

from distillguard.errors import ConfigError
from distillguard.gateway.app import build_app
from distillguard.gateway.logs import configure_logging
from distillguard.pipeline.supervisor import WorkerProcess
from distillguard.settings import Settings

log = logging.getLogger("distillguard.gateway")


def _config(app: ASGIApp) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        # The gateway reads X-Forwarded-For itself, from `server.trusted_proxies` only.
        proxy_headers=False,
        log_config=None,
        timeout_graceful_shutdown=10,
    )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(settings: Settings, config: Path | None = None) -> None:
    """Run the gateway until interrupted; logs one JSON line `listening` with its URL.
    With `[pipeline] detection = "worker"` (and `start_worker`), a detection worker runs
    beside it, reading the same `config`, until the gateway stops."""
    configure_logging(settings.logging)
    pipeline = settings.pipeline
    worker = None
    if pipeline.detection == "worker" and pipeline.start_worker:
        if pipeline.transport != "journal":
            raise ConfigError(
                "pipeline.start_worker",
                True,
                "starts one worker on the gateway's journal; with transport = 'nats' run "
                "`distillguard worker --partition P` for each partition and set it to false",
            )
        # Started and stopped by the app's lifespan: stopped after the gateway drained, so
        # the worker reads the journal to its end before the gateway's process ends.
        worker = WorkerProcess(config)
    sock = _bind(settings.server.host, settings.server.port)
    host, port = sock.getsockname()[:2]
    server = uvicorn.Server(_config(build_app(settings, worker=worker)))
    # The analyzer keeps many small long-lived objects; full collections over them pause
    # every request. Collect young objects rarely and leave what exists at start alone.
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)
    log.info("listening", extra={"url": f"http://{host}:{port}"})
    server.run(sockets=[sock])


class BackgroundServer:
    """An ASGI app on `host` and a free port, served from a thread until `stop`."""

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1") -> None:
        self._sock = _bind(host, 0)
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self.app = app
        self.server = uvicorn.Server(_config(app))
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def start(self, timeout_s: float = 10.0) -> BackgroundServer:
        self._thread.start()
        step = 0.01
        waited = 0.0
        while not self.server.started:
            if not self._thread.is_alive() or waited > timeout_s:
                raise RuntimeError(f"gateway on {self.url} did not start in {timeout_s:g}s")
            self._thread.join(step)
            waited += step
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(15)
        self._sock.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
