"""RESULTS.md of the red-team search: the best harvest that went unflagged, then every try."""

from __future__ import annotations

from typing import Any


def _knobs(a: dict[str, Any]) -> str:
    return (
        f"{a['per_day']:,.0f} req/day, follow-ups {a['followups']:.0%}, re-runs {a['reruns']:.0%}, "
        f"answers {a['answer']} tokens{' at the cap' if a['capped'] else ''}"
        f"{', tools' if a['tools'] else ''}, {'round the clock' if a['flat'] else 'office hours'}"
    )


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    tries = report["tries"]
    best, least = report["best_unflagged"], report["least_flagged"]
    lines = [
        "# Red team: the largest harvest the detector leaves unflagged",
        "",
        f"- machine: {m['cpu']}, {m['nproc']} cores, Python {m['python']}",
        f"- date: {m['date']}; commit {m['commit']}; wall time {report['wall_s']} s",
        f"- command: `{report['command']}`; background: `{report['background']}`",
        f"- {len(tries)} tries, {sum(t['flagged'] for t in tries)} flagged",
        "",
        "## Headline",
        "",
    ]
    if best:
        lines.append(
            f"- best unflagged: **{best['harvested_per_day']:,} new answer tokens a day** "
            f"per account ({_knobs(best['attack'])}); score {best['score']:.3f}"
        )
        lines.append(f"  - reasons: {'; '.join(best['reasons']) or '-'}")
    else:
        lines.append("- every try was flagged")
    if least:
        lines.append(
            f"- smallest flagged: {least['harvested_per_day']:,} tokens a day "
            f"({_knobs(least['attack'])})"
        )
    lines += [
        "",
        "## Every try (largest harvest first)",
        "",
        "| tokens/day | flagged | score | knobs |",
        "|---|---|---|---|",
    ]
    for t in sorted(tries, key=lambda t: -t["harvested_per_day"]):
        lines.append(
            f"| {t['harvested_per_day']:,} | {'yes' if t['flagged'] else 'no'} | "
            f"{t['score']:.3f} | {_knobs(t['attack'])} |"
        )
    return "\n".join(lines) + "\n"
