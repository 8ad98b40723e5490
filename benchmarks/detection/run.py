"""Detection benchmark: scenario families, leave-one-family-out, worst family first.

    .venv/bin/python benchmarks/detection/run.py            # calibration + 2 test seeds
    .venv/bin/python benchmarks/detection/run.py --smoke    # tiny, for CI
    .venv/bin/python benchmarks/detection/run.py --with-mmd # + the MMD baseline (extra mmd)

Why this shape: a simulator written beside the detector measures how well the detector
knows its simulator. Here the traffic comes from `distillguard.sim.families`, whose
personas are drawn at random, whose surface cues are switched on and off independently
of the label, and where every attack has a benign twin. The test scenarios draw their
prompts from data sets the calibration scenario never uses (`prompt_split`).

Steps
1. Calibration scenario (seed 100, "tune" prompt sources). For each family F, each
   detector's flag threshold is the benign accounts' final-score quantile for the target
   FPR over every family except F (attack labels unused).
2. Test scenarios (seeds 1, 2; "test" prompt sources): every detector over the whole mix
   (population ranking needs the whole population), then per family F: AUROC of F's
   accounts, TPR and benign FPR at F's leave-one-out threshold, campaigns' member recall.
3. Headline: the mean over families and the worst family, per detector.

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
from collections import defaultdict
from datetime import UTC, datetime
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from distillguard.detect.baselines import BASELINES
from distillguard.detect.calibrate import threshold_for
from distillguard.detect.engine import Analyzer, AnalyzerConfig
from distillguard.evaluation import read_labels
from distillguard.evaluation.metrics import roc_auc
from distillguard.events import EventReader
from distillguard.sim.families import FamiliesConfig, simulate_families

HERE = Path(__file__).resolve().parent
DETECTORS = ("full", "meanrank", "rate", "prada")
TARGET_FPR = 0.01


def config_for(name: str) -> AnalyzerConfig:
    return AnalyzerConfig() if name == "full" else BASELINES[name]


def data_dir() -> Path | None:
    for candidate in (Path("../shared/data"), HERE.parents[2] / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return None


def make_scenario(work: Path, name: str, seed: int, split: str, args: argparse.Namespace) -> Path:
    out = work / name
    if not (out / "labels.jsonl").is_file():
        cfg = FamiliesConfig(
            seed=seed,
            accounts=args.accounts,
            days=args.days,
            volume=args.volume,
            data_dir=data_dir(),
            prompt_split=split,
        )
        simulate_families(cfg, out)
    return out


def analyze_one(job: tuple[Path, str]) -> dict[str, Any]:
    """One detector over one scenario (a worker process): final scores, flags, timing."""
    folder, detector = job
    analyzer = Analyzer(config_for(detector))
    start = time.process_time()
    for event in EventReader(folder / "events.jsonl"):
        analyzer.process(event)
    cpu = time.process_time() - start
    accounts, _ = analyzer.results()
    return {
        "folder": str(folder),
        "detector": detector,
        "events": analyzer.events,
        "cpu_s": round(cpu, 2),
        "events_per_s": round(analyzer.events / cpu) if cpu else 0,
        "scores": {a.account: a.score for a in accounts},
        "flagged": {a.account: a.flagged for a in accounts},
        "reasons": {a.account: list(a.reasons[:3]) for a in accounts},
    }


def family_thresholds(run: dict[str, Any], labels: dict[str, Any]) -> dict[str, float]:
    """Per left-out family: the threshold from the benign accounts of every other family."""
    families = sorted({lab.family for lab in labels.values() if lab.family})
    out = {}
    for left_out in [*families, "*none*"]:
        benign = [
            s
            for a, s in run["scores"].items()
            if a in labels and not labels[a].extraction and labels[a].family != left_out
        ]
        out[left_out] = threshold_for(benign, TARGET_FPR, margin=0.02).threshold
    return out


def family_metrics(
    run: dict[str, Any], labels: dict[str, Any], thresholds: dict[str, float]
) -> dict[str, dict[str, Any]]:
    by_family: dict[str, list[str]] = defaultdict(list)
    for a, lab in labels.items():
        if lab.family and a in run["scores"]:
            by_family[lab.family].append(a)
    out = {}
    for family, members in sorted(by_family.items()):
        t = thresholds.get(family, thresholds["*none*"])
        attacks = [a for a in members if labels[a].extraction]
        benign = [a for a in members if not labels[a].extraction]
        scores = run["scores"]
        y = [labels[a].extraction for a in members]
        s = [scores[a] for a in members]
        auroc = roc_auc(y, s) if attacks and benign else float("nan")
        campaigns: dict[str, list[str]] = defaultdict(list)
        for a in attacks:
            if labels[a].campaign:
                campaigns[labels[a].campaign].append(a)
        out[family] = {
            "accounts": len(members),
            "extraction": len(attacks),
            "auroc": auroc,
            "threshold": t,
            "tpr": sum(scores[a] >= t for a in attacks) / len(attacks) if attacks else None,
            "fpr": sum(scores[a] >= t for a in benign) / len(benign) if benign else None,
            "benign_flagged": sum(scores[a] >= t for a in benign),
            "campaign_recall": {
                c: sum(scores[a] >= t for a in m) / len(m) for c, m in sorted(campaigns.items())
            },
        }
    return out


def overall(run: dict[str, Any], labels: dict[str, Any], threshold: float) -> dict[str, Any]:
    accounts = [a for a in run["scores"] if a in labels]
    y = [labels[a].extraction for a in accounts]
    s = [run["scores"][a] for a in accounts]
    attacks = [a for a in accounts if labels[a].extraction]
    benign = [a for a in accounts if not labels[a].extraction]
    return {
        "auroc": roc_auc(y, s),
        "tpr": sum(run["scores"][a] >= threshold for a in attacks) / len(attacks),
        "fpr": sum(run["scores"][a] >= threshold for a in benign) / len(benign),
        "flagged_tpr": sum(run["flagged"][a] for a in attacks) / len(attacks),
        "flagged_fpr": sum(run["flagged"][a] for a in benign) / len(benign),
    }


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
        ).stdout.strip()
        + _dirty(),
    }


def _dirty() -> str:
    """Said beside the commit when the figures come from a work tree that differs from it."""
    status = subprocess.run(
        ["git", "status", "--porcelain"], capture_output=True, text=True, check=False
    ).stdout
    return " (uncommitted changes)" if status.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--accounts", type=float, default=1.0)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--volume", type=float, default=1.0)
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--detectors", nargs="+", default=list(DETECTORS))
    parser.add_argument("--smoke", action="store_true", help="tiny run for CI")
    parser.add_argument("--dry", action="store_true", help="print, do not write RESULTS.md")
    # The MMD two-sample baseline (benchmarks/detection/mmd/) embeds prompts with a sentence
    # encoder (torch, the `mmd` extra), so it runs only when asked.
    parser.add_argument("--with-mmd", action="store_true", help="add the MMD baseline")
    parser.add_argument("--mmd-reference", choices=["pool", "benign", "both"], default="pool")
    args = parser.parse_args()
    if args.smoke:
        args.seeds, args.accounts, args.days, args.volume = [1], 0.5, 1, 0.1
        args.work = args.work / "smoke"
    args.work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    scenarios = {"calibration": (100, "tune")} | {f"test{s}": (s, "test") for s in args.seeds}
    folders = {n: make_scenario(args.work, n, s, sp, args) for n, (s, sp) in scenarios.items()}
    jobs = [(f, d) for f in folders.values() for d in args.detectors]
    with Pool(args.workers) as pool:
        runs = pool.map(analyze_one, jobs)
    mmd_summary = None
    if args.with_mmd:  # --- MMD baseline hook ---
        from benchmarks.detection.mmd.run import REFERENCES, mmd_runs

        refs = ["pool", "benign"] if args.mmd_reference == "both" else [args.mmd_reference]
        mmd, mmd_summary = mmd_runs(folders, args.work, refs)
        runs += mmd
        args.detectors = [*args.detectors, *(REFERENCES[r] for r in refs)]
    report = build_report(runs, folders, args)
    if mmd_summary is not None:
        report["mmd"] = mmd_summary
    report["wall_s"] = round(time.time() - started, 1)
    name = "smoke" if args.smoke else "results"
    (args.work / f"{name}.json").write_text(json.dumps(report, indent=2))
    from benchmarks.detection.report import render

    text = render(report)
    if not args.smoke and not args.dry:
        (HERE / "results.json").write_text(json.dumps(report, indent=2))
        (HERE / "RESULTS.md").write_text(text)
    print(text)


def build_report(
    runs: list[dict[str, Any]], folders: dict[str, Path], args: argparse.Namespace
) -> dict[str, Any]:
    by = {(Path(r["folder"]).name, r["detector"]): r for r in runs}
    cal_labels = read_labels(folders["calibration"] / "labels.jsonl")
    results: dict[str, Any] = {}
    for detector in args.detectors:
        thresholds = family_thresholds(by[("calibration", detector)], cal_labels)
        per_test = {}
        for name in folders:
            if name == "calibration":
                continue
            labels = read_labels(folders[name] / "labels.jsonl")
            run = by[(name, detector)]
            per_test[name] = {
                "events": run["events"],
                "events_per_s": run["events_per_s"],
                "overall": overall(run, labels, thresholds["*none*"]),
                "families": family_metrics(run, labels, thresholds),
                "missed": _missed(run, labels, thresholds),
                "benign_flagged": _benign_flagged(run, labels, thresholds),
            }
        results[detector] = {"thresholds": thresholds, "tests": per_test}
    return {
        "machine": machine(),
        "command": "python " + " ".join(sys.argv),
        "target_fpr": TARGET_FPR,
        "results": results,
    }


def _missed(run: dict[str, Any], labels: dict[str, Any], t: dict[str, float]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for a, lab in labels.items():
        if lab.extraction and run["scores"].get(a, 0.0) < t.get(lab.family, t["*none*"]):
            counts[lab.kind or "?"] += 1
    return dict(sorted(counts.items()))


def _benign_flagged(run: dict[str, Any], labels: dict[str, Any], t: dict[str, float]) -> list[Any]:
    out = []
    for a, lab in sorted(labels.items()):
        if not lab.extraction and run["scores"].get(a, 0.0) >= t.get(lab.family, t["*none*"]):
            out.append([a, lab.kind, round(run["scores"][a], 3), run["reasons"].get(a, [])])
    return out


def headline(results: dict[str, Any]) -> dict[str, Any]:
    """Mean over families and the worst family, over all test seeds."""
    aurocs: dict[str, list[float]] = defaultdict(list)
    for test in results["tests"].values():
        for family, m in test["families"].items():
            if m["auroc"] == m["auroc"]:
                aurocs[family].append(m["auroc"])
    means = {f: statistics.mean(v) for f, v in aurocs.items()}
    worst = min(means, key=means.__getitem__) if means else None
    return {
        "mean_auroc": statistics.mean(means.values()) if means else None,
        "worst_family": worst,
        "worst_auroc": means[worst] if worst else None,
        "by_family": means,
    }


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1]))
    main()
