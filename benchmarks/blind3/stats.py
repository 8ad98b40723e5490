"""Per-kind volumes and per-label surface-cue shares of a generated folder, to check that cues
do not give the label away: `python benchmarks/blind3/stats.py DIR`."""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

COT = (
    "step by step",
    "step-by-step",
    "show your work",
    "explain your reasoning",
    "reason through",
    "first explain",
)


def main(d: str) -> None:
    d = Path(d)
    labels = {r["account"]: r for r in map(json.loads, open(d / "labels.jsonl"))}
    per = defaultdict(lambda: Counter())
    ips = defaultdict(set)
    with open(d / "events.jsonl", "rb") as f:
        for line in f:
            e = json.loads(line)
            c = per[e["account"]]
            q = e["request"]
            msgs = q.get("messages") or []
            text = " ".join(m["content"] for m in msgs if isinstance(m.get("content"), str)).lower()
            c["events"] += 1
            c["bytes"] += len(line)
            c["tools"] += "tools" in q
            c["stream"] += bool(q.get("stream"))
            c["logprobs"] += bool(q.get("logprobs"))
            c["logit_bias"] += "logit_bias" in q
            c["max_tokens"] += ("max_tokens" in q) or ("max_completion_tokens" in q)
            c["system"] += any(m.get("role") == "system" for m in msgs)
            c["multi_turn"] += sum(m.get("role") == "user" for m in msgs) > 1
            c["cot"] += any(p in text for p in COT)
            c["completions"] += e.get("endpoint") == "completions"
            c["errors"] += e.get("status", 200) != 200
            ips[e["account"]].add(e.get("ip"))
    kinds = defaultdict(lambda: Counter())
    for acc, row in labels.items():
        k = kinds[row["kind"]]
        k["accounts"] += 1
        k["events"] += per[acc]["events"]
        k["bytes"] += per[acc]["bytes"]
        k["silent"] += per[acc]["events"] == 0
    print(f"{'kind':28s} {'accts':>5s} {'silent':>6s} {'events':>8s} {'MB':>7s}")
    for name in sorted(kinds):
        k = kinds[name]
        print(
            f"{name:28s} {k['accounts']:5d} {k['silent']:6d} {k['events']:8d} {k['bytes'] / 1e6:7.1f}"
        )
    cues = [
        "tools",
        "stream",
        "logprobs",
        "logit_bias",
        "max_tokens",
        "system",
        "multi_turn",
        "cot",
        "completions",
        "errors",
    ]
    print("\nshare of ACCOUNTS using a cue in >=10% of their events, and median distinct IPs")
    for lab in ("benign", "extraction"):
        accs = [a for a, r in labels.items() if r["label"] == lab and per[a]["events"]]
        row = {
            c: round(sum(per[a][c] / per[a]["events"] >= 0.1 for a in accs) / len(accs), 2)
            for c in cues
        }
        nip = sorted(len(ips[a]) for a in accs)
        print(lab, len(accs), row, "median_ips", nip[len(nip) // 2])


if __name__ == "__main__":
    main(sys.argv[1])
