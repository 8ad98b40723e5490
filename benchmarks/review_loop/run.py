"""Review-loop benchmark: how many reviews until the learned threshold meets a benign FPR target.

    # once per scenario (the analysis is the slow part, ~1 min for 200 accounts):
    distillguard simulate --out DIR --accounts 200 --days 1 [--scenario holdout --seed 4]
    distillguard analyze DIR/events.jsonl --out DIR/out
    # then (seconds):
    .venv/bin/python benchmarks/review_loop/run.py --scenario DIR [--scenario DIR2 ...]
    .venv/bin/python benchmarks/review_loop/run.py --smoke     # synthetic rows, for CI

For each scenario, evidence source (`field`: each row's detector outputs as the review model
reads them; `score`: the risk score alone, as rows without the field give), reviewer error
rate and FPR target, `loop.review_loop` runs (repeated over reviewer seeds when the reviewer
errs). Reported against the unreviewed baseline: the detector's own flag, the risk score at
the current threshold, and the best TPR the raw score could reach at the target with every
label known. Writes RESULTS.md and results.json beside this file (with --smoke: in --work).
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
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from loop import first_reach, oracle_tpr, rate, review_loop, split
from synthetic import synthetic_rows

from distillguard.detect.review import RISK, FitConfig
from distillguard.store.review_training import evidence_of, read_results

HERE = Path(__file__).resolve().parent
BASE_THRESHOLD = 0.35  # detect.scoring.DEFAULT_THRESHOLD when these results were taken
TARGETS = (0.01, 0.005)


def load_scenario(folder: Path) -> tuple[dict[str, dict[str, Any]], dict[str, bool]]:
    rows = read_results(folder / "out")
    truth: dict[str, bool] = {}
    for line in (folder / "labels.jsonl").read_bytes().splitlines():
        if line.strip():
            obj = orjson.loads(line)
            truth[obj["account"]] = obj["label"] == "extraction"
    missing = sorted(set(rows) - set(truth))
    if missing:
        raise SystemExit(f"{folder}: {len(missing)} accounts without a label, e.g. {missing[0]}")
    return rows, truth


def evidence_for(rows: dict[str, dict[str, Any]], source: str) -> dict[str, dict[str, float]]:
    if source == "score":
        return {a: {RISK: float(r["score"])} for a, r in rows.items()}
    return {a: evidence_of(r) for a, r in rows.items()}


def baseline(
    rows: dict[str, dict[str, Any]], truth: dict[str, bool], test_share: float
) -> dict[str, Any]:
    benign = [a for a in rows if not truth[a]]
    attack = [a for a in rows if truth[a]]
    at = {a: float(rows[a]["score"]) >= BASE_THRESHOLD for a in rows}
    scores = {a: float(rows[a]["score"]) for a in rows}
    return {
        "accounts": len(rows),
        "benign": len(benign),
        "extraction": len(attack),
        "flag_fpr": rate([bool(rows[a]["flagged"]) for a in benign]),
        "flag_tpr": rate([bool(rows[a]["flagged"]) for a in attack]),
        "score_fpr": rate([at[a] for a in benign]),
        "score_tpr": rate([at[a] for a in attack]),
        "oracle_tpr": {str(t): oracle_tpr(scores, truth, t) for t in TARGETS},
        "test_benign": round(test_share * len(benign)),
    }


READING = [
    "",
    "Reading these numbers:",
    "",
    "- A test set with fewer than 200 benign accounts cannot tell 1% from 0.5%: one false "
    "positive is above both, so both rows mean no benign test account flagged.",
    "- Certifying 1% at 95% confidence needs 299 reviewed benign accounts (0.5%: 598), so "
    "with these pools the rule in force is 'above every dismissed account' (not certified), "
    "or the floor at the current threshold while fewer than 20 are dismissed.",
    "- 'score' is what rows without the evidence field give: the model can then only move a "
    "threshold on the score, and buys FPR with TPR; 'field' lets it re-weight the evidence.",
    "- The first fit waits for 3 dismissed accounts; the top of the queue is mostly "
    "extraction, so until then the current score and threshold stay.",
]


def run_cell(
    name: str,
    evidence: dict[str, dict[str, float]],
    truth: dict[str, bool],
    spec: dict[str, Any],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """One (evidence, reviewer error rate, target, prior strength) cell over `repeats` splits."""
    splits = [split(truth, args.test_share, seed) for seed in range(args.repeats)]
    config = FitConfig(target_fpr=spec["target"], prior_strength=spec["prior_strength"])
    runs = [
        review_loop(
            evidence,
            truth,
            pool,
            base_threshold=BASE_THRESHOLD,
            config=config,
            batch=args.batch,
            error_rate=spec["error_rate"],
            seed=seed,
            second_look=spec["second_look"],
        )
        for seed, (pool, _) in enumerate(splits)
    ]
    return {
        "scenario": name,
        **spec,
        "pool": len(splits[0][0]),
        "test": len(splits[0][1]),
        "reached": [first_reach(r.steps, spec["target"]) for r in runs],
        "steps": [[asdict(s) for s in r.steps] for r in runs],
        "explain": runs[0].final.explain(),
    }


def specs(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The main grid at the default prior strength, then the sensitivity cells."""
    strength = args.prior_strength
    main = [
        {
            "evidence": e,
            "error_rate": r,
            "second_look": look,
            "target": t,
            "prior_strength": strength,
        }
        for e in ("field", "score")
        for r in args.error_rates
        for look in ((False, True) if r > 0 else (False,))  # no errors: nothing to undo
        for t in TARGETS
    ]
    extra = [
        {"evidence": "field", "error_rate": r, "second_look": r > 0, "target": TARGETS[0],
         "prior_strength": p}
        for p in args.sensitivity
        if p != strength
        for r in args.error_rates
    ]  # fmt: skip
    return main + extra


