"""The worker `distillguard serve` starts beside itself, restarted when it dies.

The worker reads the same settings (the same `--config` file and environment). It is told
to stop by the end of its stdin, a pipe from the gateway: closed by `stop`, or by the system
when the gateway dies, however it died; and whether the worker was still starting or not,
it then takes in what the journal holds, saves and exits. One that does not exit within
`stop_timeout_s` is killed (its last checkpoint stands: nothing is lost, it only has more to
read at the next start).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

log = logging.getLogger("distillguard.pipeline.supervisor")

_BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0)
STDIN_STOPS = "DISTILLGUARD_WORKER_STDIN_STOPS"  # set: the end of stdin stops the worker


class WorkerProcess:
    def __init__(self, config: Path | None, *, stop_timeout_s: float = 60.0) -> None:
        self.command = [sys.executable, "-m", "distillguard", "worker"]
        if config is not None:
            self.command += ["--config", str(config)]
        self.stop_timeout_s = stop_timeout_s
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name="dg-worker", daemon=True)

    def start(self) -> WorkerProcess:
        self._spawn()
        self._thread.start()
        return self

    def _spawn(self) -> None:
        # Its logs go where the gateway's go (stderr), one JSON line each. A session of its
        # own: a Ctrl-C at the terminal stops the gateway, which stops the worker after it
        # drained.
        env = {**os.environ, STDIN_STOPS: "1"}
        self.proc = subprocess.Popen(
            self.command, env=env, stdin=subprocess.PIPE, start_new_session=True
        )
        log.info("worker started", extra={"pid": self.proc.pid})

    def _supervise(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            assert self.proc is not None
            code = self.proc.wait()
            if self._stopping.is_set():
                return
            wait = _BACKOFF_S[min(failures, len(_BACKOFF_S) - 1)]
            log.error("worker exited (code %s); restarting in %.1f s", code, wait)
            failures += 1
            if self._stopping.wait(wait):
                return
            self.restarts += 1
            self._spawn()

    def stop(self) -> None:
        self._stopping.set()
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=self.stop_timeout_s)
        except subprocess.TimeoutExpired:
            log.error("worker did not stop within %.0f s; killed", self.stop_timeout_s)
            proc.kill()
            proc.wait()
