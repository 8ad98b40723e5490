"""What the default policy would do to simulated traffic: `policy test` on several scenarios.

    .venv/bin/python benchmarks/enforcement/decision/replay.py [--work DIR] [--smoke]

For the standard scenario (seeds 1 and 2, tuned on) and the holdout scenario (seed 4, kept
out of tuning), 200 accounts over 2 days: simulate, replay through the analyzer and the
default policy (examples/policy.toml, judged as enforced), and report per label and per
persona or strategy. Every account is taken as unverified (the simulator has no account
attributes), so the probation level watermarks everyone; a second run of seed 1 takes every
account as id-verified, which shows what detection alone achieves. Verdicts are those of
`distillguard.policy.replay`.

Writes `REPLAY.md` and `replay.json` beside this file (or in --out).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from distillguard.evaluation import read_labels
from distillguard.events import EventReader
from distillguard.policy import AccountAttributes, default_policy
from distillguard.policy.replay import AccountTally, Replay, summarize
from distillguard.sim import ScenarioConfig, simulate

HERE = Path(__file__).resolve().parent
RUNS = (
    ("standard", 1, False),
    ("standard", 2, False),
    ("holdout", 4, False),
    ("standard", 1, True),
)
TARGETS = "median extraction account in full <= 5%, logit probing <= 1%, benign degraded <= 0.1%"


def data_dir() -> Path | None:
    for candidate in (Path("../shared/data"), HERE.parents[3] / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return None


def scenario(work: Path, name: str, seed: int, smoke: bool) -> Path:
    out = work / f"{name}-{seed}{'-smoke' if smoke else ''}"
    if not (out / "labels.jsonl").is_file():
        cfg = ScenarioConfig(
            accounts=40 if smoke else 200,
            days=1 if smoke else 2,
            seed=seed,
            scenario=name,
            data_dir=data_dir(),
            volume=0.05 if smoke else 1.0,
        )
        simulate(cfg, out)
    return out


def replay_one(folder: Path, verified: bool) -> dict[str, Any]:
    labels = read_labels(folder / "labels.jsonl")
    attrs = {a: AccountAttributes(verification="id") for a in labels} if verified else {}
    replay = Replay(default_policy(), attributes=attrs, keep_transitions=False)
    start = time.process_time()
    for event in EventReader(folder / "events.jsonl"):
        replay.step(event)
    cpu = time.process_time() - start
    groups: dict[str, list[AccountTally]] = {}
    for account, tally in replay.accounts.items():
        label = labels[account]
        side = "extraction" if label.extraction else "benign"
        groups.setdefault(side, []).append(tally)
        groups.setdefault(f"{side}/{label.kind}", []).append(tally)
    summaries = {name: asdict(summarize(name, ts)) for name, ts in sorted(groups.items())}
    return {"events": replay.analyzer.events, "cpu_s": cpu, "groups": summaries}


def write(out: Path, results: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "replay.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    lines = [
        "# Default policy replayed over simulated traffic (`policy test`)",
        "",
        f"- date: {results['date']}; command: `{results['command']}`",
        "- policy: examples/policy.toml (the packaged default), judged as enforced",
        f"- targets: {TARGETS}",
        "- full: nothing changed; unrestricted: full or only watermarked; degraded/denied: see "
        "`distillguard.policy.replay`",
        "",
        "| run | events | benign degraded+denied | extraction full | median acct full | "
        "median acct unrestricted | logit_probe full | benign accts touched |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results["runs"].items():
        g = r["groups"]
        b, x = g["benign"], g["extraction"]
        probe = g.get("extraction/logit_probe", {}).get("full", 0.0)
        lines.append(
            f"| {name} | {r['events']:,} | {b['degraded'] + b['denied']:.3%} | {x['full']:.3%} | "
            f"{x['median_account_full']:.1%} | {x['median_account_unrestricted']:.1%} | "
            f"{probe:.2%} | {b['accounts_touched']} |"
        )
    lines += ["", "Median share of each account's requests answered unrestricted, per kind:", ""]
    names = list(results["runs"])
    lines += ["| kind | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    kinds = sorted({k for r in results["runs"].values() for k in r["groups"] if "/" in k})
    for kind in kinds:
        cells = []
        for r in results["runs"].values():
            g = r["groups"].get(kind)
            touched = (
                f", {g['accounts_touched']} touched" if g and kind.startswith("benign") else ""
            )
            cells.append(f"{g['median_account_unrestricted']:.1%}{touched}" if g else "-")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    (out / "REPLAY.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/distillguard-policy-replay"))
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--smoke", action="store_true", help="tiny scenarios, for tests")
    args = parser.parse_args()
    runs = {}
    for name, seed, verified in RUNS:
        folder = scenario(args.work, name, seed, args.smoke)
        key = f"{name} seed {seed}" + (", all id-verified" if verified else "")
        runs[key] = replay_one(folder, verified)
        print(key, "done", flush=True)
    results = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python benchmarks/enforcement/decision/replay.py"
        + (" --smoke" if args.smoke else ""),
        "runs": runs,
    }
    write(args.out, results)
    print((args.out / "REPLAY.md").read_text())


if __name__ == "__main__":
    main()