def run_grid(
    name: str, rows: dict[str, dict[str, Any]], truth: dict[str, bool], args: argparse.Namespace
) -> list[dict[str, Any]]:
    sources = {source: evidence_for(rows, source) for source in ("field", "score")}
    return [run_cell(name, sources[sp["evidence"]], truth, sp, args) for sp in specs(args)]


def _errors(cell: dict[str, Any]) -> str:
    return f"{cell['error_rate']:.0%}" + (", 2nd look" if cell["second_look"] else "")


def _median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def _reach_words(cell: dict[str, Any]) -> tuple[str, str, str]:
    hits = [h for h in cell["reached"] if h is not None]
    n = len(cell["reached"])
    if not hits:
        return f"not reached (0 of {n})", "-", "-"
    reviews = sorted(h["reviews"] for h in hits)
    where = f"{_median(reviews):.0f} ({reviews[0]}-{reviews[-1]})"
    if len(hits) < n:
        where += f", {len(hits)} of {n} runs"
    holds = f"{sum(h['holds'] for h in hits)}/{n}"
    return where, f"{_median([h['tpr'] for h in hits]):.1%}", holds


def _at(cell: dict[str, Any], reviews: int) -> str:
    """Median test FPR / TPR after `reviews` reviews (or the pool, if smaller)."""
    picked = [next((s for s in run if s["reviews"] >= reviews), run[-1]) for run in cell["steps"]]
    fpr = _median([s["fpr"] for s in picked])
    tpr = _median([s["tpr"] for s in picked])
    return f"{fpr:.1%} / {tpr:.1%}"


