"""Score distillguard's detectors on traffic from a detector-blind generator.

    python benchmarks/independent/run.py [--smoke] [--seeds 101 202] [--accounts 250] [--days 2]
        [--generator independent|blind2|blind3] [--compare REV ...]

`--generator` picks the generator (benchmarks/independent, the default, or benchmarks/blind2,
written later by another author who read neither the detector nor the first generator); the
results go beside it. `--compare REV` adds the full detector as it was at git revision REV
(checked out into the work folder and run with its own `src/`), as detector `full@REV`, so
that a change is measured against its past on the same traces in one run.

Generates two traces (the first seed with the base variant, the second with the harder twins
variant), validates each with `distillguard validate`, runs `distillguard analyze --detector D`
for each detector, and computes the metrics here from the labels and OUT/accounts.jsonl (only
the `account`, `score` and `flagged` fields are read): AUROC (ties count half), TPR and benign
FPR of `flagged`, the best TPR at benign FPR <= 1% over score thresholds, the share of each
campaign's members flagged, benign accounts flagged and extraction accounts missed, by kind.
Writes RESULTS.md and results.json beside the generator (with --smoke: under work/smoke/).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DETECTORS = ["full", "meanrank", "rate", "prada"]
GENERATORS = {
    "independent": HERE,
    "blind2": ROOT / "benchmarks" / "blind2",
    "blind3": ROOT / "benchmarks" / "blind3",
    "blind4": ROOT / "benchmarks" / "blind4",
}
INTROS = {
    "independent": (
        "Traces from `benchmarks/independent/generate.py`, written without reading the detector, "
        "the simulator or their benchmarks. Two detector parameters were set after seeing these "
        "traces: the walk networks' single-shot share and area spread (`min_single` 0.95 -> 0.5, "
        "`min_breadth` 0.35 rather than 0.5, in `detect/walks.py`), and the tool-loop accounting "
        "(tool results and tool calls left out of the purpose and value statistics) was tried "
        "on them. The first run, at 67310f0 and before walk networks, gave full AUROC 0.935 / "
        "0.927 and flagged 44% / 18% of the low-and-slow network. The walk networks' core and "
        "customer count (`detect/walks.py`) came after reading these traces' walk networks."
    ),
    "blind2": (
        "Traces from `benchmarks/blind2/generate.py`, written by a second author who read "
        "neither the detector, the simulator, their benchmarks nor the first independent "
        "generator (only the event format and the public data). No detector parameter was set "
        "on these traces before their first run (at c95ee3b); since then the walk networks' "
        "core (`detect/walks.py`), set after reading their walk networks, and the policy's "
        "verify cool-down were, so they are no longer fully unseen."
    ),
    "blind3": (
        "Traces from `benchmarks/blind3/generate.py`, written by a fourth author who was told "
        "not to read the detector, the policy, the tests, the other generators or their "
        "benchmarks (only the event format, the public data and a description of the kinds "
        "of customers and attacks). Its first run, at 429d731 before any change, is kept in "
        "`RESULTS-first-run.md`; the one change since (60b7754: reasoning tokens counted once, "
        "as the spec's usage counts them) was a correction to the spec, not set on these "
        "traces, and `--compare` shows the code before it."
    ),
    "blind4": (
        "Traces from `benchmarks/blind4/generate.py`, written by a fifth author under the same "
        "rules as blind3 (the event format, the public data and a description of the kinds of "
        "customers and attacks; not the detector, the policy, the tests, the other generators or "
        "their benchmarks). These are its first run: no detector parameter was set on them, and "
        "`--compare` shows the code before the last change (35f29dd), which was found on blind3."
    ),
}


def auroc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Mann-Whitney AUROC with mid-ranks, so tied scores count one half."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def best_tpr_at(
    scores: np.ndarray, positive: np.ndarray, max_fpr: float
) -> tuple[float, float, float]:
    """(TPR, FPR, threshold) of the best rule `score >= t` whose benign FPR is <= max_fpr."""
    best = (0.0, 0.0, float("inf"))
    n_pos, n_neg = max(int(positive.sum()), 1), max(int((~positive).sum()), 1)
    for t in np.unique(scores)[::-1]:
        hit = scores >= t
        fpr = float((hit & ~positive).sum() / n_neg)
        if fpr > max_fpr:
            break
        best = max(best, (float((hit & positive).sum() / n_pos), fpr, float(t)), key=lambda b: b[0])
    return best


def score_run(labels: list[dict], out: Path) -> dict:
    rows = {}
    with open(out / "accounts.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                rows[r["account"]] = (float(r["score"]), bool(r["flagged"]))
    missing = [lab["account"] for lab in labels if lab["account"] not in rows]
    floor = min((s for s, _ in rows.values()), default=0.0) - 1.0  # unscored ranks last
    scores = np.array([rows.get(lab["account"], (floor, False))[0] for lab in labels])
    flagged = np.array([rows.get(lab["account"], (floor, False))[1] for lab in labels])
    positive = np.array([lab["label"] == "extraction" for lab in labels])
    tpr1, fpr1, thr1 = best_tpr_at(scores, positive, 0.01)
    # Campaign members are most attackers; AUROC over the solo attackers alone shows the rest.
    solo = np.array([lab["label"] == "benign" or not lab.get("campaign") for lab in labels])
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    campaigns: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    benign_flagged, missed = [], []
    for lab, fl in zip(labels, flagged, strict=True):
        by_kind[lab["kind"]][0] += int(fl)
        by_kind[lab["kind"]][1] += 1
        if lab.get("campaign"):
            campaigns[lab["campaign"]][0] += int(fl)
            campaigns[lab["campaign"]][1] += 1
        if fl and lab["label"] == "benign":
            benign_flagged.append({"account": lab["account"], "kind": lab["kind"]})
        if not fl and lab["label"] == "extraction":
            missed.append({"account": lab["account"], "kind": lab["kind"]})
    return {
        "auroc": auroc(scores, positive),
        "auroc_solo_attackers": auroc(scores[solo], positive[solo]),
        "tpr_flagged": float(flagged[positive].mean()),
        "fpr_flagged": float(flagged[~positive].mean()),
        "tpr_at_fpr_1pct": tpr1,
        "fpr_at_that_threshold": fpr1,
        "threshold_at_fpr_1pct": thr1,
        "campaign_share_flagged": {k: v[0] / v[1] for k, v in sorted(campaigns.items())},
        "flagged_by_kind": {
            k: {"flagged": v[0], "accounts": v[1]} for k, v in sorted(by_kind.items())
        },
        "benign_flagged": benign_flagged,
        "extraction_missed": missed,
        "accounts_missing_from_output": len(missing),
    }


def cli() -> list[str]:
    exe = Path(sys.executable).parent / "distillguard"
    return [str(exe)] if exe.exists() else [shutil.which("distillguard") or "distillguard"]


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[int, str, float]:
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    return p.returncode, (p.stdout + p.stderr).strip(), time.perf_counter() - t


def checkout(rev: str, work: Path) -> Path:
    """The `src/` of revision `rev`, checked out once into the work folder."""
    dest = work / f"rev-{rev}"
    if not (dest / "src").is_dir():
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", rev, "src"], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest / "src"


def analyze(det: str, events: Path, out: Path, work: Path) -> tuple[int, str, float]:
    """`distillguard analyze` with detector `det`; `full@REV` runs revision REV's code."""
    name, _, rev = det.partition("@")
    cmd = [*cli(), "analyze", str(events), "--out", str(out), "--detector", name]
    return run(cmd, _code_of(rev, work))


