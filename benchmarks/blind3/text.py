"""Prompt pools read from the shared data folder at run time, and response synthesis.

Nothing here is copied into the repository: every pool is read by path from `--data`.
Responses are not model output. They are stitched from real text (reference answers where a
data set has them, otherwise prose or code slices of a corpus built from the data sets) and cut
to a sampled token length, so sizes, shapes and styles are plausible while content is not.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import sys
import tarfile
import zlib
from pathlib import Path

csv.field_size_limit(sys.maxsize)
_PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}")
_CALC = re.compile(r"<<[^>]*>>")


_FILL = {
    "website": "the website",
    "url": "the website",
    "phone": "the support line",
    "hours": "business hours",
    "order": "the order",
    "account": "the account",
    "invoice": "the invoice",
    "refund": "the refund",
    "section": "settings",
}


def _fill(m: re.Match) -> str:
    key = m.group(0).lower()
    for k, v in _FILL.items():
        if k in key:
            return v
    return "the relevant page"


def tok(s: str | None) -> int:
    """Rough token count: four characters a token."""
    return 1 + len(s) // 4 if s else 0


def _jsonl(p: Path) -> list[dict]:
    opener = gzip.open if p.suffix == ".gz" else open
    with opener(p, "rt", encoding="utf-8") as f:
        return [json.loads(x) for x in f if x.strip()]


def _csv(p: Path) -> list[dict]:
    with open(p, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


class Pools:
    """Every prompt pool the personas draw from, as lists of plain strings or small tuples."""

    def __init__(self, data: str | Path):
        d = Path(data)
        self.alpaca = []  # (prompt, reference output)
        for t in _jsonl(d / "distill/alpaca_seed_tasks.jsonl"):
            for inst in t["instances"]:
                p = t["instruction"] + (("\n\n" + inst["input"]) if inst.get("input") else "")
                self.alpaca.append((p, inst.get("output", "")))
        self.code_seed = []
        for t in _jsonl(d / "distill/code_alpaca_seed_tasks.jsonl"):
            for inst in t["instances"]:
                p = t["instruction"] + (("\n\n" + inst["input"]) if inst.get("input") else "")
                self.code_seed.append((p, inst.get("output", "")))
        with open(d / "distill/code_alpaca_2k.json", encoding="utf-8") as f:
            ca = json.load(f)
        self.code_alpaca = [
            (r["instruction"] + (("\n" + r["input"]) if r.get("input") else ""), r["output"])
            for r in ca
        ]
        self.t0 = [
            (r["prompt"].strip(), r["completion"].replace("<|endoftext|>", "").strip())
            for r in _jsonl(d / "distill/t0_templates_sample.jsonl")
        ]
        with open(d / "distill/orca_system_messages.json", encoding="utf-8") as f:
            self.orca = json.load(f)["system_messages"]
        with open(d / "distill/magpie_model_configs.json", encoding="utf-8") as f:
            mp = json.load(f)
        self.magpie = [v["pre_query_template"] for v in mp.values() if v.get("pre_query_template")]
        self.gsm8k = [
            (r["question"], _CALC.sub("", r["answer"]))
            for r in _jsonl(d / "bench/gsm8k_test.jsonl")
        ]
        self.humaneval = [
            (r["prompt"], r["canonical_solution"]) for r in _jsonl(d / "bench/HumanEval.jsonl.gz")
        ]
        self.mt_bench = [
            (r["category"], r["turns"]) for r in _jsonl(d / "bench/mt_bench_question.jsonl")
        ]
        self.vicuna = [r["turns"][0] for r in _jsonl(d / "bench/vicuna_bench_question.jsonl")]
        self.mmlu = []  # (subject, question, [choices], answer index)
        with tarfile.open(d / "bench/mmlu_test_57subjects.tar.gz") as tf:
            for m in sorted(tf.getmembers(), key=lambda m: m.name):
                if not m.name.endswith(".csv"):
                    continue
                subj = Path(m.name).stem.replace("_test", "")
                text = tf.extractfile(m).read().decode("utf-8")
                for r in csv.DictReader(io.StringIO(text)):
                    ch = [r["choice0"], r["choice1"], r["choice2"], r["choice3"]]
                    self.mmlu.append((subj, r["question"], ch, int(r["answer"])))
        self.mmlu_subjects = sorted({m[0] for m in self.mmlu})
        self.nq = [r["question"] for r in _jsonl(d / "benign/nq_open_dev.jsonl")]
        self.banking = [(r["text"], r["category"]) for r in _csv(d / "benign/banking77_train.csv")]
        with open(d / "benign/clinc150_data_full.json", encoding="utf-8") as f:
            cl = json.load(f)
        self.clinc = [(t, i) for split in sorted(cl) for t, i in cl[split]]
        aw = _csv(d / "benign/awesome_chatgpt_prompts.csv")
        self.awesome = [
            (r["act"], r["prompt"]) for r in aw if r.get("type") != "IMAGE" and r["prompt"]
        ]
        bt = _csv(d / "benign/bitext_customer_support_sample_4514.csv")
        self.bitext = [
            (r["instruction"], r["intent"], _PLACEHOLDER.sub(_fill, r["response"])) for r in bt
        ]
        self.banking_labels = sorted({c for _, c in self.banking})
        self.clinc_labels = sorted({c for _, c in self.clinc})
        self._corpora()

    def _corpora(self) -> None:
        prose = [r for _, _, r in self.bitext[::3]]
        prose += [o for _, o in self.alpaca if len(o) > 40]
        prose += [o for _, o in self.code_alpaca if len(o) > 80 and "(" not in o and "=" not in o]
        prose += [a for _, a in self.gsm8k]
        prose += [p for _, p in self.awesome[:600]]
        prose += [p.split("\n\n")[0] for p, _ in self.t0 if len(p) > 400]
        self.prose = " ".join(s.replace("\r", "") for s in prose)
        code = [o for _, o in self.code_alpaca if ("(" in o or "=" in o) and len(o) > 60]
        code += [p + s for p, s in self.humaneval]
        self.code = "\n\n".join(code)
        self.passages = [p.split("\n\n")[0] for p, _ in self.t0 if len(p) > 600]
        self.passages += [r for _, _, r in self.bitext if len(r) > 500][:1500]

    # ---- prompt helpers ----------------------------------------------------------------------
    def mmlu_prompt(self, i: int, style: int = 0) -> str:
        subj, q, ch, _ = self.mmlu[i]
        body = q + "\n" + "\n".join(f"{'ABCD'[k]}. {c}" for k, c in enumerate(ch))
        if style == 0:
            return body + "\nAnswer:"
        if style == 1:
            s = subj.replace("_", " ")
            return f"The following is a multiple choice question about {s}.\n\n{body}\nAnswer:"
        return body


def slice_of(corpus: str, start: int, nchars: int) -> str:
    """About `nchars` characters of `corpus` from `start`, starting and ending at a space."""
    n = len(corpus)
    start %= max(1, n - nchars - 2)
    s = corpus.find(" ", start)
    s = start if s < 0 or s > start + 80 else s + 1
    out = corpus[s : s + nchars]
    e = out.rfind(" ")
    return out[:e] if e > nchars // 2 else out


class Writer:
    """Synthesised assistant content of a requested style and token length."""

    def __init__(self, pools: Pools):
        self.p = pools

    def _pos(self, rng, key: str | None, corpus: str) -> int:
        if key is not None:  # greedy decoding: the same prompt gives the same text
            return zlib.crc32(key.encode("utf-8", "ignore")) * 7919 % len(corpus)
        return int(rng.integers(0, len(corpus)))

    def prose(self, rng, ntok: int, ref: str = "", key: str | None = None) -> str:
        want = max(4, ntok * 4)
        if len(ref) >= want:
            return ref[:want]
        fill = slice_of(self.p.prose, self._pos(rng, key, self.p.prose), want - len(ref))
        return (ref + "\n\n" + fill) if ref else fill

    def steps(self, rng, ntok: int, ref: str = "", key: str | None = None) -> str:
        want = max(40, ntok * 4)
        head = [
            "Let's work through this step by step.",
            "Let me break this down.",
            "We can solve this in a few steps.",
            "Reasoning:",
            "Let's think about this carefully.",
        ]
        parts = [head[int(rng.integers(0, len(head)))]]
        if ref:
            lines = [x for x in ref.split("\n") if x.strip() and not x.startswith("####")]
            parts += [f"Step {k + 1}: {x}" for k, x in enumerate(lines)]
        body = self.prose(rng, max(10, (want - sum(map(len, parts))) // 4), key=key)
        chunk = max(120, len(body) // max(1, min(8, len(body) // 250)))
        k = len(parts)
        for j in range(0, len(body), chunk):
            parts.append(f"Step {k}: {body[j : j + chunk].strip()}")
            k += 1
        final = ref.split("####")[-1].strip() if "####" in ref else body.split(" ")[0]
        parts.append(f"Therefore, the answer is {final}.")
        return "\n\n".join(parts)[: want + 200]

    def code(
        self, rng, ntok: int, ref: str = "", key: str | None = None, lang: str = "python"
    ) -> str:
        want = max(40, ntok * 4)
        n_code = int(want * 0.7)
        body = (
            ref
            if len(ref) >= n_code
            else (
                ref
                + "\n\n"
                + slice_of(self.p.code, self._pos(rng, key, self.p.code), n_code - len(ref))
            )
        )
        out = f"Here's an implementation:\n\n```{lang}\n{body.strip()}\n```\n\n"
        return out + self.prose(rng, max(8, (want - len(out)) // 4), key=key)

    def judge(self, rng, ntok: int, key: str | None = None) -> str:
        score = int(rng.integers(1, 11))
        text = self.prose(rng, max(20, ntok - 10), key=key)
        return f"{text}\n\nRating: [[{score}]]"

    def label(self, rng, label: str, as_json: bool = False) -> str:
        return json.dumps({"label": label}) if as_json else label

    def json_answer(self, rng, ntok: int, key: str | None = None) -> str:
        return json.dumps(
            {
                "answer": self.prose(rng, max(8, ntok - 12), key=key),
                "confidence": round(float(rng.uniform(0.5, 0.99)), 2),
            }
        )

    def write(self, rng, style: str, ntok: int, ref: str = "", key: str | None = None) -> str:
        if style == "steps":
            return self.steps(rng, ntok, ref, key)
        if style == "code":
            return self.code(rng, ntok, ref, key)
        if style == "judge":
            return self.judge(rng, ntok, key)
        if style == "json":
            return self.json_answer(rng, ntok, key)
        if style == "short":
            return (ref or self.prose(rng, ntok, key=key))[: max(2, ntok * 4)]
        return self.prose(rng, ntok, ref, key)
