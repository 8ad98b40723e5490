"""Detection split across partitions, with and without the cross-partition linker.

    python benchmarks/linking/run.py --data ../shared/data [--partitions 2 4] [--smoke]

A scaled deployment gives each detection worker the accounts of one partition
(`partition_of`, as the stream does). Each worker then ranks its accounts against its own
partition's peers only, and links campaigns among them only: the members of a hydra that
hash to different partitions are never linked. `PartitionLinker` (`detect/partitions.py`)
reads every partition's account states, builds the population and links campaigns over all
of them, and each worker adopts its view (`Analyzer.adopt`).

This runs the three set-ups in one process on the same traces (the two detector-blind
generators', each in its base and twins variant), in stream time:
- `single`: one `Analyzer` over every event, as `distillguard analyze`;
- `split P`: P analyzers, each fed its partition's events, no linker;
- `linked P`: the same, and every `--poll-s` seconds of stream time the linker takes the
  states that changed (`take_changes`, as workers save them) and, when due, links and
  hands its view to every analyzer. The linker sees the states as of that moment: every
  partition has reached the same stream time (the real linker waits for that too).

Scored as `benchmarks/independent/run.py` scores `distillguard analyze` (its `score_run`):
AUROC, flagged TPR and benign FPR, the share of each campaign's members flagged, and how many
accounts differ in their flag from `single`. Also: the linker's time per linking, and the
size of its view and of its state per account (what linking, which does not partition, holds).
Writes RESULTS.md and results.json beside this file (--smoke: work/smoke/).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _independent_run() -> Any:
    """benchmarks/independent/run.py, whose scoring this shares (a module named `run` too)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "independent_run", ROOT / "benchmarks" / "independent" / "run.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


score_run = _independent_run().score_run

from distillguard.detect.engine import Analyzer  # noqa: E402
from distillguard.detect.partitions import PartitionLinker  # noqa: E402
from distillguard.events import read_events  # noqa: E402
from distillguard.pipeline.jetstream import partition_of  # noqa: E402
from distillguard.store.detector_state import encode  # noqa: E402

GENERATORS = {
    "independent": ROOT / "benchmarks" / "independent",
    "blind2": ROOT / "benchmarks" / "blind2",
}


def single(events: list) -> dict[str, tuple[float, bool, str | None]]:
    an = Analyzer()
    for ev in events:
        an.process(ev)
    return _rows([an])


def split(events: list, partitions: int, linked: bool, poll_s: float) -> tuple[dict, dict]:
    analyzers = [Analyzer() for _ in range(partitions)]
    linker = PartitionLinker() if linked else None
    stats: dict[str, Any] = {"links": 0, "link_s": [], "view_bytes": 0, "update_s": 0.0}
    next_poll = None
    for ev in events:
        if linker is not None:
            if next_poll is None:
                next_poll = ev.ts + poll_s
            if ev.ts >= next_poll:
                next_poll = ev.ts + poll_s
                _poll(linker, analyzers, ev.ts, stats)
        analyzers[partition_of(ev.account, partitions)].process(ev)
    if linker is not None:
        stats["accounts"] = linker.accounts
    return _rows(analyzers), stats


def _poll(linker: PartitionLinker, analyzers: list[Analyzer], now: float, stats: dict) -> None:
    # Taking the states only when due: `take_changes` serialises the shared state too, which a
    # worker's save does once a second of wall time, not once a minute of stream time.
    if not linker.due(now, sum(an.rankable for an in analyzers)):
        return
    t0 = time.perf_counter()
    for an in analyzers:
        linker.update(an.take_changes())
    stats["update_s"] += time.perf_counter() - t0
    t0 = time.perf_counter()
    view = linker.link(now)
    stats["link_s"].append(time.perf_counter() - t0)
    stats["links"] += 1
    stats["view_bytes"] = max(stats["view_bytes"], len(encode(view.to_state())))
    for an in analyzers:
        an.adopt(view)


def _rows(analyzers: list[Analyzer]) -> dict[str, tuple[float, bool, str | None]]:
    rows = {}
    for an in analyzers:
        for r in an.results()[0]:
            rows[r.account] = (r.score, r.flagged, r.campaign)
    return rows


def _score(labels: list[dict], rows: dict, work: Path, name: str) -> dict:
    out = work / name
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "accounts.jsonl", "w", encoding="utf-8") as f:
        for acc, (score, flagged, _) in rows.items():
            f.write(json.dumps({"account": acc, "score": score, "flagged": flagged}) + "\n")
    s = score_run(labels, out)
    return {
        k: s[k]
        for k in (
            "auroc",
            "tpr_flagged",
            "fpr_flagged",
            "tpr_at_fpr_1pct",
            "campaign_share_flagged",
            "benign_flagged",
        )
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--partitions", type=int, nargs="+", default=[2, 4])
    ap.add_argument("--poll-s", type=float, default=60.0)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--from-json", type=Path, default=None, help="only write RESULTS.md from it")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    out = args.out or (ROOT / "work" / "smoke" if args.smoke else HERE)
    out.mkdir(parents=True, exist_ok=True)
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        (out / "RESULTS.md").write_text(report(saved), encoding="utf-8")
        return
    started = time.monotonic()
    work = args.work or Path(tempfile.mkdtemp(prefix="linking-"))
    results = [_trace(t, args, work) for t in (TRACES[:1] if args.smoke else TRACES)]
    saved = {"meta": _meta(args, time.monotonic() - started), "traces": results}
    (out / "results.json").write_text(json.dumps(saved, indent=1, default=float))
    (out / "RESULTS.md").write_text(report(saved), encoding="utf-8")
    print(report(saved))


TRACES = [
    ("independent", 101, "base"),
    ("independent", 202, "twins"),
    ("blind2", 303, "base"),
    ("blind2", 404, "twins"),
]


def _meta(args: argparse.Namespace, wall_s: float) -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, Linux {platform.release()}",
        "commit": commit,
        "command": "python benchmarks/linking/run.py " + " ".join(sys.argv[1:]),
        "poll_s": args.poll_s,
        "wall_s": round(wall_s),
    }


