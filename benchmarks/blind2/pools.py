"""Load the public data sets under --data into prompt pools, a text bank and trace shapes.

Everything is read by path at run time; nothing is copied into the repository.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
import sys
import tarfile

import numpy as np

csv.field_size_limit(sys.maxsize)


def _jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _join(instr, inp):
    instr = (instr or "").strip()
    inp = (inp or "").strip()
    return instr + ("\n\n" + inp if inp else "")


class Pools:
    """All text pools.  Lists are in file order; callers shuffle with their own rng."""

    def __init__(self, root):
        p = lambda *a: os.path.join(root, *a)  # noqa: E731
        # --- distillation-style instruction sets
        seed = _jsonl(p("distill", "alpaca_seed_tasks.jsonl"))
        self.alpaca = [_join(r["instruction"], r["instances"][0]["input"]) for r in seed]
        self.alpaca_out = [r["instances"][0]["output"] for r in seed]
        cseed = _jsonl(p("distill", "code_alpaca_seed_tasks.jsonl"))
        with open(p("distill", "code_alpaca_2k.json"), encoding="utf-8") as f:
            ca = json.load(f)
        self.code = [_join(r["instruction"], r.get("input")) for r in ca]
        self.code += [_join(r["instruction"], r["instances"][0]["input"]) for r in cseed]
        self.code_out = [r["output"] for r in ca if r.get("output")]
        t0 = _jsonl(p("distill", "t0_templates_sample.jsonl"))
        self.t0 = [r["prompt"].strip() for r in t0 if r.get("prompt", "").strip()]
        self.t0_out = [r["completion"].strip() for r in t0 if r.get("completion", "").strip()]
        with open(p("distill", "orca_system_messages.json"), encoding="utf-8") as f:
            self.orca = [s for s in json.load(f)["system_messages"] if s.strip()]
        with open(p("distill", "magpie_model_configs.json"), encoding="utf-8") as f:
            mg = json.load(f)
        self.magpie = []
        for name in mg:
            for k in ("pre_query_template", "pre_query_template_with_system_prompt"):
                t = mg[name].get(k)
                if t:
                    self.magpie.append((mg[name].get("mt_append_template") or "", t))
        # --- benchmarks
        g = _jsonl(p("bench", "gsm8k_test.jsonl"))
        self.gsm = [r["question"] for r in g]
        self.gsm_ans = [r["answer"] for r in g]
        with gzip.open(p("bench", "HumanEval.jsonl.gz"), "rt", encoding="utf-8") as f:
            he = [json.loads(line) for line in f if line.strip()]
        self.humaneval = [r["prompt"] for r in he]
        self.humaneval_sol = [r["prompt"] + r["canonical_solution"] for r in he]
        self.mmlu = []  # (subject, formatted question, answer letter)
        with tarfile.open(p("bench", "mmlu_test_57subjects.tar.gz")) as t:
            for m in sorted(t.getnames()):
                if not m.endswith(".csv"):
                    continue
                subj = os.path.basename(m).replace("_test.csv", "")
                rows = csv.DictReader(io.TextIOWrapper(t.extractfile(m), encoding="utf-8"))
                for r in rows:
                    ch = [r["choice0"], r["choice1"], r["choice2"], r["choice3"]]
                    q = (
                        r["question"].strip()
                        + "\n"
                        + "\n".join(f"{'ABCD'[i]}. {c}" for i, c in enumerate(ch))
                    )
                    self.mmlu.append((subj, q, "ABCD"[int(r["answer"])]))
        self.mt = [r["turns"] for r in _jsonl(p("bench", "mt_bench_question.jsonl"))]
        self.vicuna = [r["turns"][0] for r in _jsonl(p("bench", "vicuna_bench_question.jsonl"))]
        # --- benign traffic text
        nq = _jsonl(p("benign", "nq_open_dev.jsonl"))
        self.nq = [r["question"] for r in nq]
        self.nq_ans = [r["answer"][0] for r in nq]
        with open(p("benign", "banking77_train.csv"), encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        self.banking = [r["text"] for r in rows]
        self.banking_intent = [r["category"] for r in rows]
        with open(p("benign", "clinc150_data_full.json"), encoding="utf-8") as f:
            cl = json.load(f)
        self.clinc, self.clinc_intent = [], []
        for split in ("train", "val", "test", "oos_train", "oos_val", "oos_test"):
            for text, intent in cl[split]:
                self.clinc.append(text)
                self.clinc_intent.append(intent)
        with open(p("benign", "awesome_chatgpt_prompts.csv"), encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        self.roles = [
            (r["act"], r["prompt"]) for r in rows if r.get("prompt") and len(r["prompt"]) < 4000
        ]
        with open(p("benign", "bitext_customer_support_sample_4514.csv"), encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        self.support = [r["instruction"] for r in rows]
        self.support_intent = [r["intent"] for r in rows]
        self.support_resp = [r["response"] for r in rows]
        # --- traces
        self.azure_conv = self._azure(p("traces", "azure_llm_2023_conv.csv"))
        self.azure_code = self._azure(p("traces", "azure_llm_2023_code.csv"))
        self.servegen = self._servegen(
            p("traces", "servegen_language_m-small_client_traces.tar.gz")
        )
        # --- response text banks (word arrays); synthetic responses are slices of real answers
        general = self.alpaca_out + self.t0_out + self.t0[::3] + [r[1] for r in self.roles]
        general += [c for c in self.code_out if "(" not in c and "{" not in c]
        self.banks = {
            "prose": " ".join(general).split(),
            "support": " ".join(self.support_resp).split(),
            "math": " ".join(self.gsm_ans).split(),
        }
        self.code_lines = "\n".join(self.code_out + self.humaneval_sol).split("\n")

    @staticmethod
    def _azure(path):
        ctx, gen = [], []
        with open(path, encoding="utf-8") as f:
            for r in csv.DictReader(f):
                ctx.append(int(r["ContextTokens"]))
                gen.append(int(r["GeneratedTokens"]))
        return np.array(ctx), np.array(gen)

    @staticmethod
    def _servegen(path):
        """Per-client rate series (10-minute windows over 14 days), only clients with traffic."""
        out = []
        with tarfile.open(path) as t:
            for m in sorted(t.getnames()):
                if not m.endswith(".csv"):
                    continue
                rates = []
                for line in io.TextIOWrapper(t.extractfile(m), encoding="utf-8"):
                    parts = line.split(",")
                    if len(parts) > 2:
                        with contextlib.suppress(ValueError):
                            rates.append(float(parts[1]))
                a = np.array(rates)
                if len(a) >= 288 * 3 and (a > 0).mean() > 0.3:
                    out.append(a)
        return out

    # ---- text synthesis -------------------------------------------------
    def prose(self, rng, n_tokens, bank="prose"):
        n = max(1, int(n_tokens * 0.75))
        w = self.banks.get(bank) or self.banks["prose"]
        i = int(rng.integers(0, max(1, len(w) - n)))
        return " ".join(w[i : i + n])

    def code_text(self, rng, n_tokens):
        lines, out, tok = self.code_lines, [], 0
        i = int(rng.integers(0, len(lines)))
        while tok < n_tokens:
            s = lines[i % len(lines)]
            out.append(s)
            tok += len(s) // 4 + 1
            i += 1
        return "```\n" + "\n".join(out) + "\n```"
