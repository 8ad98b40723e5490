"""Benchmark `EventReader`: events per second on one core, and memory that stays flat.

    .venv/bin/python benchmarks/reader/bench_reader.py            # ~1 GB JSONL + ~100 MB .gz
    .venv/bin/python benchmarks/reader/bench_reader.py --smoke    # a few MB, for CI

The event files are generated once, deterministically, and cached under
benchmarks/reader/work/ (git-ignored); a later run reuses them. The full run writes
benchmarks/reader/RESULTS.md; `--smoke` writes work/RESULTS.smoke.md so CI never
overwrites the committed figures.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from distillguard.events import EventReader, format_ts

HERE = Path(__file__).resolve().parent
SEED = 20261126
CHECKPOINTS = (0.10, 0.50, 1.00)

_VOCABULARY = """
the model answer explain step by step why how what proof theorem lemma function code
python rust sort list array graph tree node edge cost loss gradient token sequence
attention layer weight bias matrix vector tensor batch epoch learning rate optimizer
chemistry protein molecule reaction energy orbital bond acid base solution equation
history empire war treaty king revolution economy market price demand supply trade write
story poem character plot scene dialogue chapter summary translate french german
therefore because however consider suppose assume given then thus hence finally first
second third example case result value number integer prime divisor sum product limit
"""
_WORDS = _VOCABULARY.split()
_SYSTEMS = [
    "You are a helpful assistant.",
    "You are an expert mathematician. Show every step of your reasoning.",
    "You are a senior software engineer. Answer with working code and a short explanation.",
    "You are a careful tutor. Think aloud, then give the final answer on its own line.",
    "Respond in JSON with keys 'reasoning' and 'answer'.",
]
_AGENTS = ["OpenAI/Python 1.54.3", "OpenAI/NodeJS 4.71.1", "python-httpx/0.27.2", "curl/8.5.0"]
_MODELS = ["m-large", "m-large", "m-small", "m-reasoning"]


def _corpus(rng: random.Random) -> str:
    """A few MB of word salad; prompts are random slices of it, which keeps generation fast."""
    return " ".join(rng.choice(_WORDS) for _ in range(700_000))


def _text(rng: random.Random, corpus: str, mean_chars: float) -> str:
    n = max(8, min(int(rng.lognormvariate(0, 0.9) * mean_chars), 24_000))
    start = rng.randrange(0, len(corpus) - n)
    return corpus[start : start + n]


def _event(rng: random.Random, corpus: str, ts: float) -> dict[str, object]:
    """One event as a gateway would log it: varied accounts, turns, lengths and options."""
    acct = rng.randrange(3000)
    messages: list[dict[str, object]] = [{"role": "system", "content": rng.choice(_SYSTEMS)}]
    for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 4))):
        messages.append({"role": "user", "content": _text(rng, corpus, 200)})
        messages.append({"role": "assistant", "content": _text(rng, corpus, 500)})
    user = _text(rng, corpus, 300)
    if rng.random() < 0.05:
        messages.append({"role": "user", "content": [{"type": "text", "text": user}]})
    else:
        messages.append({"role": "user", "content": user})
    request: dict[str, object] = {
        "model": rng.choice(_MODELS),
        "messages": messages,
        "temperature": rng.choice((0.0, 0.2, 0.7, 1.0)),
        "max_tokens": rng.choice((256, 1024, 4096)),
    }
    if rng.random() < 0.1:
        request["logprobs"] = True
        request["top_logprobs"] = 5
    if rng.random() < 0.05:
        request["response_format"] = {"type": "json_object"}
    event: dict[str, object] = {
        "ts": format_ts(ts),
        "account": f"acct_{acct:05d}",
        "key": f"key_{acct:05d}_{rng.randrange(3)}",
        "ip": f"203.0.{acct % 256}.{rng.randrange(1, 255)}",
        "user_agent": rng.choice(_AGENTS),
        "request": request,
    }
    if rng.random() < 0.02:
        event["status"] = 429
        return event
    answer = _text(rng, corpus, 900)
    event["response"] = {
        "id": f"chatcmpl-{rng.getrandbits(64):016x}",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer},
                "finish_reason": rng.choice(("stop", "stop", "stop", "length")),
            }
        ],
        "usage": {
            "prompt_tokens": sum(len(str(m["content"])) for m in messages) // 4,
            "completion_tokens": len(answer) // 4,
        },
    }
    event["status"] = 200
    event["latency_ms"] = round(rng.uniform(200, 30_000), 1)
    return event


def generate(path: Path, size_mb: int) -> int:
    """Write ~size_mb of events to `path` (atomically, so a killed run leaves no half cache)."""
    rng = random.Random(SEED)
    corpus = _corpus(rng)
    target = size_mb * 1_000_000
    ts = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    tmp = path.with_name(path.name + ".partial")
    written = count = 0
    with open(tmp, "wb", buffering=1 << 20) as fh:
        while written < target:
            ts += rng.expovariate(1 / 0.05)
            line = orjson.dumps(_event(rng, corpus, ts)) + b"\n"
            fh.write(line)
            written += len(line)
            count += 1
    tmp.rename(path)
    return count


def cached_file(work: Path, size_mb: int, gz: bool) -> Path:
    """The cached plain or gzip file of ~size_mb uncompressed, generated if absent."""
    work.mkdir(parents=True, exist_ok=True)
    plain = work / f"events-{size_mb}mb-s{SEED}.jsonl"
    if not plain.exists():
        print(f"generating {plain.name} ...", file=sys.stderr, flush=True)
        generate(plain, size_mb)
    if not gz:
        return plain
    packed = plain.with_name(plain.name + ".gz")
    if not packed.exists():
        print(f"compressing {packed.name} ...", file=sys.stderr, flush=True)
        tmp = packed.with_name(packed.name + ".partial")
        with open(plain, "rb") as src, gzip.open(tmp, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        tmp.rename(packed)
    return packed


def rss_mb() -> float:
    """Resident set size now (Linux /proc), in MB."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux


def count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


@dataclass
class Run:
    label: str
    path: Path
    events: int
    seconds: float
    marks: list[tuple[float, int, float, float]]  # fraction, events, rss MB, peak RSS MB

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def measure(label: str, path: Path, total: int) -> Run:
    """Stream every event of `path`, noting RSS at 10%, 50% and 100% of the events."""
    targets = [max(1, int(total * f)) for f in CHECKPOINTS]
    marks: list[tuple[float, int, float, float]] = []
    reader = EventReader(path)
    start = time.perf_counter()
    n = 0
    it: Iterator[object] = iter(reader)
    for _ in it:
        n += 1
        if n == targets[len(marks)]:
            marks.append((CHECKPOINTS[len(marks)], n, rss_mb(), peak_rss_mb()))
            if len(marks) == len(targets):
                break
    seconds = time.perf_counter() - start
    for _ in it:  # a total that undercounts (it never does) must not hide events
        n += 1
    return Run(label, path, n, seconds, marks)


def best_of(repeat: int, label: str, path: Path, total: int) -> Run:
    return min(
        (measure(label, path, total) for _ in range(max(1, repeat))), key=lambda r: r.seconds
    )


def orjson_ceiling(path: Path) -> float:
    """Lines/s of bare `orjson.loads` over the same file: what the reader cannot beat."""
    start = time.perf_counter()
    n = 0
    with open(path, "rb", buffering=1 << 20) as fh:
        for line in fh:
            orjson.loads(line)
            n += 1
    return n / (time.perf_counter() - start)


