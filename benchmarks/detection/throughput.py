"""Throughput of online detection on one core: `Analyzer` events/s over ~3 KB events.

    .venv/bin/python benchmarks/detection/throughput.py            # 60,000 events
    .venv/bin/python benchmarks/detection/throughput.py --smoke    # 3,000 events, seconds
    .venv/bin/python benchmarks/detection/throughput.py --profile  # and where the time goes

Events are generated deterministically (a fixed seed, throughput_events.py) into a
temporary JSONL: ~200 accounts of mixed kinds (chat apps with system prompts and
follow-ups, tool users, single-shot harvesters asking for long answers), answers of ~2 KB,
~3 KB a line. Three kinds of pass over the file, each timed in CPU seconds
(`time.process_time`) with the process pinned to one core, the best of --repeat kept:

- parse: read + JSON + `parse_event` (`EventReader`);
- features: `extract` alone, timed per chunk of already-parsed events;
- full: read + parse + `Analyzer.process` (features, detectors, scoring, linking), then
  `results()` timed apart.

Time not in parse or features is the analyzer's own (detectors, scoring, linking). The
full run writes RESULTS-throughput.md beside this file; --smoke writes nothing unless
--results says where.

Start-up: the wall time of `distillguard analyze --help` and of `distillguard analyze` over
the first events of the file, each a fresh process (the console script beside this
interpreter), the best and the median of --repeat runs. Target: under a second.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from distillguard.detect.engine import Analyzer
from distillguard.detect.features import extract
from distillguard.events import Event, EventReader

HERE = Path(__file__).resolve().parent
TARGET = 15_000  # events/s on one core, full analyzer (issue 11, "Speed stays")
STARTUP_TARGET = 1.0  # seconds for `distillguard analyze` to start (issue 11)
TINY = 50  # events of the start-up run over a file
CHUNK = 1_000  # events parsed ahead of a timed features chunk


@dataclass
class Pass:
    events: int
    parse_s: float
    features_s: float
    full_s: float
    results_s: float


def time_parse(path: Path) -> tuple[int, float]:
    start = time.process_time()
    n = sum(1 for _ in EventReader(path))
    return n, time.process_time() - start


def time_features(path: Path) -> float:
    """CPU seconds in `extract` alone: events are parsed a chunk ahead, off the clock."""
    spent = 0.0
    chunk: list[Event] = []
    for event in EventReader(path):
        chunk.append(event)
        if len(chunk) == CHUNK:
            spent += _extract_all(chunk)
            chunk = []
    return spent + _extract_all(chunk)


def _extract_all(events: list[Event]) -> float:
    start = time.process_time()
    for event in events:
        extract(event)
    return time.process_time() - start


def time_full(path: Path) -> tuple[int, float, float]:
    analyzer = Analyzer()
    start = time.process_time()
    for event in EventReader(path):
        analyzer.process(event)
    full = time.process_time() - start
    start = time.process_time()
    analyzer.results()
    return analyzer.events, full, time.process_time() - start


def measure(path: Path, repeat: int) -> Pass:
    """Best of `repeat` for each part: other work on a shared machine only slows a pass.
    The parts take turns, so a busy spell does not fall on one part alone."""
    parse, features, full = [], [], []
    for _ in range(repeat):
        parse.append(time_parse(path))
        features.append(time_features(path))
        full.append(time_full(path))
    best = min(full, key=lambda r: r[1])
    return Pass(parse[0][0], min(t for _, t in parse), min(features), best[1], best[2])


def profile(path: Path, top: int) -> list[str]:
    """cProfile of one full pass: the functions with the most own time, and time per file."""
    prof = cProfile.Profile()
    prof.enable()
    time_full(path)
    prof.disable()
    rows = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(own for _cc, _nc, own, _cum, _callers in rows.values())
    out = ["| own time | function | calls | cumulative |", "|---|---|---|---|"]
    ranked = sorted(rows.items(), key=lambda kv: -kv[1][2])[:top]
    for (file, line, fn), (_cc, calls, own, cum, _callers) in ranked:
        out.append(
            f"| {own / total:.1%} | `{_short(file)}:{line} {fn}` | {calls:,} | {cum / total:.1%} |"
        )
    by_file: dict[str, float] = defaultdict(float)
    for key, (_cc, _nc, own, _cum, _callers) in rows.items():
        owners = _owners(rows, key, frozenset()) or {_short(key[0]): 1.0}
        for file, share in owners.items():
            by_file[file] += own * share
    out += ["", "| time | file (builtins and libraries charged to their caller) |", "|---|---|"]
    for file, own in sorted(by_file.items(), key=lambda kv: -kv[1])[:top]:
        out.append(f"| {own / total:.1%} | `{file}` |")
    return out


def _owners(rows: dict[Any, Any], key: Any, stack: frozenset[Any]) -> dict[str, float]:
    """Which distillguard files a profiled function's time belongs to: its own file, or for
    a builtin or library function its callers', split by the time spent under each. Empty
    when every caller is already on the way here (recursion, as in deepcopy)."""
    file = key[0]
    if "/distillguard/" in file:
        return {_short(file): 1.0}
    shares: dict[str, float] = defaultdict(float)
    spent = 0.0
    for caller, (_cc, _nc, _own, cum) in rows[key][4].items():
        if caller in stack or caller == key:
            continue
        owners = _owners(rows, caller, stack | {key})
        if owners:
            spent += cum
            for owner, share in owners.items():
                shares[owner] += share * cum
    return {owner: t / spent for owner, t in shares.items()} if spent else {}


def _short(file: str) -> str:
    """A profiled file as a readable path: within distillguard, or a library's module."""
    for mark in ("/distillguard/", "/site-packages/", "/lib/python"):
        if mark in file:
            return file.split(mark, 1)[1]
    return file