def _code_of(rev: str, work: Path) -> dict[str, str] | None:
    """The environment that runs revision `rev`'s code (None: the working tree's)."""
    return {**os.environ, "PYTHONPATH": str(checkout(rev, work))} if rev else None


def generated(text: str, d: Path) -> dict:
    """The generator's summary (its last line of output, if JSON), else counted here."""
    try:
        info = json.loads(text.splitlines()[-1])
        if isinstance(info, dict) and "events" in info and "extraction_accounts" in info:
            info.setdefault("bytes", (d / "events.jsonl").stat().st_size)
            return info
    except (IndexError, ValueError):
        pass
    labels = [json.loads(x) for x in (d / "labels.jsonl").read_text().splitlines() if x.strip()]
    with open(d / "events.jsonl", "rb") as fh:
        events = sum(1 for line in fh if line.strip())
    return {
        "accounts": len(labels),
        "extraction_accounts": sum(lab["label"] == "extraction" for lab in labels),
        "events": events,
        "bytes": (d / "events.jsonl").stat().st_size,
    }


def generate(generator: str, out: Path, seed: int, variant: str, args) -> tuple[int, str, float]:
    """Run a generator into `out` (emptied first) at `args`' size: its status, output, time."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, str(GENERATORS[generator] / "generate.py"), "--out", str(out)]
    cmd += ["--seed", str(seed), "--accounts", str(args.accounts), "--days", f"{args.days:g}"]
    cmd += ["--variant", variant]
    if args.data:
        cmd += ["--data", str(args.data)]
    return run(cmd)


def trace(name: str, seed: int, variant: str, args, work: Path) -> dict:
    d = work / name
    rc, text, secs = generate(args.generator, d, seed, variant, args)
    if rc != 0:
        sys.exit(f"generator failed ({rc}):\n{text}")
    info = {
        "name": name,
        "seed": seed,
        "variant": variant,
        "generate": generated(text, d),
        "generate_seconds": round(secs, 1),
    }
    rc, text, secs = run([*cli(), "validate", str(d / "events.jsonl")])
    last = text.splitlines()[-1].replace(str(d) + "/", "") if text else ""
    info["validate"] = {"rc": rc, "output": last, "seconds": round(secs, 1)}
    labels = [json.loads(x) for x in (d / "labels.jsonl").read_text().splitlines() if x.strip()]
    info["detectors"] = {}
    for det in [*args.detectors, *(f"full@{rev}" for rev in args.compare)]:
        out = d / f"out_{det.replace('@', '_at_')}"
        rc, text, secs = analyze(det, d / "events.jsonl", out, work)
        if rc != 0:
            info["detectors"][det] = {"error": text[-2000:], "rc": rc}
            continue
        info["detectors"][det] = {**score_run(labels, out), "analyze_seconds": round(secs, 1)}
    info["policy"] = {}
    for policy in args.policy:
        info["policy"][policy] = dry_run(policy, d, work)
    if not args.keep:
        (d / "events.jsonl").unlink()
    return info


def dry_run(policy: str, d: Path, work: Path) -> dict:
    """`distillguard policy test` of POLICY (a path, or PATH@REV for the file at revision
    REV, run with that revision's code) on the trace: benign requests degraded or denied."""
    path, _, rev = policy.partition("@")
    if rev:  # the file as it was, beside that revision's code
        shown = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{rev}:{path}"], capture_output=True, check=True
        )
        path = str(checkout(rev, work).parent / Path(path).name)
        Path(path).write_bytes(shown.stdout)
    out = d / f"policy_{Path(path).stem}_{rev or 'now'}.json"
    cmd = [*cli(), "policy", "test", path, str(d / "events.jsonl")]
    cmd += ["--labels", str(d / "labels.jsonl"), "--json", str(out)]
    rc, text, _ = run(cmd, _code_of(rev, work))
    if rc != 0:
        return {"error": text[-2000:], "rc": rc}
    groups = json.loads(out.read_text())["groups"]
    b, x = groups["benign"], groups["extraction"]
    return {
        "benign_degraded": b["degraded"] + b["denied"],
        "benign_accounts_touched": b["accounts_touched"],
        "extraction_full": x["full"],
        "extraction_unrestricted": x["full"] + x["watermarked"],
        "extraction_denied": x["denied"],
        # Degraded or denied only for a campaign's risk (None from a revision before the split).
        "benign_carried": b.get("carried"),
        "extraction_carried": x.get("carried"),
    }