def _trace(spec: tuple[str, int, str], args: argparse.Namespace, work: Path) -> dict[str, Any]:
    gen, seed, variant = spec
    d = work / f"{gen}-{seed}"
    cmd = [sys.executable, str(GENERATORS[gen] / "generate.py"), "--out", str(d)]
    cmd += ["--seed", str(seed), "--variant", variant]
    if args.smoke:
        cmd += ["--accounts", "80", "--days", "1"]
    if args.data:
        cmd += ["--data", str(args.data)]
    subprocess.run(cmd, check=True, capture_output=True)
    labels = [json.loads(x) for x in (d / "labels.jsonl").read_text().splitlines() if x.strip()]
    events = sorted(read_events(d / "events.jsonl"), key=lambda e: e.ts)
    t0 = time.perf_counter()
    base = single(events)
    res: dict[str, Any] = {
        "trace": f"{gen} {seed} {variant}",
        "events": len(events),
        "accounts": len(labels),
        "runs": {},
    }
    res["runs"]["single"] = {
        **_score(labels, base, d, "single"),
        "seconds": time.perf_counter() - t0,
    }
    for p in args.partitions:
        for linked in (False, True):
            name = f"{'linked' if linked else 'split'} {p}"
            t0 = time.perf_counter()
            rows, stats = split(events, p, linked, args.poll_s)
            run = {
                **_score(labels, rows, d, name.replace(" ", "_")),
                "seconds": time.perf_counter() - t0,
            }
            run["flags_differ_from_single"] = sum(rows[a][1] != base[a][1] for a in base)
            if linked:
                ls = stats["link_s"]
                run["linker"] = {
                    "links": stats["links"],
                    "link_ms_mean": 1000 * sum(ls) / max(1, len(ls)),
                    "link_ms_max": 1000 * max(ls, default=0),
                    "view_bytes_max": stats["view_bytes"],
                    "update_s": stats["update_s"],
                    "accounts": stats.get("accounts", 0),
                }
            res["runs"][name] = run
            print(res["trace"], name, run["auroc"], run["flags_differ_from_single"], flush=True)
    return res


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def report(saved: dict[str, Any]) -> str:
    m, traces = saved["meta"], saved["traces"]
    wall = f"{m['wall_s']} s" if isinstance(m["wall_s"], int | float) else m["wall_s"]
    lines = [
        "# Detection split across partitions, with and without the cross-partition linker",
        "",
        f"- machine: {m['machine']}",
        f"- date: {m['date']}; code: `src/` of commit {m['commit']}; wall time {wall}",
        f"- command: `{m['command']}`",
        f"- the linker polls every {m['poll_s']:g} s of stream time and links when a single "
        "analyzer would refresh (a link period, 3,600 s, or the rankable accounts doubled)",
        "- traces: the two detector-blind generators' (`benchmarks/independent`, "
        "`benchmarks/blind2`), base and twins variants; the detector was tuned after reading "
        "them (see their RESULTS.md), so the absolute figures are not held-back evidence: "
        "what this measures is the difference partitioning makes, and what the linker gives back",
        "",
        "| trace | set-up | AUROC | flagged TPR | benign FPR | campaigns: members flagged "
        "| accounts whose flag differs from `single` |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in traces:
        for name, r in t["runs"].items():
            camps = ", ".join(f"{c} {_pct(v)}" for c, v in r["campaign_share_flagged"].items())
            differ = r.get("flags_differ_from_single", 0) if name != "single" else "-"
            lines.append(
                f"| {t['trace']} | {name} | {r['auroc']:.3f} | {_pct(r['tpr_flagged'])} "
                f"| {_pct(r['fpr_flagged'])} | {camps} | {differ} |"
            )
    lines += [
        "",
        "## The linker's cost",
        "",
        "| trace | set-up | accounts | linkings | ms per linking, mean / max | view, bytes "
        "(zlib JSON) | taking the states, s in all |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in traces:
        for name, r in t["runs"].items():
            if "linker" in r:
                k = r["linker"]
                lines.append(
                    f"| {t['trace']} | {name} | {k['accounts']} | {k['links']} "
                    f"| {k['link_ms_mean']:.1f} / {k['link_ms_max']:.1f} "
                    f"| {k['view_bytes_max']:,} | {k['update_s']:.1f} |"
                )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
