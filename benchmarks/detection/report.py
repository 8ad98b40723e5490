"""RESULTS.md of the detection benchmark: the headline first, then the detail behind it."""

from __future__ import annotations

import statistics
from typing import Any


def _f(x: Any, digits: int = 3) -> str:
    if x is None or x != x:
        return "-"
    return f"{x:.{digits}f}"


def render(report: dict[str, Any]) -> str:
    from benchmarks.detection.run import headline

    m = report["machine"]
    lines = [
        "# Detection benchmark: scenario families, leave-one-family-out",
        "",
        f"- machine: {m['cpu']}, {m['nproc']} cores, Python {m['python']}; `{m['uname']}`",
        f"- date: {m['date']}; commit {m['commit']}; wall time {report.get('wall_s', '-')} s",
        f"- command: `{report['command']}`",
        "- traffic: `distillguard.sim.families` (personas drawn at random, surface cues "
        "independent of the label, a benign twin for every attack); calibration seed 100 on "
        "the `tune` prompt sources, tests on the disjoint `test` sources",
        f"- thresholds: per left-out family, from the other families' benign accounts of the "
        f"calibration scenario at target FPR {report['target_fpr']:.0%} (+0.02); labels of "
        "attacks never read",
        "",
        "## Headline: leave-one-family-out AUROC (mean over families, and the worst family)",
        "",
        "| detector | mean LOFO AUROC | worst family | worst AUROC | overall AUROC | TPR at "
        "threshold | benign FPR at threshold | events/s (1 core) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    results = report["results"]
    for detector, res in results.items():
        h = headline(res)
        tests = list(res["tests"].values())
        lines.append(
            f"| {detector} | {_f(h['mean_auroc'])} | {h['worst_family']} | "
            f"{_f(h['worst_auroc'])} | {_f(_mean(t['overall']['auroc'] for t in tests))} | "
            f"{_f(_mean(t['overall']['tpr'] for t in tests))} | "
            f"{_f(_mean(t['overall']['fpr'] for t in tests))} | "
            f"{_mean(t['events_per_s'] for t in tests):,.0f} |"
        )
    if report.get("mmd"):  # --- MMD baseline hook: what its events/s is made of ---
        from benchmarks.detection.mmd.report import note

        lines += note(report)
    lines += ["", "## Per family (mean over test seeds): AUROC / TPR / benign FPR", ""]
    names = list(results)
    lines.append("| family | " + " | ".join(names) + " |")
    lines.append("|---|" + "---|" * len(names))
    families = sorted(
        {f for r in results.values() for t in r["tests"].values() for f in t["families"]}
    )
    for family in families:
        cells = []
        for detector in names:
            ms = [
                t["families"][family]
                for t in results[detector]["tests"].values()
                if family in t["families"]
            ]
            cells.append(
                f"{_f(_mean(x['auroc'] for x in ms), 2)} / {_f(_mean(x['tpr'] for x in ms), 2)}"
                f" / {_f(_mean(x['fpr'] for x in ms), 2)}"
            )
        lines.append(f"| {family} | " + " | ".join(cells) + " |")
    lines += _detail(results.get("full"))
    return "\n".join(lines) + "\n"


def _detail(full: dict[str, Any] | None) -> list[str]:
    if full is None:
        return []
    lines = ["", "## Full detector: campaigns (share of members over the threshold)", ""]
    for name, test in full["tests"].items():
        for family, m in test["families"].items():
            for campaign, recall in m["campaign_recall"].items():
                lines.append(f"- {name} {family} {campaign}: {recall:.0%}")
    lines += [
        "",
        "## Full detector: attacks missed per kind, benign accounts over the threshold",
        "",
    ]
    for name, test in full["tests"].items():
        lines.append(f"- {name} missed: {test['missed'] or 'none'}")
        for account, kind, score, reasons in test["benign_flagged"]:
            lines.append(f"  - benign {kind} {account} score {score}: {'; '.join(reasons)}")
    return lines


def _mean(values: Any) -> float:
    vals = [v for v in values if v is not None and v == v]
    return statistics.mean(vals) if vals else float("nan")