def _pct(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.1f}%"


def _kinds(items: list[dict], totals: dict) -> str:
    counts: dict[str, int] = defaultdict(int)
    for it in items:
        counts[it["kind"]] += 1
    return (
        ", ".join(
            f"{k} {n}/{totals[k]['accounts']}"
            for k, n in sorted(counts.items(), key=lambda kv: -kv[1])
        )
        or "none"
    )


NOTES = [
    "Prompts are real public data (../shared/data); responses are synthetic text sliced from "
    "real answers; timing shapes come from ServeGen and answer lengths from the Azure 2023 "
    "traces. No source pairs real text with real per-customer timing.",
    "The twins variant gives each non-cluster attacker a benign twin with a copy of its surface "
    "cues, and attackers copy some benign habits; it is meant to be harder than the base trace.",
    "AUROC counts accounts, and most attackers are members of the two campaigns (hydra and "
    "low-and-slow: 22 and 50 of 86 at full size); 'AUROC, solo attackers' leaves them out.",
    "Persona mix, volumes and cue shares are the generator author's guesses, documented at the "
    "top of generate.py and in cues.py / population.py. They are not measurements of a real "
    "provider's traffic: these numbers say how the detectors do on this world, not on yours.",
]
# The notes above describe the first generator's world; the others describe theirs in
# their own README.
OTHER_NOTES = [
    "AUROC counts accounts, and most attackers are members of the campaigns (hydra and "
    "low-and-slow); 'AUROC, solo attackers' leaves them out.",
    "The twins variant gives attackers a benign twin with a copy of their surface cues; what a "
    "twin copies, and the persona mix, volumes and cues, are the generator author's guesses "
    "(its README.md). They are not measurements of a real provider's traffic: these numbers "
    "say how the detectors do on this world, not on yours.",
]
TRACE_HEAD = (
    "| trace | seed | variant | accounts (benign / extraction) | events | MB | gen s | validate |"
)


