"""Detection benchmark: simulate, calibrate on benign traffic, analyze, evaluate, compare.

    .venv/bin/python benchmarks/detection/run.py            # full: 3 seeds + holdout
    .venv/bin/python benchmarks/detection/run.py --smoke    # tiny, for CI

Steps
1. Calibration scenario (seed 100, never evaluated): each detector's flag threshold is
   the benign accounts' peak-score quantile for the target FPR. Attack labels unused.
2. Standard scenario for each seed (200 accounts, 2 days, >= 300k events) and the
   holdout scenario (a variant kept out of all tuning): run the full detector and the
   two baselines (request rate; PRADA) with those thresholds, then `evaluate`.
3. Throughput of the full analyzer (parse + features + detectors + linking, one core)
   and per-account state size after the largest run.

Writes `RESULTS.md` and `results.json` beside this file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from distillguard.cli.detect_cmd import write_results
from distillguard.detect.baselines import BASELINES
from distillguard.detect.calibrate import threshold_for
from distillguard.detect.engine import Analyzer, AnalyzerConfig
from distillguard.evaluation import evaluate, read_labels, read_scores
from distillguard.events import EventReader
from distillguard.sim import ScenarioConfig, simulate

HERE = Path(__file__).resolve().parent
DETECTORS = ("full", "rate", "prada")
TARGET_FPR = 0.005


def config_for(name: str) -> AnalyzerConfig:
    return AnalyzerConfig() if name == "full" else BASELINES[name]


def data_dir() -> Path | None:
    for candidate in (Path("../shared/data"), HERE.parents[2] / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return None


def make_scenario(
    work: Path, name: str, seed: int, scenario: str, args: argparse.Namespace
) -> Path:
    out = work / name
    if not (out / "labels.jsonl").is_file():
        cfg = ScenarioConfig(
            accounts=args.accounts,
            days=args.days,
            seed=seed,
            data_dir=data_dir(),
            scenario=scenario,
            volume=args.volume,
        )
        simulate(cfg, out)
    return out


def analyze_one(job: tuple[Path, str, float | None]) -> dict[str, Any]:
    """Run one detector over one scenario (a worker process); return timings and peaks."""
    folder, detector, threshold = job
    config = config_for(detector)
    if threshold is not None:
        config = replace(config, threshold=threshold)
    analyzer = Analyzer(config)
    start = time.process_time()
    for event in EventReader(folder / "events.jsonl"):
        analyzer.process(event)
    cpu = time.process_time() - start
    accounts, campaigns = analyzer.results()
    out = folder / f"out_{detector}"
    write_results(out, accounts, campaigns)
    sizes = (
        [t.profile.state_bytes() for t in analyzer.tracks.values()] if detector == "full" else []
    )
    heavy = max(analyzer.tracks.values(), key=lambda t: t.profile.n)
    return {
        "folder": str(folder),
        "detector": detector,
        "events": analyzer.events,
        "cpu_s": cpu,
        "events_per_s": analyzer.events / cpu if cpu else 0.0,
        "peaks": {a: t.max_score for a, t in analyzer.tracks.items()},
        "state_bytes_mean": statistics.mean(sizes) if sizes else None,
        "state_bytes_max": max(sizes) if sizes else None,
        "heaviest_account_events": heavy.profile.n,
        "heaviest_account_state_bytes": heavy.profile.state_bytes() if sizes else None,
    }


def calibrate(work: Path, args: argparse.Namespace, pool: Any) -> dict[str, dict[str, Any]]:
    folder = make_scenario(work, "calibration", 100, "standard", args)
    labels = read_labels(folder / "labels.jsonl")
    runs = pool.map(analyze_one, [(folder, d, None) for d in DETECTORS])
    out = {}
    for run in runs:
        benign = [s for a, s in run["peaks"].items() if not labels[a].extraction]
        cal = threshold_for(benign, TARGET_FPR)
        out[run["detector"]] = {
            "threshold": cal.threshold,
            "benign_accounts": cal.benign_accounts,
            "events": run["events"],
            "events_per_s": run["events_per_s"],
            "state_bytes_mean": run["state_bytes_mean"],
            "state_bytes_max": run["state_bytes_max"],
            "heaviest_account_events": run["heaviest_account_events"],
            "heaviest_account_state_bytes": run["heaviest_account_state_bytes"],
        }
    return out


def summarise(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "uname": " ".join(platform.uname()),
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "python": sys.version.split()[0],
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--holdout-seed", type=int, default=4)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--volume", type=float, default=1.0)
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="tiny run for CI")
    args = parser.parse_args()
    if args.smoke:
        args.seeds, args.accounts, args.days, args.volume = [1], 40, 1, 0.05
        args.work = args.work / "smoke"
    args.work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    with Pool(args.workers) as pool:
        thresholds = calibrate(args.work, args, pool)
        scenarios = [(f"seed{s}", s, "standard") for s in args.seeds]
        scenarios.append((f"holdout{args.holdout_seed}", args.holdout_seed, "holdout"))
        folders = {n: make_scenario(args.work, n, s, sc, args) for n, s, sc in scenarios}
        jobs = [(f, d, thresholds[d]["threshold"]) for f in folders.values() for d in DETECTORS]
        runs = pool.map(analyze_one, jobs)
    results = []
    for run in runs:
        folder = Path(run.pop("folder"))
        run.pop("peaks")
        ev = evaluate(
            read_scores(folder / f"out_{run['detector']}"), read_labels(folder / "labels.jsonl")
        )
        results.append({"scenario": folder.name, **run, "evaluation": asdict(ev)})
    report = {
        "machine": machine(),
        "command": "python " + " ".join(sys.argv),
        "wall_s": round(time.time() - started, 1),
        "target_fpr": TARGET_FPR,
        "thresholds": thresholds,
        "runs": results,
    }
    name = "smoke" if args.smoke else "results"
    (args.work / f"{name}.json").write_text(json.dumps(report, indent=2))
    if not args.smoke:
        (HERE / "results.json").write_text(json.dumps(report, indent=2))
        (HERE / "RESULTS.md").write_text(render(report, args.seeds))
    print(render(report, args.seeds))


def _agg(runs: list[dict[str, Any]], get: Any) -> str:
    values = [float(get(r)) for r in runs if get(r) is not None]
    return summarise(values) if values else "-"


def render(report: dict[str, Any], seeds: list[int]) -> str:
    runs = report["runs"]
    m = report["machine"]
    lines = [
        "# Detection benchmark",
        "",
        f"- machine: {m['cpu']}, {m['nproc']} cores, Python {m['python']}; `{m['uname']}`",
        f"- date: {m['date']}; commit {m['commit']}; wall time {report['wall_s']} s",
        f"- command: `{report['command']}`",
        f"- thresholds from the benign accounts of a calibration scenario (seed 100, never "
        f"evaluated) at target FPR {report['target_fpr']:.1%}: "
        + ", ".join(f"{d} {t['threshold']:.3f}" for d, t in report["thresholds"].items()),
        "- standard scenario seeds " + ", ".join(map(str, seeds)) + " (mean ± sd); the holdout "
        "scenario was kept out of all tuning.",
        "",
        "| detector | scenario | events | AUROC | TPR@0.1% | TPR@0.5% | TPR@1% | precision | "
        "recall | benign flagged | median req. before flag | events/s (1 core) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for detector in DETECTORS:
        for label, group in (
            (
                "standard",
                [r for r in runs if r["detector"] == detector and "seed" in r["scenario"]],
            ),
            (
                "holdout",
                [r for r in runs if r["detector"] == detector and "holdout" in r["scenario"]],
            ),
        ):
            if not group:
                continue
            e = [r["evaluation"] for r in group]
            lines.append(
                f"| {detector} | {label} | {_agg(group, lambda r: r['events'])} "
                f"| {_agg(e, lambda x: x['auroc'])} "
                f"| {_agg(e, lambda x: x['tpr_at_fpr']['0.100%'])} "
                f"| {_agg(e, lambda x: x['tpr_at_fpr']['0.500%'])} "
                f"| {_agg(e, lambda x: x['tpr_at_fpr']['1.000%'])} "
                f"| {_agg(e, lambda x: x['precision'])} | {_agg(e, lambda x: x['recall'])} "
                f"| {_agg(e, lambda x: x['benign_flagged'])} "
                f"| {_agg(e, lambda x: x['median_requests_before_flag'])} "
                f"| {_agg(group, lambda r: r['events_per_s'])} |"
            )
    full = [r for r in runs if r["detector"] == "full"]
    kinds = sorted({k for r in full for k in r["evaluation"]["recall_by_kind"]})
    lines += ["", "## Full detector: recall per strategy (requests served before first flag)", ""]
    lines += ["| strategy | " + " | ".join(r["scenario"] for r in full) + " |"]
    lines += ["|---|" + "---|" * len(full)]
    for k in kinds:
        cells = []
        for r in full:
            ev = r["evaluation"]
            rec = ev["recall_by_kind"].get(k)
            wait = ev["median_requests_before_flag_by_kind"].get(k)
            cells.append(
                "-" if rec is None else f"{rec:.2f}" + ("" if wait is None else f" (@{wait:.0f})")
            )
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    benign = sorted({k for r in full for k in r["evaluation"]["benign_flagged_by_kind"]})
    lines += ["", "## Full detector: benign accounts flagged, per persona", ""]
    lines += ["| persona | " + " | ".join(r["scenario"] for r in full) + " |"]
    lines += ["|---|" + "---|" * len(full)]
    for k in benign:
        cells = [str(r["evaluation"]["benign_flagged_by_kind"].get(k, "-")) for r in full]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    lines += ["", "## Full detector: campaigns (share of member accounts flagged)", ""]
    for r in full:
        camp = r["evaluation"]["campaign_flagged"]
        lines.append(f"- {r['scenario']}: " + ", ".join(f"{c} {v:.0%}" for c, v in camp.items()))
    lines += ["", "## State per account (full detector)", ""]
    cal = report["thresholds"]["full"]
    lines.append(
        f"- calibration run, {cal['events']:,} events: mean {cal['state_bytes_mean']:,.0f} B, "
        f"max {cal['state_bytes_max']:,.0f} B per account; heaviest account "
        f"{cal['heaviest_account_events']:,} events -> {cal['heaviest_account_state_bytes']:,} B "
        f"({cal['events_per_s']:,.0f} events/s)"
    )
    for r in full:
        lines.append(
            f"- {r['scenario']}: mean {r['state_bytes_mean']:,.0f} B, max "
            f"{r['state_bytes_max']:,.0f} B; heaviest account {r['heaviest_account_events']:,} "
            f"events -> {r['heaviest_account_state_bytes']:,} B"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
