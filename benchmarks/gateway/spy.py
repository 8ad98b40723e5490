"""Where the gateway's time goes: py-spy samples of its running threads, by part of the flow.

`--profile` runs one more saturated phase with `py-spy record --nonblocking` attached to the
gateway. py-spy leaves out threads that wait (on the GIL, a lock, epoll), so on the one core
the gateway is pinned to, the share of samples inside a part approximates its share of the
CPU time; that includes C code that runs without the GIL, such as scrypt in a worker thread.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

# (label, frame names that mark it); a sample counts for the first label one of its frames has.
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("API key checks (scrypt)", ("verify_secret", "SqlStore.authenticate")),
    ("detection (Analyzer.process)", ("Analyzer.process",)),
    ("event log (serialise + write)", ("EventRecorder._record", "EventRecorder._handle")),
    ("access log (JSON line per request)", ("Logger.info", "Logger._log")),
    ("upstream client", ("AiohttpUpstream.", "HttpUpstream.", "AiohttpStream.", "HttpStream.")),
    ("after-response work (usage, event)", ("Proxy._answered", "Proxy._record", "Proxy._charge")),
    ("request flow (auth cache, body, limits)", ("Proxy._complete", "Proxy._handle")),
    ("Starlette + uvicorn", ("Starlette.__call__", "RequestResponseCycle", "HttpToolsProtocol")),
)


def py_spy(work: Path) -> Path:
    """work/tools-venv/bin/py-spy, installed from PyPI on first use."""
    venv = work / "tools-venv"
    exe = venv / "bin" / "py-spy"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "py-spy>=0.3.14"]
        subprocess.run(pip, check=True)
    return exe


def record(exe: Path, pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    argv = [str(exe), "record", "--pid", str(pid), "--nonblocking", "--rate", "200"]
    argv += ["--duration", str(max(1, int(seconds))), "--format", "raw", "--output", str(out)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarise(raw: Path, top: int = 12) -> dict[str, Any]:
    """Shares of samples per part of the flow, and the functions with most own samples."""
    parts: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        count = int(n)
        total += count
        frames = stack.split(";")
        own[frames[-1]] += count
        parts[_part(frames)] += count
    if not total:
        return {"samples": 0, "parts": {}, "own": {}}
    return {
        "samples": total,
        "parts": {k: round(v / total, 3) for k, v in parts.most_common()},
        "own": {k: round(v / total, 3) for k, v in own.most_common(top)},
    }


def _part(frames: list[str]) -> str:
    for label, marks in PARTS:
        if any(f.startswith(marks) for f in frames):
            return label
    return "other (event loop, thread hand-offs)"
