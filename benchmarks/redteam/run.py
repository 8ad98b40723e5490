"""Red team: search attack parameters for the largest harvest the detector does not flag.

    .venv/bin/python benchmarks/redteam/run.py             # 60 random + 30 refining tries
    .venv/bin/python benchmarks/redteam/run.py --smoke     # a few tries, for CI

Why: a detector tuned on its own simulator learns that simulator's attacks; an attacker
searches for what it misses. Here one harvesting account, described by a handful of
knobs (volume, faked follow-ups, faked re-runs, answer length, the length cap, tools,
timing), is dropped into a population of scenario-family traffic (benign twins and
attacks both, as a provider sees it), and the search maximises the **new answer tokens
harvested per day** among the tries the detector leaves unflagged. Faked follow-ups and
re-runs are the costs of evasion: a re-run buys no new prompt, a follow-up's context is
paid for.

Steps: the background scenario is analyzed once; each try continues a copy of that
analyzer with the attacker's day of traffic (the population the attacker is ranked
against is the provider's); the detector flags it or not (the default threshold). Random
search first, then coordinate refinement around the best unflagged try. Writes
`RESULTS.md` and `results.json` beside this file.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from distillguard.detect.engine import Analyzer
from distillguard.events import Event, EventReader, parse_event

HERE = Path(__file__).resolve().parent
DAY = 86400.0


@dataclass(frozen=True)
class Attack:
    per_day: float  # requests per day
    followups: float  # share of requests that fake a follow-up turn
    reruns: float  # share that re-send an earlier prompt under another temperature
    answer: int  # answer tokens asked for
    capped: bool  # max_tokens set to the answer length (answers end at the cap)
    tools: bool  # sends tool definitions, as agent platforms do
    flat: bool  # round the clock (else office hours)

    def harvested_per_day(self) -> float:
        """New answer tokens a day: re-runs add no new prompt, so they harvest nothing new."""
        return self.per_day * (1 - self.reruns) * self.answer


def draw(rng: random.Random) -> Attack:
    return Attack(
        per_day=math.exp(rng.uniform(math.log(10), math.log(5000))),
        followups=rng.choice([0.0, 0.1, 0.3, 0.5, 0.7]),
        reruns=rng.choice([0.0, 0.1, 0.3, 0.5]),
        answer=rng.choice([150, 300, 600, 1000, 2000]),
        capped=rng.random() < 0.5,
        tools=rng.random() < 0.3,
        flat=rng.random() < 0.5,
    )


def neighbours(a: Attack, rng: random.Random) -> list[Attack]:
    return [
        replace(a, per_day=min(5000.0, a.per_day * rng.choice([0.7, 1.4]))),
        replace(a, followups=min(0.9, max(0.0, a.followups + rng.choice([-0.1, 0.1])))),
        replace(a, reruns=min(0.9, max(0.0, a.reruns + rng.choice([-0.1, 0.1])))),
        replace(a, answer=max(100, int(a.answer * rng.choice([0.7, 1.4])))),
        replace(a, capped=not a.capped),
        replace(a, tools=not a.tools),
        replace(a, flat=not a.flat),
    ]


def traffic(a: Attack, start: float, rng: random.Random, prompts: list[str]) -> list[Event]:
    """One day of the attacker's requests, in time order."""
    n = max(1, int(a.per_day))
    hours = 24.0 if a.flat else 9.0
    times = sorted(
        start + (0 if a.flat else 9 * 3600) + rng.random() * hours * 3600 for _ in range(n)
    )
    sent: list[str] = []
    events = []
    for i, ts in enumerate(times):
        rerun = sent and rng.random() < a.reruns
        user = rng.choice(sent) if rerun else f"{prompts[i % len(prompts)]} ({i})"
        if not rerun:
            sent.append(user)
        messages: list[dict[str, Any]] = [{"role": "user", "content": user}]
        if rng.random() < a.followups:
            messages = [
                {"role": "user", "content": user},
                {"role": "assistant", "content": "..."},
                {"role": "user", "content": "Go on, in more detail."},
            ]
        request: dict[str, Any] = {
            "model": "m-large",
            "messages": messages,
            "temperature": rng.choice([0.2, 0.9]) if rerun else 0.7,
        }
        if a.capped:
            request["max_tokens"] = a.answer
        if a.tools:
            request["tools"] = [{"type": "function", "function": {"name": "lookup"}}]
        out = max(1, int(a.answer * (1.0 if a.capped else rng.uniform(0.6, 1.0))))
        events.append(
            parse_event(
                {
                    "ts": ts,
                    "account": "acct_redteam",
                    "ip": "198.51.100.66",
                    "request": request,
                    "response": {
                        "choices": [
                            {
                                "message": {"role": "assistant", "content": "x"},
                                "finish_reason": "length" if a.capped else "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": len(user) // 4 + 5, "completion_tokens": out},
                    },
                }
            )
        )
    return events


def load_prompts(data: Path | None) -> list[str]:
    path = data / "distill" / "code_alpaca_2k.json" if data else None
    if path and path.is_file():
        return [row["instruction"] for row in json.loads(path.read_text())]
    return [f"Write a detailed answer about topic {k}" for k in range(2000)]


def tried(base: Analyzer, end: float, a: Attack, seed: int, prompts: list[str]) -> dict[str, Any]:
    analyzer = copy.deepcopy(base)
    for ev in traffic(a, end, random.Random(seed), prompts):
        analyzer.process(ev)
    analyzer.refresh(end + DAY)  # the next hourly rebuild after its day
    result = next(r for r in analyzer.results()[0] if r.account == "acct_redteam")
    return {
        "attack": asdict(a),
        "harvested_per_day": round(a.harvested_per_day()),
        "flagged": result.flagged or result.score >= analyzer.config.threshold,
        "score": result.score,
        "reasons": list(result.reasons[:3]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--background", type=Path, default=HERE.parent / "detection" / "work" / "test1"
    )
    parser.add_argument("--random", type=int, default=60)
    parser.add_argument("--refine", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    args = parser.parse_args()
    if args.smoke:
        args.random, args.refine = 4, 2
        args.background = _small_background(args.work)
    started = time.time()
    base = Analyzer()
    end = 0.0
    for ev in EventReader(args.background / "events.jsonl"):
        base.process(ev)
        end = ev.ts
    prompts = load_prompts(_data_dir())
    rng = random.Random(args.seed)
    tries = [tried(base, end, draw(rng), k, prompts) for k in range(args.random)]
    for k in range(args.refine):
        unflagged = [t for t in tries if not t["flagged"]]
        if not unflagged:
            break
        best = max(unflagged, key=lambda t: t["harvested_per_day"])
        cand = rng.choice(neighbours(Attack(**best["attack"]), rng))
        tries.append(tried(base, end, cand, 1000 + k, prompts))
    report = summarise(tries, args, time.time() - started)
    out = args.work / "smoke.json" if args.smoke else HERE / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    from benchmarks.redteam.report import render

    text = render(report)
    if not args.smoke:
        (HERE / "RESULTS.md").write_text(text)
    print(text)


def summarise(tries: list[dict[str, Any]], args: argparse.Namespace, wall: float) -> dict[str, Any]:
    from benchmarks.detection.run import machine

    unflagged = [t for t in tries if not t["flagged"]]
    flagged = [t for t in tries if t["flagged"]]
    return {
        "machine": machine(),
        "command": "python " + " ".join(sys.argv),
        "background": str(args.background),
        "wall_s": round(wall, 1),
        "tries": tries,
        "best_unflagged": max(unflagged, key=lambda t: t["harvested_per_day"])
        if unflagged
        else None,
        "least_flagged": min(flagged, key=lambda t: t["harvested_per_day"]) if flagged else None,
    }


def _small_background(work: Path) -> Path:
    from distillguard.sim.families import FamiliesConfig, simulate_families

    out = work / "smoke-background"
    if not (out / "events.jsonl").is_file():
        cfg = FamiliesConfig(seed=3, accounts=0.3, days=1, volume=0.1, data_dir=_data_dir())
        simulate_families(cfg, out)
    return out


def _data_dir() -> Path | None:
    for candidate in (Path("../shared/data"), HERE.parents[2] / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return None


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1]))
    main()
