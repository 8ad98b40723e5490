"""Load the public data sets (read by path from ``--data``; nothing is copied).

Every pool is a list of ``Item`` tuples: ``prompt`` (what a user or pipeline would send), ``ref``
(a reference answer where the source has one, else ``None``) and ``tag`` (intent, subject,
category or template name).  The trace files give token-length and arrival-rate shapes.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import tarfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

csv.field_size_limit(10**8)


class Item(NamedTuple):
    prompt: str
    ref: str | None
    tag: str | None


class Pools:
    """All prompt pools, trace shapes and a filler-text bank, loaded once per run."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.nq = self._nq()
        self.banking = self._csv_items("benign/banking77_train.csv", "text", None, "category")
        self.bitext = self._csv_items(
            "benign/bitext_customer_support_sample_4514.csv", "instruction", "response", "intent"
        )
        self.clinc = self._clinc()
        self.awesome = [
            it
            for it in self._csv_items("benign/awesome_chatgpt_prompts.csv", "prompt", None, "act")
            if 40 < len(it.prompt) < 2500
        ]
        self.vicuna = [
            Item(r["turns"][0], None, r["category"])
            for r in self._jsonl("bench/vicuna_bench_question.jsonl")
        ]
        mt = self._jsonl("bench/mt_bench_question.jsonl")
        self.mtbench = [Item(r["turns"][0], r["turns"][1], r["category"]) for r in mt]
        self.alpaca = self._alpaca("distill/alpaca_seed_tasks.jsonl")
        self.code_seeds = self._alpaca("distill/code_alpaca_seed_tasks.jsonl")
        self.code_alpaca = [
            Item(_join(r["instruction"], r.get("input", "")), r["output"], None)
            for r in json.loads(self._read("distill/code_alpaca_2k.json"))
        ]
        self.t0 = [
            Item(
                r["prompt"],
                r["completion"].replace("<|endoftext|>", "").strip(),
                r["template_file"],
            )
            for r in self._jsonl("distill/t0_templates_sample.jsonl")
            if len(r["prompt"]) < 9000
        ]
        orca = json.loads(self._read("distill/orca_system_messages.json"))
        self.orca: list[str] = list(orca["system_messages"])
        self.magpie = self._magpie()
        self.gsm8k = [
            Item(r["question"], r["answer"], r["answer"].rsplit("####", 1)[-1].strip())
            for r in self._jsonl("bench/gsm8k_test.jsonl")
        ]
        with gzip.open(self.root / "bench/HumanEval.jsonl.gz", "rt", encoding="utf-8") as fh:
            he = [json.loads(line) for line in fh if line.strip()]
        self.humaneval = [Item(r["prompt"], r["canonical_solution"], r["entry_point"]) for r in he]
        self.mmlu = self._mmlu()
        self.conv_gen, self.conv_ctx = self._azure("traces/azure_llm_2023_conv.csv")
        self.code_gen, self.code_ctx = self._azure("traces/azure_llm_2023_code.csv")
        self.shapes_long, self.shapes_day = self._servegen()
        self.filler = self._filler()
        self.intents_banking = sorted({it.tag for it in self.banking if it.tag})
        self.intents_clinc = sorted({it.tag for it in self.clinc if it.tag})
        self.intents_bitext = sorted({it.tag for it in self.bitext if it.tag})

    # --- readers -------------------------------------------------------------------------
    def _read(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    def _jsonl(self, rel: str) -> list[dict]:
        return [json.loads(line) for line in self._read(rel).splitlines() if line.strip()]

    def _csv_items(self, rel: str, p: str, r: str | None, t: str) -> list[Item]:
        rows = csv.DictReader(io.StringIO(self._read(rel)))
        return [
            Item(row[p].strip(), row[r] if r else None, row[t]) for row in rows if row[p].strip()
        ]

    def _nq(self) -> list[Item]:
        return [
            Item(r["question"], r["answer"][0], None)
            for r in self._jsonl("benign/nq_open_dev.jsonl")
        ]

    def _clinc(self) -> list[Item]:
        raw = json.loads(self._read("benign/clinc150_data_full.json"))
        out: list[Item] = []
        for split in ("train", "val", "test", "oos_train", "oos_val", "oos_test"):
            out.extend(Item(text, None, intent) for text, intent in raw.get(split, []))
        return out

    def _alpaca(self, rel: str) -> list[Item]:
        out = []
        for r in self._jsonl(rel):
            inst = r["instances"][0]
            out.append(
                Item(_join(r["instruction"], inst.get("input", "")), inst.get("output"), r["name"])
            )
        return out

    def _magpie(self) -> list[str]:
        cfg = json.loads(self._read("distill/magpie_model_configs.json"))
        out: list[str] = []
        for name in cfg:
            for key in (
                "pre_query_template",
                "pre_query_template_with_system_prompt",
                "pre_query_template_math",
                "pre_query_template_code",
            ):
                val = cfg[name].get(key)
                if isinstance(val, str) and val and val not in out:
                    out.append(val)
        return out

    def _mmlu(self) -> list[Item]:
        out: list[Item] = []
        with tarfile.open(self.root / "bench/mmlu_test_57subjects.tar.gz") as tar:
            members = sorted((m for m in tar.getmembers() if m.isfile()), key=lambda m: m.name)
            for m in members:
                subject = Path(m.name).name.replace("_test.csv", "")
                fh = tar.extractfile(m)
                if fh is None:
                    continue
                for row in csv.DictReader(io.StringIO(fh.read().decode("utf-8"))):
                    choices = [row[f"choice{i}"] for i in range(4)]
                    letter = "ABCD"[int(row["answer"])]
                    body = (
                        row["question"]
                        + "\n"
                        + "\n".join(f"{'ABCD'[i]}. {c}" for i, c in enumerate(choices))
                    )
                    out.append(Item(body, letter, subject))
        return out

    def _azure(self, rel: str) -> tuple[np.ndarray, np.ndarray]:
        rows = csv.DictReader(io.StringIO(self._read(rel)))
        ctx, gen = [], []
        for row in rows:
            ctx.append(int(row["ContextTokens"]))
            gen.append(int(row["GeneratedTokens"]))
        return np.array(gen, dtype=np.int64), np.array(ctx, dtype=np.int64)

    def _servegen(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per-client 10-minute rate series: 14-day ones and 1-day ones (sparse ones dropped)."""
        long_, day = [], []
        for rel in (
            "traces/servegen_language_m-small_client_traces.tar.gz",
            "traces/servegen_reason_deepseek-r1_client_traces.tar.gz",
            "traces/servegen_multimodal_mm-image_client_traces.tar.gz",
        ):
            with tarfile.open(self.root / rel) as tar:
                members = sorted((m for m in tar.getmembers() if m.isfile()), key=lambda m: m.name)
                for m in members:
                    fh = tar.extractfile(m)
                    if fh is None:
                        continue
                    rates = []
                    for line in fh.read().decode("utf-8").splitlines():
                        if line[:1].isdigit():
                            rates.append(float(line.split(",")[1] or 0.0))
                    arr = np.array(rates, dtype=np.float64)
                    if arr.size == 0 or (arr > 0).mean() < 0.04:
                        continue
                    (long_ if arr.size > 500 else day).append(arr)
        return long_, day

    def _filler(self) -> str:
        parts = [it.ref for it in self.bitext if it.ref]
        parts += [it.ref for it in self.alpaca if it.ref]
        parts += [it.ref.replace("<<", "").replace(">>", " ") for it in self.gsm8k[:600] if it.ref]
        parts += [it.prompt for it in self.vicuna]
        parts += [it.prompt for it in self.awesome[:300]]
        return "\n\n".join(parts)


def _join(instruction: str, inp: str) -> str:
    inp = (inp or "").strip()
    return f"{instruction}\n\n{inp}" if inp else instruction
