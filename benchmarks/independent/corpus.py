"""Real prompt pools and answer text, read by path from ../shared/data (nothing is copied).

Every user prompt in the generated trace comes from one of these pools. Response bodies are
synthetic, but they are sliced from real answer text of the same kind (support replies, worked
GSM8K solutions, Code Alpaca code), so lengths and texture are plausible.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

csv.field_size_limit(sys.maxsize)

# The files this generator reads, relative to --data. A missing one is a clear error, not a crash.
NEEDED = (
    "distill/alpaca_seed_tasks.jsonl",
    "distill/code_alpaca_2k.json",
    "distill/code_alpaca_seed_tasks.jsonl",
    "distill/t0_templates_sample.jsonl",
    "distill/orca_system_messages.json",
    "distill/magpie_model_configs.json",
    "bench/gsm8k_test.jsonl",
    "bench/HumanEval.jsonl.gz",
    "bench/mmlu_test_57subjects.tar.gz",
    "bench/mt_bench_question.jsonl",
    "bench/vicuna_bench_question.jsonl",
    "benign/nq_open_dev.jsonl",
    "benign/banking77_train.csv",
    "benign/clinc150_data_full.json",
    "benign/awesome_chatgpt_prompts.csv",
    "benign/bitext_customer_support_sample_4514.csv",
    "traces/azure_llm_2023_conv.csv",
    "traces/azure_llm_2023_code.csv",
    "traces/servegen_language_m-small_client_traces.tar.gz",
)


class DataMissing(SystemExit):
    """Raised (as a clean exit) when the shared data folder or one of its files is absent."""


@dataclass
class Pools:
    """Prompt pools (lists of strings unless noted) and answer corpora (one long string each)."""

    alpaca: list[str] = field(default_factory=list)  # Alpaca seed instructions (+ input)
    alpaca_answers: list[str] = field(default_factory=list)
    code_alpaca: list[str] = field(default_factory=list)  # Code Alpaca 2k + its seeds
    code_answers: list[str] = field(default_factory=list)  # Code Alpaca outputs, same order
    t0: list[str] = field(default_factory=list)  # templated P3/T0 task prompts
    passages: list[str] = field(default_factory=list)  # long T0 passages, used as RAG chunks
    gsm8k: list[str] = field(default_factory=list)
    gsm8k_answers: list[str] = field(default_factory=list)
    humaneval: list[str] = field(default_factory=list)
    mmlu: list[tuple[str, str]] = field(default_factory=list)  # (subject, formatted question)
    mt_bench: list[list[str]] = field(default_factory=list)  # two turns each
    vicuna: list[str] = field(default_factory=list)
    nq: list[str] = field(default_factory=list)
    banking: list[tuple[str, str]] = field(default_factory=list)  # (text, intent)
    bitext: list[tuple[str, str]] = field(default_factory=list)  # (text, intent); synthetic
    clinc: list[tuple[str, str]] = field(default_factory=list)  # (text, intent)
    roles: list[tuple[str, str]] = field(default_factory=list)  # (act, community system prompt)
    orca: list[str] = field(default_factory=list)
    magpie: list[str] = field(default_factory=list)  # chat-template headers, empty user turn
    prose: str = ""
    code: str = ""
    steps: str = ""
    azure_conv: list[int] = field(default_factory=list)  # real generated-token counts (chat)
    azure_code: list[tuple[int, int]] = field(default_factory=list)  # (context, generated), code
    servegen: list[list[float]] = field(default_factory=list)  # per-client 10-min rate series

    def instruct(self) -> list[str]:
        """What a distiller walks: instruction sets first, then benchmark and QA questions."""
        mmlu = [q for _, q in self.mmlu][::4]  # a quarter: MMLU would otherwise be most of it
        pool = (
            self.alpaca + self.code_alpaca + self.t0 + self.vicuna + [t[0] for t in self.mt_bench]
        )
        return list(dict.fromkeys(pool + self.gsm8k + self.humaneval + self.nq + mmlu))


def _jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _with_input(instruction: str, inp: str) -> str:
    return f"{instruction}\n\n{inp}" if inp.strip() else instruction


def _mmlu(path: Path) -> list[tuple[str, str]]:
    out = []
    with tarfile.open(path) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if not member.name.endswith(".csv"):
                continue
            subject = Path(member.name).stem.removesuffix("_test")
            text = io.TextIOWrapper(tar.extractfile(member), encoding="utf-8")
            for row in csv.DictReader(text):
                choices = "\n".join(f"{k}. {row[f'choice{i}']}" for i, k in enumerate("ABCD"))
                out.append((subject, f"{row['question']}\n{choices}\nAnswer:"))
    return out


def _servegen(path: Path) -> list[list[float]]:
    """Rate series of clients that are active most of the time (sparse ones are mostly zeros)."""
    series = []
    with tarfile.open(path) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if not member.isfile():
                continue
            text = io.TextIOWrapper(tar.extractfile(member), encoding="utf-8")
            rates = [float(r[1]) for r in csv.reader(text) if r]
            if sum(r > 0 for r in rates) >= 0.5 * len(rates):
                series.append(rates)
    return series


def load(data: Path) -> Pools:
    missing = [p for p in NEEDED if not (data / p).exists()]
    if missing:
        raise DataMissing(
            f"error: shared data not found under {data} (missing: {', '.join(missing[:3])}"
            f"{' ...' if len(missing) > 3 else ''}). Pass --data pointing at the folder that "
            "holds distill/, bench/, benign/ and traces/ (../shared/data from the project root)."
        )
    p = Pools()
    for row in _jsonl(data / "distill/alpaca_seed_tasks.jsonl"):
        inst = row["instances"][0]
        p.alpaca.append(_with_input(row["instruction"], inst["input"]))
        p.alpaca_answers.append(inst["output"])
    with open(data / "distill/code_alpaca_2k.json", encoding="utf-8") as f:
        for row in json.load(f):
            p.code_alpaca.append(_with_input(row["instruction"], row["input"]))
            p.code_answers.append(row["output"])
    for row in _jsonl(data / "distill/code_alpaca_seed_tasks.jsonl"):
        inst = row["instances"][0]
        p.code_alpaca.append(_with_input(row["instruction"], inst["input"]))
        p.code_answers.append(inst["output"])
    for row in _jsonl(data / "distill/t0_templates_sample.jsonl"):
        p.t0.append(row["prompt"].strip())
        if len(row["prompt"]) > 700:
            p.passages.append(row["prompt"].split("\n\n")[0][:2400])
    gsm = _jsonl(data / "bench/gsm8k_test.jsonl")
    p.gsm8k = [r["question"] for r in gsm]
    p.gsm8k_answers = [re.sub(r"<<[^>]*>>", "", r["answer"]) for r in gsm]
    p.humaneval = [r["prompt"] for r in _jsonl(data / "bench/HumanEval.jsonl.gz")]
    p.mmlu = _mmlu(data / "bench/mmlu_test_57subjects.tar.gz")
    p.mt_bench = [r["turns"] for r in _jsonl(data / "bench/mt_bench_question.jsonl")]
    p.vicuna = [r["turns"][0] for r in _jsonl(data / "bench/vicuna_bench_question.jsonl")]
    p.nq = [r["question"] for r in _jsonl(data / "benign/nq_open_dev.jsonl")]
    p.banking = [(r["text"], r["category"]) for r in _csv(data / "benign/banking77_train.csv")]
    bitext = _csv(data / "benign/bitext_customer_support_sample_4514.csv")
    p.bitext = [(r["instruction"], r["intent"]) for r in bitext]
    with open(data / "benign/clinc150_data_full.json", encoding="utf-8") as f:
        clinc = json.load(f)
    p.clinc = [(t, i) for split in sorted(clinc) for t, i in clinc[split]]
    for r in _csv(data / "benign/awesome_chatgpt_prompts.csv"):
        if r["type"] == "TEXT" and 80 < len(r["prompt"]) <= 2500:
            p.roles.append((r["act"], r["prompt"]))
    with open(data / "distill/orca_system_messages.json", encoding="utf-8") as f:
        p.orca = json.load(f)["system_messages"]
    with open(data / "distill/magpie_model_configs.json", encoding="utf-8") as f:
        p.magpie = [c["pre_query_template"] for c in json.load(f).values()]
    # Answer corpora for synthetic responses: real replies of the matching kind.
    replies = [re.sub(r"\{\{([^}]*)\}\}", r"\1", r["response"]) for r in bitext]
    p.prose = "\n\n".join(replies + p.alpaca_answers)
    p.code = "\n\n".join(p.code_answers)
    p.steps = "\n\n".join(p.gsm8k_answers)
    p.azure_conv = [
        int(r["GeneratedTokens"]) for r in _csv(data / "traces/azure_llm_2023_conv.csv")
    ]
    p.azure_code = [
        (int(r["ContextTokens"]), int(r["GeneratedTokens"]))
        for r in _csv(data / "traces/azure_llm_2023_code.csv")
    ]
    p.servegen = _servegen(data / "traces/servegen_language_m-small_client_traces.tar.gz")
    return p
