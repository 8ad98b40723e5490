"""The legitimate benchmark runner: whole benchmarks in bursts, then idle, then re-runs.

It sends what evaluation harnesses send: GSM8K with "Let's think step by step" few-shot
chain-of-thought, MMLU zero-shot multiple choice at temperature 0 with `max_tokens` 1 and
`top_logprobs` (the lm-eval-harness log-likelihood pattern), HumanEval as raw completions
sampled `n` times for pass@k, MT-Bench two-turn chats with FastChat's per-category
temperatures. These are the same prompts harvesters send, which is the point.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np

from distillguard.sim.actor import Actor, Turn
from distillguard.sim.rates import DAY_S, bursts

SUITES = ("gsm8k", "mmlu", "humaneval", "mt_bench", "vicuna")
MT_TEMPERATURE = {
    "writing": 0.7,
    "roleplay": 0.7,
    "extraction": 0.0,
    "math": 0.0,
    "coding": 0.0,
    "reasoning": 0.0,
    "stem": 0.1,
    "humanities": 0.1,
}
HUMANEVAL_STOP = ["\ndef ", "\nclass ", "\nif __name__", "\nprint("]
_CALC = re.compile(r"<<[^>]*>>")

Run = tuple[str, tuple[int, ...]]


def gsm8k_shot(question: str, answer: str) -> str:
    """One worked exemplar in the chain-of-thought format of lm-eval's gsm8k-cot."""
    steps, _, final = _CALC.sub("", answer).partition("####")
    steps, final = steps.strip(), final.strip()
    return f"Q: {question}\nA: Let's think step by step. {steps} The answer is {final}."


