"""Child processes of the gateway benchmark: started pinned to a core, always stopped.

`Procs` is a context manager: every process started through it runs in a session of its own
and is stopped (SIGTERM to its process group, then SIGKILL) when the block ends, whether the
benchmark finished, failed or was interrupted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent


def cores() -> tuple[set[int], set[int]]:
    """(gateway core, the others): core 0 for the system under test, the rest for load."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return set(available), set(available)
    return {available[0]}, set(available[1:])


def free_port() -> int:
    """A port the system picks (for servers, like LiteLLM's, that cannot be told port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(url: str, timeout: float = 2.0, headers: dict[str, str] | None = None) -> bytes:
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        body: bytes = r.read()
        return body


class Procs:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._previous: Any = None

    def __enter__(self) -> Procs:
        # A SIGTERM to the benchmark unwinds like Ctrl-C, so the children are stopped too.
        self._previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for name, _ in list(reversed(self.running)):
            self.stop(name)
        signal.signal(signal.SIGTERM, self._previous)

    def start(
        self,
        name: str,
        argv: Sequence[str],
        cpus: set[int],
        env: dict[str, str | None] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start `argv` on `cpus` (`env` adds variables; None unsets one); output to NAME.log."""
        child_env = dict(os.environ)
        for key, value in (env or {}).items():
            if value is None:
                child_env.pop(key, None)
            else:
                child_env[key] = value
        log = open(self.work / f"{name}.log", "wb")  # noqa: SIM115 - the child owns it
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=child_env,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_pin(cpus),  # what `taskset -c` does, before the child's first line
        )
        log.close()
        self.running.append((name, proc))
        return proc

    def stop(self, name: str, timeout: float = 20.0) -> int | None:
        """SIGTERM (a graceful shutdown), then SIGKILL after `timeout`; the exit code."""
        found = [p for n, p in self.running if n == name]
        if not found:
            return None
        proc = found[0]
        self.running = [(n, p) for n, p in self.running if n != name]
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        # Whatever it left behind in its group (workers of a multi-process server).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        return proc.returncode

    def log(self, name: str) -> str:
        path = self.work / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_until(self, name: str, ready: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll `ready` until it holds; fail with the end of the child's log if it never does."""
        proc = dict(self.running)[name]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{name} exited ({proc.returncode}) before {what}:\n" + self.log(name)[-3000:]
                )
            with contextlib.suppress(Exception):
                if ready():
                    return
            time.sleep(0.05)
        raise RuntimeError(f"{name} not {what} within {timeout:g}s:\n" + self.log(name)[-3000:])


def _pin(cpus: set[int]) -> Callable[[], None]:
    def pin() -> None:
        os.sched_setaffinity(0, cpus)

    return pin


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_json(argv: Sequence[str], cpus: set[int], timeout: float) -> dict[str, Any]:
    """Run a pinned child to completion and parse the JSON object it prints last."""
    done = subprocess.run(
        list(argv),
        capture_output=True,
        timeout=timeout,
        preexec_fn=_pin(cpus),
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{argv[1]} failed ({done.returncode}):\n{done.stderr.decode()[-3000:]}")
    result: dict[str, Any] = orjson.loads(done.stdout.splitlines()[-1])
    return result


def python() -> str:
    return sys.executable