def _trace_row(t: dict) -> str:
    g, v = t["generate"], t["validate"]
    benign = g["accounts"] - g["extraction_accounts"]
    who = f"{g['accounts']} ({benign} / {g['extraction_accounts']})"
    size = f"{g['events']:,} | {g['bytes'] / 1e6:.0f} | {t['generate_seconds']}"
    check = f"rc {v['rc']}: {v['output']}"
    return f"| {t['name']} | {t['seed']} | {t['variant']} | {who} | {size} | {check} |"


def _detector_rows(t: dict, camps: list[str]) -> list[str]:
    head = "| detector | AUROC | AUROC, solo attackers | TPR (flagged) | benign FPR (flagged) | "
    head += "best TPR at FPR <= 1% | "
    rows = [
        head + "".join(f"{c} flagged | " for c in camps) + "analyze s |",
        "|---|---|---|---|---|---|" + "---|" * len(camps) + "---|",
    ]
    for det, r in t["detectors"].items():
        if "error" in r:
            rows.append(f"| {det} | error rc {r['rc']} |")
            continue
        shares = "".join(
            f"{_pct(r['campaign_share_flagged'].get(c, float('nan')))} | " for c in camps
        )
        flags = (
            f"{_pct(r['tpr_flagged'])} | {_pct(r['fpr_flagged'])} | {_pct(r['tpr_at_fpr_1pct'])}"
        )
        aucs = f"{r['auroc']:.3f} | {r['auroc_solo_attackers']:.3f}"
        rows.append(f"| {det} | {aucs} | {flags} | {shares}{r['analyze_seconds']} |")
    return rows


def _policy_rows(runs: dict) -> list[str]:
    if not runs:
        return []
    rows = [
        "",
        "Policy dry run (`distillguard policy test POLICY`, every account unverified, on the "
        "default tier; shares of requests):",
        "",
        "| policy | benign degraded or denied | of which for a campaign alone | benign accounts "
        "touched | extraction denied | extraction degraded or denied for a campaign alone | "
        "extraction unrestricted (in full or watermarked) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in runs.items():
        if "error" in r:
            rows.append(f"| {name} | error rc {r['rc']} | | | | | |")
            continue
        rows.append(
            f"| {name} | {100 * r['benign_degraded']:.2f}% | {_carried(r.get('benign_carried'))} "
            f"| {r['benign_accounts_touched']} | {_pct(r['extraction_denied'])} | "
            f"{_carried(r.get('extraction_carried'))} | {_pct(r['extraction_unrestricted'])} |"
        )
    rows += [
        "",
        "For a campaign alone: degraded or denied, where a second enforcer that followed each "
        "account on its own risk (its campaign's left out) would have let the request through.",
    ]
    return rows


def _carried(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.2f}%"


def report(meta: dict, traces: list[dict]) -> str:
    changed = meta["changed_src"]
    dirty = (
        f" plus uncommitted changes to {len(changed)} files under src/ (the detector tested is the "
        "working tree at run time; results.json lists them)"
        if changed
        else ""
    )
    lines = [
        f"# Detector-blind traffic ({meta['generator']}): detector scorecard",
        "",
        INTROS[meta["generator"]] + " Metrics are computed by `benchmarks/independent/run.py` "
        "from the labels and the `score` and `flagged` columns of `distillguard analyze` output"
        "; `full@REV` is the full detector as it was at git revision REV.",
        "",
        *meta_lines(meta, dirty),
        "",
        "## Traces",
        "",
        TRACE_HEAD,
        "|---|---|---|---|---|---|---|---|",
        *[_trace_row(t) for t in traces],
    ]
    for t in traces:
        camps = sorted(
            {c for r in t["detectors"].values() for c in r.get("campaign_share_flagged", {})}
        )
        n_benign = t["generate"]["accounts"] - t["generate"]["extraction_accounts"]
        lines += ["", f"## {t['name']} ({t['variant']}, seed {t['seed']})", ""]
        lines += _detector_rows(t, camps)
        lines += [
            "",
            f"FPR <= 1% allows {int(0.01 * n_benign)} of {n_benign} benign accounts. "
            "Benign accounts flagged and extraction accounts missed, by kind "
            "(count / accounts of that kind):",
            "",
        ]
        for det, r in t["detectors"].items():
            if "error" not in r:
                totals = r["flagged_by_kind"]
                lines.append(
                    f"- **{det}**: benign flagged: {_kinds(r['benign_flagged'], totals)}. "
                    f"Extraction missed: {_kinds(r['extraction_missed'], totals)}."
                )
        full, labels = t["detectors"].get("full", {}), t["kind_labels"]
        if "flagged_by_kind" in full:
            lines += [
                "",
                "`full`, flagged per kind:",
                "",
                "| kind | label | flagged / accounts |",
                "|---|---|---|",
            ]
            for k, v in sorted(
                full["flagged_by_kind"].items(), key=lambda kv: (labels[kv[0]], kv[0])
            ):
                lines.append(f"| {k} | {labels[k]} | {v['flagged']} / {v['accounts']} |")
        lines += _policy_rows(t.get("policy", {}))
    notes = NOTES if meta["generator"] == "independent" else OTHER_NOTES
    lines += ["", "## How to read this", "", *[f"- {n}" for n in notes], ""]
    return "\n".join(lines)


def run_meta(script: str, argv: list[str] | None, started: float) -> dict:
    """When, where and on what code a benchmark ran: date, machine, commit (and the files
    under src/ changed since it), the command and the wall time."""
    git = ["git", "-C", str(ROOT)]
    status = [*git, "status", "--porcelain", "--", "src"]
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True)
    changed = subprocess.run(status, capture_output=True, text=True).stdout.splitlines()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "commit": head.stdout.strip(),
        "changed_src": sorted(line[3:] for line in changed),
        "command": " ".join([f"python {script}", *(argv or sys.argv[1:])]),
        "wall_seconds": time.perf_counter() - started,
    }


