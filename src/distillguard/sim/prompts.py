"""Prompt pools read from the public data sets in `shared/data` (see its README).

`load_bank(data_dir)` returns a `PromptBank`: immutable tuples of texts, one pool per
source. A pool whose file is missing comes from the built-in generator in
`sim.fallback` instead, so the simulator runs on a machine without the data; the bank
names those pools in `missing`. Loading is cached per folder because tests call
`simulate` many times.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

# Long texts (T0 passages, role prompts) are cut: the simulated log is about traffic
# shape, and 300k events of 20k-character prompts would only make the file slow to read.
MAX_PROMPT_CHARS = 2400
MAX_PASSAGE_CHARS = 700


@dataclass(frozen=True, slots=True)
class PromptBank:
    """Text pools. Tuples of tuples so the bank is hashable, shareable and never mutated."""

    nq: tuple[tuple[str, str], ...]  # (search question, short answer)
    clinc: tuple[str, ...]  # assistant queries
    mt_bench: tuple[tuple[str, str, str], ...]  # (category, turn 1, turn 2)
    vicuna: tuple[str, ...]
    roles: tuple[tuple[str, str], ...]  # awesome-chatgpt-prompts (act, prompt)
    banking: tuple[tuple[str, str], ...]  # (query, intent)
    bitext: tuple[tuple[str, str, str], ...]  # (query, intent, response)
    alpaca: tuple[tuple[str, str, str], ...]  # (instruction, input, output)
    code: tuple[tuple[str, str, str], ...]  # code alpaca (instruction, input, output)
    t0: tuple[tuple[str, str], ...]  # (templated prompt, completion)
    passages: tuple[str, ...]  # paragraphs cut from the T0 reading-comprehension prompts
    orca: tuple[str, ...]  # Orca system messages
    gsm8k: tuple[tuple[str, str], ...]  # (question, worked answer)
    mmlu: tuple[tuple[str, str, tuple[str, ...], int], ...]  # (subject, q, choices, answer)
    humaneval: tuple[tuple[str, str], ...]  # (task id, prompt)
    magpie: tuple[str, ...]  # chat-template headers with an empty user turn
    missing: tuple[str, ...] = ()  # pools that came from the built-in generator

    @property
    def complete(self) -> bool:
        return not self.missing


def _jsonl(path: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _csv(path: Path) -> list[dict[str, str]]:
    # Some community prompts exceed csv's default 128 KiB field limit (a process-wide knob).
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 24))
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _cut(text: str, limit: int = MAX_PROMPT_CHARS) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + " ..."


def _nq(d: Path) -> tuple[tuple[str, str], ...]:
    rows = _jsonl(d / "benign" / "nq_open_dev.jsonl")
    return tuple((r["question"], (r.get("answer") or [""])[0]) for r in rows)


def _clinc(d: Path) -> tuple[str, ...]:
    with open(d / "benign" / "clinc150_data_full.json", encoding="utf-8") as fh:
        splits = json.load(fh)
    return tuple(text for name in sorted(splits) for text, _intent in splits[name])


def _mt_bench(d: Path) -> tuple[tuple[str, str, str], ...]:
    rows = _jsonl(d / "bench" / "mt_bench_question.jsonl")
    return tuple((r["category"], r["turns"][0], r["turns"][-1]) for r in rows)


def _vicuna(d: Path) -> tuple[str, ...]:
    return tuple(r["turns"][0] for r in _jsonl(d / "bench" / "vicuna_bench_question.jsonl"))


def _roles(d: Path) -> tuple[tuple[str, str], ...]:
    rows = _csv(d / "benign" / "awesome_chatgpt_prompts.csv")
    return tuple((r["act"], _cut(r["prompt"])) for r in rows if r.get("prompt"))


def _banking(d: Path) -> tuple[tuple[str, str], ...]:
    rows = _csv(d / "benign" / "banking77_train.csv")
    return tuple((r["text"], r["category"]) for r in rows)


def _bitext(d: Path) -> tuple[tuple[str, str, str], ...]:
    rows = _csv(d / "benign" / "bitext_customer_support_sample_4514.csv")
    return tuple((r["instruction"], r["intent"], _cut(r["response"], 400)) for r in rows)


def _alpaca(d: Path) -> tuple[tuple[str, str, str], ...]:
    out = []
    for r in _jsonl(d / "distill" / "alpaca_seed_tasks.jsonl"):
        for inst in r.get("instances") or [{}]:
            out.append((r["instruction"], inst.get("input", ""), inst.get("output", "")))
    return tuple(out)


def _code(d: Path) -> tuple[tuple[str, str, str], ...]:
    with open(d / "distill" / "code_alpaca_2k.json", encoding="utf-8") as fh:
        rows = json.load(fh)
    out = [(r["instruction"], r.get("input", ""), r.get("output", "")) for r in rows]
    for r in _jsonl(d / "distill" / "code_alpaca_seed_tasks.jsonl"):
        inst = (r.get("instances") or [{}])[0]
        out.append((r["instruction"], inst.get("input", ""), inst.get("output", "")))
    return tuple(out)


def _t0(d: Path) -> tuple[tuple[str, str], ...]:
    rows = _jsonl(d / "distill" / "t0_templates_sample.jsonl")
    return tuple(
        (_cut(r["prompt"].strip()), r["completion"].replace("<|endoftext|>", "").strip())
        for r in rows
    )


def _passages(d: Path) -> tuple[str, ...]:
    # The reading-comprehension templates embed a real paragraph; its longest line is it.
    out = []
    for r in _jsonl(d / "distill" / "t0_templates_sample.jsonl"):
        line = max(r["prompt"].split("\n"), key=len).strip().strip('"').strip()
        if len(line) >= 300:
            out.append(_cut(line, MAX_PASSAGE_CHARS))
    return tuple(dict.fromkeys(out))  # de-duplicate, keep file order


def _orca(d: Path) -> tuple[str, ...]:
    with open(d / "distill" / "orca_system_messages.json", encoding="utf-8") as fh:
        obj = json.load(fh)
    msgs = obj["system_messages"] if isinstance(obj, dict) else obj
    return tuple(m for m in msgs if m)


def _gsm8k(d: Path) -> tuple[tuple[str, str], ...]:
    return tuple((r["question"], r["answer"]) for r in _jsonl(d / "bench" / "gsm8k_test.jsonl"))


def _mmlu(d: Path) -> tuple[tuple[str, str, tuple[str, ...], int], ...]:
    out = []
    with tarfile.open(d / "bench" / "mmlu_test_57subjects.tar.gz", "r:gz") as tar:
        members = [m for m in tar.getmembers() if m.name.endswith(".csv")]
        for m in sorted(members, key=lambda m: m.name):
            fh = tar.extractfile(m)
            if fh is None:
                continue
            subject = Path(m.name).name.removesuffix("_test.csv")
            for r in csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8")):
                choices = tuple(r[f"choice{i}"] for i in range(4))
                out.append((subject, r["question"], choices, int(r["answer"])))
    return tuple(out)


def _humaneval(d: Path) -> tuple[tuple[str, str], ...]:
    return tuple((r["task_id"], r["prompt"]) for r in _jsonl(d / "bench" / "HumanEval.jsonl.gz"))


def _magpie(d: Path) -> tuple[str, ...]:
    with open(d / "distill" / "magpie_model_configs.json", encoding="utf-8") as fh:
        configs = json.load(fh)
    return tuple(c["pre_query_template"] for _name, c in sorted(configs.items()))


LOADERS: dict[str, Callable[[Path], tuple[Any, ...]]] = {
    "nq": _nq,
    "clinc": _clinc,
    "mt_bench": _mt_bench,
    "vicuna": _vicuna,
    "roles": _roles,
    "banking": _banking,
    "bitext": _bitext,
    "alpaca": _alpaca,
    "code": _code,
    "t0": _t0,
    "passages": _passages,
    "orca": _orca,
    "gsm8k": _gsm8k,
    "mmlu": _mmlu,
    "humaneval": _humaneval,
    "magpie": _magpie,
}


@lru_cache(maxsize=4)
def load_bank(data_dir: Path | None) -> PromptBank:
    """Every pool from `data_dir`; pools whose file is absent come from the fallback."""
    from distillguard.sim.fallback import builtin_bank

    base = builtin_bank()
    if data_dir is None or not data_dir.is_dir():
        return base
    pools: dict[str, Any] = {}
    missing = []
    for f in fields(PromptBank):
        if f.name == "missing":
            continue
        try:
            pool = LOADERS[f.name](data_dir)
        except FileNotFoundError:
            pool = ()
        if pool:
            pools[f.name] = pool
        else:
            missing.append(f.name)
    return replace(base, **pools, missing=tuple(missing))