def machine() -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True).stdout.strip()
    return [
        f"- `uname -a`: `{uname}`",
        f"- `nproc`: {os.cpu_count()} (benchmark pinned to one core)",
        f"- CPU: {cpu}",
        f"- Python: {platform.python_version()}, orjson {orjson.__version__}",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        "- load average before the run: {:.2f} {:.2f} {:.2f}".format(*LOAD_BEFORE),
    ]


TARGET = 50_000  # events/s on one core
LOAD_BEFORE = os.getloadavg()


def render(command: str, runs: list[Run], ceiling: float) -> str:
    out = ["# EventReader benchmark", "", "## Machine", *machine(), "", "## Command", ""]
    out += [f"    {command}", "", "## Throughput (one core, strict reader, warm page cache)", ""]
    out += ["Best of the repeated passes (other work on a shared machine only slows a pass).", ""]
    out += [
        "| file | on disk | JSONL | events | bytes/event | seconds | events/s | MB/s of JSONL |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        disk = r.path.stat().st_size
        jsonl = disk if r.path.suffix != ".gz" else r.path.with_suffix("").stat().st_size
        out.append(
            f"| {r.label} | {disk / 1e6:,.1f} MB | {jsonl / 1e6:,.1f} MB | {r.events:,} | "
            f"{jsonl / r.events:,.0f} | {r.seconds:.1f} | {r.rate:,.0f} | "
            f"{jsonl / 1e6 / r.seconds:,.0f} |"
        )
    verdicts = ", ".join(f"{r.label} {'met' if r.rate >= TARGET else 'NOT met'}" for r in runs)
    out += [
        "",
        f"Target {TARGET:,} events/s on one core: {verdicts}. Bare `orjson.loads` over the "
        f"plain file runs at {ceiling:,.0f} lines/s, the ceiling for any reader.",
        "",
        "## Memory while streaming",
        "",
        "| file | at | events read | RSS MB | peak RSS MB |",
        "|---|---|---|---|---|",
    ]
    for r in runs:
        for frac, n, rss, peak in r.marks:
            out.append(f"| {r.label} | {frac:.0%} | {n:,} | {rss:.1f} | {peak:.1f} |")
    for r in runs:
        growth = r.marks[-1][2] - r.marks[0][2]
        out.append(f"\n{r.label}: RSS changed by {growth:+.1f} MB from 10% to 100% of the file.")
    out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--size-mb", type=int, default=1024, help="plain JSONL size (default 1024)")
    ap.add_argument("--gz-size-mb", type=int, default=100, help="JSONL size inside the .gz")
    ap.add_argument("--repeat", type=int, default=3, help="passes per file; the best counts")
    ap.add_argument("--smoke", action="store_true", help="tiny files, for CI")
    ap.add_argument("--results", type=Path, help="where to write the Markdown results")
    ap.add_argument("--work", type=Path, default=HERE / "work", help="cache of generated files")
    args = ap.parse_args(argv)
    if args.smoke:
        args.size_mb, args.gz_size_mb, args.repeat = 4, 2, 1
    default = args.work / "RESULTS.smoke.md" if args.smoke else HERE / "RESULTS.md"
    results = args.results or default

    plain = cached_file(args.work, args.size_mb, gz=False)
    packed = cached_file(args.work, args.gz_size_mb, gz=True)
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})  # one core, so the figure is per core
    try:
        # count_lines also reads each file once, so both runs start with a warm page cache.
        runs = [
            best_of(args.repeat, "plain .jsonl", plain, count_lines(plain)),
            best_of(args.repeat, ".jsonl.gz", packed, count_lines(packed.with_suffix(""))),
        ]
        ceiling = max(orjson_ceiling(plain) for _ in range(args.repeat))
    finally:
        os.sched_setaffinity(0, cores)
    args_text = sys.argv[1:] if argv is None else argv
    command = " ".join([".venv/bin/python", "benchmarks/reader/bench_reader.py", *args_text])
    text = render(command, runs, ceiling)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(text)
    return text


if __name__ == "__main__":
    print(main())