def meta_lines(meta: dict, dirty: str | None = None) -> list[str]:
    """The date, machine, commit (`dirty`: what to say of uncommitted changes), command and
    wall time of `run_meta`, as Markdown items."""
    changed = meta["changed_src"]
    if dirty is None:
        dirty = f" with uncommitted changes to {', '.join(changed)}" if changed else ""
    return [
        f"- Date: {meta['date']}",
        f"- Machine: {meta['machine']}",
        f"- Git commit: `{meta['commit']}`{dirty}",
        f"- Command: `{meta['command']}`",
        f"- Wall time: {meta['wall_seconds']:.0f} s",
    ]


def save(dest: Path, meta: dict, traces: list[dict], markdown: str) -> None:
    """results.json and RESULTS.md into `dest`."""
    (dest / "results.json").write_text(
        json.dumps({"meta": meta, "traces": traces}, indent=1) + "\n"
    )
    (dest / "RESULTS.md").write_text(markdown)
    print(f"wrote {dest / 'RESULTS.md'}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--smoke", action="store_true", help="tiny run (~30 accounts, half a day)")
    ap.add_argument("--seeds", type=int, nargs=2, default=[101, 202])
    ap.add_argument("--accounts", type=int, default=250)
    ap.add_argument("--days", type=float, default=2.0)
    ap.add_argument("--detectors", nargs="+", default=DETECTORS)
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep events.jsonl in the work folder")
    ap.add_argument("--generator", choices=sorted(GENERATORS), default="independent")
    ap.add_argument(
        "--render", action="store_true", help="rewrite RESULTS.md from results.json, run nothing"
    )
    ap.add_argument("--compare", nargs="*", default=[], metavar="REV", help="past revisions")
    ap.add_argument(
        "--policy",
        nargs="*",
        default=["examples/policy.toml"],
        metavar="POLICY[@REV]",
        help="policies for the dry run (`policy test`); PATH@REV is the file and code at REV",
    )
    args = ap.parse_args(argv)
    if args.smoke:
        args.accounts, args.days = 30, 0.5
    home = GENERATORS[args.generator]
    if args.render:
        saved = json.loads((home / "results.json").read_text())
        save(home, saved["meta"], saved["traces"], report(saved["meta"], saved["traces"]))
        return 0
    work = home / "work" / ("smoke" if args.smoke else "full")
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    traces = []
    for name, seed, variant in [
        ("trace-A", args.seeds[0], "base"),
        ("trace-B", args.seeds[1], "twins"),
    ]:
        print(f"{name}: seed {seed}, {variant}", file=sys.stderr)
        t = trace(name, seed, variant, args, work)
        t["kind_labels"] = {
            lab["kind"]: lab["label"]
            for lab in map(json.loads, (work / name / "labels.jsonl").read_text().splitlines())
        }
        traces.append(t)
    meta = run_meta("benchmarks/independent/run.py", argv, started)
    meta["generator"] = args.generator
    save(work if args.smoke else home, meta, traces, report(meta, traces))
    return 0


if __name__ == "__main__":
    sys.exit(main())