class BenchmarkRunner(Actor):
    """An honest evaluator: a few suites, run in bursts at harness concurrency."""

    kind = "benchmark_runner"
    models = (("m-large", 0.5), ("m-small", 0.3), ("m-reason", 0.2))
    runs_per_day: ClassVar[tuple[tuple[float, float], ...]] = ((0.7, 2.5), (0.5, 2.0))

    def setup(self) -> None:
        r, bank = self.rng, self.ctx.bank
        self.suites = r.sample(SUITES, r.randint(2, 4))
        self.shots = r.choice((0, 4, 8))
        self.rps = r.uniform(2.0, 12.0)
        self.top_logprobs = r.choice((5, 10, 20))
        self.legacy = r.random() < 0.4  # MMLU through the completions endpoint
        self.samples = r.choice((1, 1, 5, 10))  # HumanEval completions per problem
        self.subjects = _subject_ranges(bank.mmlu)
        self.exemplars = "\n\n".join(gsm8k_shot(q, a) for q, a in bank.gsm8k[: self.shots])
        lo, hi = self.runs_per_day[self.ctx.variant]
        n_runs = max(
            1,
            int(
                np.random.default_rng(r.getrandbits(32)).poisson(r.uniform(lo, hi) * self.ctx.days)
            ),
        )
        self.plan: list[Run] = []
        for _ in range(n_runs):
            if self.plan and r.random() < 0.35:  # a re-run of the same questions
                self.plan.append(self.pick(self.plan))
            else:
                self.plan.append(self._new_run())
        self.queue = self._items()

    def _new_run(self) -> Run:
        r, bank, vol = self.rng, self.ctx.bank, self.ctx.volume
        suite = self.pick(self.suites)
        if suite == "mmlu":
            picked = r.sample(sorted(self.subjects), min(len(self.subjects), r.randint(2, 8)))
            items = [i for s in picked for i in range(*self.subjects[s])]
        else:
            size = len(getattr(bank, suite))
            limit = size if r.random() < 0.6 else min(size, r.choice((50, 100, 250)))
            items = list(range(limit))
        keep = max(3, int(len(items) * min(vol, 1.0)))
        return suite, tuple(items[:keep])

    def arrivals(self, rng: np.random.Generator) -> np.ndarray:
        sizes = [len(items) * (2 if suite == "mt_bench" else 1) for suite, items in self.plan]
        end = self.ctx.start + self.ctx.days * DAY_S
        return bursts(rng, sizes, self.rps, self.ctx.start, end)

    def _items(self) -> Iterator[tuple[str, int, int]]:
        while True:
            for suite, items in self.plan:
                for i in items:
                    yield suite, i, 1
                    if suite == "mt_bench":
                        yield suite, i, 2
            self.plan = [self._new_run()]  # ran out (more arrivals than planned): go on

    def turn(self) -> Turn:
        suite, i, turn_no = next(self.queue)
        ask = {
            "gsm8k": self._gsm8k,
            "mmlu": self._mmlu,
            "humaneval": self._humaneval,
            "mt_bench": self._mt_bench,
            "vicuna": self._vicuna,
        }[suite]
        return ask(i, turn_no)

    def _gsm8k(self, i: int, _turn: int) -> Turn:
        q, a = self.ctx.bank.gsm8k[i]
        prompt = f"Q: {q}\nA: Let's think step by step."
        if self.exemplars:
            prompt = f"{self.exemplars}\n\n{prompt}"
        req = self.chat(
            [{"role": "user", "content": prompt}],
            temperature=0.0,
            max_tokens=512,
            stop=["Q:", "\n\n\n"],
        )
        return self.ask(req, answer=gsm8k_shot(q, a).partition("A: ")[2], scale=1.2)

    def _mmlu(self, i: int, _turn: int) -> Turn:
        subject, q, choices, _ans = self.ctx.bank.mmlu[i]
        opts = "\n".join(f"{letter}. {c}" for letter, c in zip("ABCD", choices, strict=False))
        prompt = (
            f"The following are multiple choice questions (with answers) about "
            f"{subject.replace('_', ' ')}.\n\n{q}\n{opts}\nAnswer:"
        )
        if self.legacy:  # lm-eval's completions backend: `logprobs` is the alternatives count
            legacy = {
                "model": self.model,
                "prompt": prompt,
                "max_tokens": 1,
                "temperature": 0.0,
                "logprobs": self.top_logprobs,
            }
            return self.ask(legacy, endpoint="completions")
        req = self.chat(
            [{"role": "user", "content": prompt}],
            temperature=0.0,
            max_tokens=1,
            logprobs=True,
            top_logprobs=self.top_logprobs,
            reasoning_effort=None,
        )
        return self.ask(req)

    def _humaneval(self, i: int, _turn: int) -> Turn:
        _task, prompt = self.ctx.bank.humaneval[i]
        req: dict[str, Any] = {
            "model": self.model,
            "prompt": prompt,
            "max_tokens": 512,
            "temperature": 0.2 if self.samples == 1 else 0.8,
            "stop": HUMANEVAL_STOP,
        }
        if self.samples > 1:
            req["n"] = self.samples
        return self.ask(
            req,
            endpoint="completions",
            lengths="code",
            scale=5.0,
            answer="    result = []\n    return result\n",
        )

    def _mt_bench(self, i: int, turn_no: int) -> Turn:
        category, t1, t2 = self.ctx.bank.mt_bench[i]
        temp = MT_TEMPERATURE.get(category, 0.7)
        messages = [{"role": "user", "content": t1}]
        if turn_no == 2:
            messages += [
                {"role": "assistant", "content": self._last_answer},
                {"role": "user", "content": t2},
            ]
        t = self.ask(self.chat(messages, temperature=temp, max_tokens=1024), scale=2.0)
        self._last_answer = t.reply.content
        return t

    _last_answer = ""

    def _vicuna(self, i: int, _turn: int) -> Turn:
        messages = [{"role": "user", "content": self.ctx.bank.vicuna[i]}]
        return self.ask(self.chat(messages, temperature=0.7, max_tokens=1024), scale=2.0)


def _subject_ranges(
    mmlu: tuple[tuple[str, str, tuple[str, ...], int], ...],
) -> dict[str, tuple[int, int]]:
    """Index range of each subject; the loader keeps one subject's rows together."""
    out: dict[str, tuple[int, int]] = {}
    for i, row in enumerate(mmlu):
        lo, _hi = out.get(row[0], (i, i))
        out[row[0]] = (lo, i + 1)
    return out