def report(meta: dict[str, Any], bases: dict[str, Any], cells: list[dict[str, Any]]) -> str:
    lines = [
        "# Review-loop benchmark",
        "",
        f"- machine: {meta['machine']}",
        f"- date: {meta['date']}; commit {meta['commit']}; wall time {meta['wall_s']:.1f} s",
        f"- command: `{meta['command']}`",
        *([f"- scenarios: {meta['note']}"] if meta["note"] else []),
        f"- each run: a random {meta['test_share']:.0%} of each class is the test set; the "
        f"reviewer works the rest (the pool), {meta['batch']} accounts a batch from the top "
        f"of the current model's queue; refit after each batch; prior threshold "
        f"{BASE_THRESHOLD}; prior strength {meta['prior_strength']:g}; {meta['repeats']} runs "
        "(splits and reviewer seeds) per row, median and range",
        "",
        "## Unreviewed baseline (every account)",
        "",
        "| scenario | accounts (extraction) | detector flag FPR / TPR | score >= threshold "
        "FPR / TPR | best TPR of the raw score at 1% / 0.5% FPR (all labels known) | "
        "test set benign (one is) |",
        "|---|---|---|---|---|---|",
    ]
    for name, b in bases.items():
        o = b["oracle_tpr"]
        lines.append(
            f"| {name} | {b['accounts']} ({b['extraction']}) | {b['flag_fpr']:.1%} / "
            f"{b['flag_tpr']:.1%} | {b['score_fpr']:.1%} / {b['score_tpr']:.1%} | "
            f"{o['0.01']:.1%} / {o['0.005']:.1%} | {b['test_benign']} "
            f"({1 / max(1, b['test_benign']):.1%}) |"
        )
    lines += [
        "",
        "## Reviews until the test-set benign FPR at the learned threshold is within target",
        "",
        "Test set: accounts the model never saw a label of. 'holds': runs in which every later "
        "batch stays within the target. FPR / TPR after N reviews: medians on the test set. "
        "'2nd look': the dismissed account the threshold sits above is reviewed once more "
        "(counted as a review).",
        "",
        "| scenario | evidence | reviewer errors | target FPR | reviews to reach | TPR then | "
        "holds | after 20 | after 50 | whole pool |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    default = [c for c in cells if c["prior_strength"] == meta["prior_strength"]]
    for c in default:
        where, tpr, holds = _reach_words(c)
        lines.append(
            f"| {c['scenario']} | {c['evidence']} | {_errors(c)} | {c['target']:.1%} "
            f"| {where} | {tpr} | {holds} | {_at(c, 20)} | {_at(c, 50)} | "
            f"{_at(c, c['pool'])} |"
        )
    lines += READING + _sensitivity(cells)
    lines += _curves(default)
    return "\n".join(lines) + "\n"


def _sensitivity(cells: list[dict[str, Any]]) -> list[str]:
    strengths = sorted({c["prior_strength"] for c in cells})
    if len(strengths) < 2:
        return []
    lines = [
        "",
        "## Prior strength (evidence field, target 1%): test FPR / TPR, medians",
        "",
        "A weak prior follows the reviews sooner; a strong one keeps closer to the current "
        "score. 'holds' as above.",
        "",
        "| scenario | reviewer errors | prior strength | after 20 | after 50 | whole pool "
        "| holds |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in cells:
        if c["evidence"] == "field" and c["target"] == TARGETS[0]:
            lines.append(
                f"| {c['scenario']} | {_errors(c)} | {c['prior_strength']:g} | "
                f"{_at(c, 20)} | {_at(c, 50)} | {_at(c, c['pool'])} | {_reach_words(c)[2]} |"
            )
    return lines


def median_curve(cell: dict[str, Any]) -> list[dict[str, Any]]:
    """Per batch, the medians over runs (the rule is the first run's)."""
    out = []
    for i, first in enumerate(cell["steps"][0]):
        at = [run[i] for run in cell["steps"]]
        point: dict[str, Any] = {
            k: _median([s[k] for s in at])
            for k in ("reviews", "fpr", "tpr", "fpr_pool", "tpr_pool", "threshold")
        }
        out.append(point | {"rule": first["rule"]})
    return out


def _shows_curve(cell: dict[str, Any]) -> bool:
    return not cell["error_rate"] and cell["target"] == TARGETS[0]


def _curves(cells: list[dict[str, Any]]) -> list[str]:
    lines = []
    for c in filter(_shows_curve, cells):
        lines += [
            "",
            f"## Curve: {c['scenario']}, evidence {c['evidence']}, no reviewer errors, "
            f"target {c['target']:.0%} (pool {c['pool']}, test {c['test']}; medians)",
            "",
            "| reviews | test FPR | test TPR | pool FPR (in-sample) | pool TPR (in-sample) | "
            "threshold | rule (first run) |",
            "|---|---|---|---|---|---|---|",
        ]
        for point in median_curve(c):
            cols = [point[k] for k in ("fpr", "tpr", "fpr_pool", "tpr_pool")]
            lines.append(
                f"| {point['reviews']:.0f} | "
                + " | ".join(f"{v:.1%}" for v in cols)
                + f" | {point['threshold']:.3f} | {point['rule']} |"
            )
        lines += ["", "What the last fit of the first run says:", ""]
        lines += [f"- {x}" for x in c["explain"]]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, action="append", default=[])
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--error-rates", type=float, nargs="+", default=[0.0, 0.05])
    parser.add_argument("--repeats", type=int, default=10, help="splits (and reviewer seeds)")
    parser.add_argument("--test-share", type=float, default=0.3)
    parser.add_argument("--prior-strength", type=float, default=FitConfig().prior_strength)
    parser.add_argument(
        "--sensitivity", type=float, nargs="*", default=[0.5, 8.0], help="other strengths"
    )
    parser.add_argument("--note", default="", help="how the scenarios were made (for RESULTS)")
    parser.add_argument("--smoke", action="store_true", help="synthetic rows, tiny, for CI")
    parser.add_argument("--work", type=Path, default=HERE, help="where --smoke writes")
    args = parser.parse_args()
    start = time.perf_counter()
    scenarios: dict[str, tuple[dict[str, dict[str, Any]], dict[str, bool]]] = {}
    if args.smoke:
        args.repeats, args.sensitivity = 2, [8.0]
        scenarios["synthetic"] = synthetic_rows(seed=0, benign=160, extraction=60)
    for folder in args.scenario:
        scenarios[folder.name] = load_scenario(folder)
    if not scenarios:
        parser.error("give --scenario DIR (see the docstring) or --smoke")
    bases = {name: baseline(r, t, args.test_share) for name, (r, t) in scenarios.items()}
    cells = [c for name, (r, t) in scenarios.items() for c in run_grid(name, r, t, args)]
    meta = {
        "machine": _machine(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
        "command": "python benchmarks/review_loop/run.py " + _args_words(sys.argv[1:]),
        "batch": args.batch,
        "repeats": args.repeats,
        "test_share": args.test_share,
        "note": args.note,
        "prior_strength": args.prior_strength,
        "wall_s": time.perf_counter() - start,
    }
    target = args.work / "smoke" if args.smoke else args.work
    target.mkdir(parents=True, exist_ok=True)
    text = report(meta, bases, cells)
    (target / "RESULTS.md").write_text(text)
    payload = {"meta": meta, "baseline": bases, "cells": [_summary(c) for c in cells]}
    (target / "results.json").write_text(json.dumps(payload, indent=1))
    print(text)


def _summary(cell: dict[str, Any]) -> dict[str, Any]:
    """A cell for results.json: every run's every step would be megabytes, so the medians
    at the report's checkpoints, and the median curve where the report shows one."""
    out = {k: v for k, v in cell.items() if k not in ("steps", "explain")}
    out["after"] = {str(n): _at(cell, n) for n in (20, 50, cell["pool"])}
    if _shows_curve(cell):
        out["curve"] = median_curve(cell)
        out["explain"] = cell["explain"]
    return out


def _machine() -> str:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{model}, {os.cpu_count()} cores (one used), Python {platform.python_version()}, "
        f"{platform.platform()}"
    )


def _args_words(argv: list[str]) -> str:
    """The command line, the --note text (shown on its own line) elided."""
    words = [("..." if i and argv[i - 1] == "--note" else w) for i, w in enumerate(argv)]
    return " ".join(words)


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() + (" (+ uncommitted changes)" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    main()