def startup(path: Path, repeat: int) -> list[tuple[str, float, float]]:
    """(command, best, median) wall seconds of fresh `distillguard analyze` processes."""
    script = Path(sys.executable).parent / "distillguard"
    shim = "from distillguard.cli.main import app; app(prog_name='distillguard')"
    cli = [str(script)] if script.exists() else [sys.executable, "-c", shim]
    tiny = path.with_name("tiny.jsonl")
    with path.open("rb") as src:
        tiny.write_bytes(b"".join(src.readline() for _ in range(TINY)))
    runs = {
        "distillguard analyze --help": [*cli, "analyze", "--help"],
        "distillguard analyze tiny.jsonl --out DIR": [
            *cli,
            "analyze",
            str(tiny),
            "--out",
            str(path.with_name("tiny-out")),
        ],
    }
    out = []
    for label, argv in runs.items():
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run(argv, capture_output=True, check=True)
            times.append(time.perf_counter() - start)
        out.append((label, min(times), statistics.median(times)))
    return out


def machine() -> list[str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "src"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return [
        f"- machine: {cpu}, {os.cpu_count()} cores (benchmark pinned to one), "
        f"`{' '.join(platform.uname())}`",
        f"- Python {platform.python_version()}, orjson {orjson.__version__}",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; commit {commit}"
        + (" with uncommitted changes under src/" if dirty else ""),
        "- load average before the run: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
    ]


def render_startup(rows: list[tuple[str, float, float]], repeat: int) -> list[str]:
    slowest = max(best for _, best, _ in rows)
    verdict = "met" if slowest < STARTUP_TARGET else "NOT met"
    out = ["## Start-up", "", f"Wall seconds of a fresh process, best and median of {repeat};"]
    out += [f"tiny.jsonl holds the first {TINY} events of the file above."]
    out += ["", "| command | best s | median s |", "|---|---|---|"]
    out += [f"| `{label}` | {best:.2f} | {median:.2f} |" for label, best, median in rows]
    out += ["", f"Target under {STARTUP_TARGET:.0f} s for `analyze` to start: {verdict}.", ""]
    return out


def render(
    command: str,
    path: Path,
    p: Pass,
    shape: dict[str, float],
    prof: list[str],
    start: Sequence[str] = (),
) -> str:
    n = p.events
    rest = p.full_s - p.parse_s - p.features_s
    rate = n / p.full_s
    verdict = "met" if rate >= TARGET else "NOT met"
    out = ["# Detection throughput (one core)", "", *machine(), "", "## Command", ""]
    out += [f"    {command}", "", "## Events", ""]
    out += [
        f"{n:,} events from {shape['accounts']:.0f} accounts over {shape['hours']:.0f} h of "
        f"stream time: {path.stat().st_size / n:,.0f} bytes a line on average, answers "
        f"{shape['answer_chars']:,.0f} characters, last user message "
        f"{shape['user_chars']:,.0f}; {shape['multi_turn']:.0%} continue a conversation, "
        f"{shape['tools']:.0%} carry tools.",
        "",
        "## Throughput",
        "",
        "CPU seconds (`time.process_time`), best of the passes.",
        "",
        "| part | CPU s | µs/event | events/s | share of full |",
        "|---|---|---|---|---|",
    ]
    parts = [
        ("read + parse (`EventReader`)", p.parse_s),
        ("features (`extract`) alone", p.features_s),
        ("detectors, scoring, linking (the rest)", rest),
        ("**full: read + parse + `Analyzer.process`**", p.full_s),
    ]
    for label, secs in parts:
        out.append(
            f"| {label} | {secs:.2f} | {secs / n * 1e6:.1f} | {n / secs:,.0f} | "
            f"{secs / p.full_s:.0%} |"
        )
    out += [
        f"| `results()` once at the end | {p.results_s:.2f} | | | |",
        "",
        f"Target {TARGET:,} events/s for the full analyzer on one core: {verdict} "
        f"({rate:,.0f}). Peak RSS {shape['peak_rss_mb']:.0f} MB.",
        "",
    ]
    out += start
    if prof:
        out += ["## Where the time goes (cProfile of one full pass)", "", *prof, ""]
    return "\n".join(out)


def shape_of(path: Path) -> dict[str, float]:
    n = answer = user = multi = tools = 0
    accounts = set()
    first = last = 0.0
    for e in EventReader(path):
        n += 1
        accounts.add(e.account)
        answer += sum(len(c.content) for c in e.response.choices) if e.response else 0
        user += len(e.request.last_user)
        multi += e.request.turns > 1
        tools += bool(e.request.tools)
        first, last = (e.ts if n == 1 else first), e.ts
    return {
        "accounts": len(accounts),
        "hours": (last - first) / 3600,
        "answer_chars": answer / n,
        "user_chars": user / n,
        "multi_turn": multi / n,
        "tools": tools / n,
    }


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--events", type=int, default=60_000)
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--hours", type=float, default=24.0, help="stream time the events span")
    # Other work on a shared machine inflates CPU time too (caches, steal): the best of
    # several passes is the figure that other work has disturbed least.
    ap.add_argument("--repeat", type=int, default=5, help="passes per part; the best counts")
    ap.add_argument("--smoke", action="store_true", help="3,000 events, one pass")
    ap.add_argument("--profile", action="store_true", help="add a cProfile of one full pass")
    ap.add_argument("--top", type=int, default=25, help="rows of the profile tables")
    ap.add_argument("--results", type=Path, help="Markdown results (default: beside this file)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.events, args.repeat = 3_000, 1
    results = args.results or (None if args.smoke else HERE / "RESULTS-throughput.md")
    sys.path.insert(0, str(HERE.parents[1]))  # the repository root, as run.py does
    from benchmarks.detection.throughput_events import generate

    cores = os.sched_getaffinity(0)
    with tempfile.TemporaryDirectory(prefix="dg-throughput-") as tmp:
        path = Path(tmp) / "events.jsonl"
        generate(path, args.events, args.accounts, args.hours)
        shape = shape_of(path)
        os.sched_setaffinity(0, {min(cores)})  # one core, so the figure is per core
        try:
            p = measure(path, args.repeat)
            prof = profile(path, args.top) if args.profile else []
        finally:
            os.sched_setaffinity(0, cores)
        shape["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        args_text = sys.argv[1:] if argv is None else argv
        command = " ".join([".venv/bin/python", "benchmarks/detection/throughput.py", *args_text])
        start = render_startup(startup(path, args.repeat), args.repeat)
        text = render(command, path, p, shape, prof, start)
    if results:
        results.write_text(text)
    return text


if __name__ == "__main__":
    print(main())
