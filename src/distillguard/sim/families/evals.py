"""Evaluation customers: benchmark runners and LLM-as-judge vendors.

An `EvalRunner` holds one fixed suite of benchmark prompts and sends all of it in a run,
back to back at a harness's rate; every run picks one of its configurations (model,
temperature, step-by-step suffix or not, logprobs or not), so the same prompts come back
across models and temperatures. That re-running is the signature of evaluation.

A `JudgePersona` wraps each item in a grading rubric with a candidate answer to grade.
A vendor grades the answers of many models to one question set (questions repeat, each
with a new candidate) and replies with a short score; a rubric harvester walks an
instruction set once, with a weak or absent candidate, and asks for a full critique and
an improved answer, which is the part it keeps.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import orjson

from distillguard.sim.families import tools as toolbox
from distillguard.sim.families.chat import ChatPersona, Conv, Talk
from distillguard.sim.families.persona import Exchange, Persona
from distillguard.sim.families.sources import Item
from distillguard.sim.families.surface import REASONING

COT_SUFFIX = (
    "Let's think step by step.",
    "Think step by step, then give the final answer on its own line.",
    "Reason step by step and put the final answer after '####'.",
)
PLAIN_SUFFIX = (
    "Answer with only the letter of the correct option.",
    "Give only the final answer.",
    "",
)
FORMATS = ("{x}", "Question: {x}\nAnswer:", "The following is a question.\n\n{x}", "{x}\n\nAnswer:")
RUBRICS = (
    "Please act as an impartial judge and evaluate the quality of the response provided by "
    "an AI assistant to the user question below. Consider {crit}. Begin with a short "
    'explanation, then rate the response from 1 to 10 in the format "[[rating]]".\n\n'
    "[Question]\n{q}\n\n[The Start of Assistant's Answer]\n{a}\n[The End of Assistant's Answer]",
    'You grade answers for an evaluation. Criterion: {crit}. Return JSON {"score": 1-5, '
    '"reason": "..."}.\n\nQuestion:\n{q}\n\nAnswer:\n{a}',
    "Score the response for {crit} from 0 to 1.\n\nQuestion: {q}\nResponse: {a}\n\nScore:",
    "Rubric ({crit}):\n5 = excellent, 3 = acceptable, 1 = poor.\n\n<question>{q}</question>\n"
    "<answer>{a}</answer>\n\nGive the grade and one sentence of justification.",
)
CRITERIA = (
    "helpfulness, relevance, accuracy and depth",
    "correctness",
    "harmlessness",
    "conciseness",
    "faithfulness to the question",
    "instruction following",
    "tone and politeness",
)
IMPROVE = (
    "After grading, write an improved answer that would score full marks.",
    "Then write the ideal reference answer in full.",
    "Explain every flaw in detail and give a corrected, complete response.",
    "Give a detailed critique, then rewrite the answer so it is perfect.",
)


@dataclass(frozen=True, slots=True)
class RunConfig:
    model: str
    temperature: float
    cot: bool
    logprobs: int


@dataclass(slots=True)
class EvalRun:
    cfg: RunConfig
    order: list[int]
    i: int = 0


class EvalRunner(Persona):
    """Whole-suite runs, again and again, over a grid of models and temperatures."""

    def __init__(
        self,
        *args: Any,
        suite: list[Item],
        configs: list[RunConfig],
        rps: float,
        fmt: str,
        system: str | None,
        shuffle: bool,
        tools: list[dict[str, Any]] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.suite, self.configs, self.rps = suite, configs, rps
        self.tools = tools  # function-calling suites: the harness scores the call itself
        self.fmt, self.system, self.shuffle = fmt, system, shuffle
        self.rng.shuffle(self.configs)
        self._runs = 0  # runs sweep the grid in a fixed order, as a harness does
        self.cot_text = self.rng.choice(COT_SUFFIX)
        self.plain_text = self.rng.choice(PLAIN_SUFFIX)

    def events_per_session(self) -> float:
        return len(self.suite) * (1.0 + sum(1 for it in self.suite if it.turn2) / len(self.suite))

    def open(self, t: float) -> Exchange | None:
        order = list(range(len(self.suite)))
        if self.shuffle:
            self.rng.shuffle(order)
        cfg = self.configs[self._runs % len(self.configs)]
        self._runs += 1
        return self.item(t, EvalRun(cfg, order))

    def follow(self, t: float, state: Any) -> Exchange | None:
        if isinstance(state, EvalRun):
            return self.item(t, state)
        messages, cfg = state
        return self.send(t, messages, cfg, Item(""))

    def item(self, t: float, run: EvalRun) -> Exchange:
        it = self.suite[run.order[run.i]]
        run.i += 1
        if run.i < len(run.order):
            self.later(t + self.rng.expovariate(self.rps), run)
        text = self.fmt.replace("{x}", it.text)
        suffix = self.cot_text if run.cfg.cot else self.plain_text
        msgs = [{"role": "system", "content": self.system}] if self.system else []
        msgs.append({"role": "user", "content": f"{text}\n\n{suffix}" if suffix else text})
        ex = self.send(t, msgs, run.cfg, it)
        if it.turn2 and ex.reply.response is not None:
            nxt = [*msgs, {"role": "assistant", "content": ex.reply.content}]
            nxt.append({"role": "user", "content": it.turn2})
            self.later(t + ex.reply.latency_ms / 1000.0 + 0.05, (nxt, run.cfg))
        return ex

    def send(self, t: float, msgs: list[dict[str, Any]], cfg: RunConfig, it: Item) -> Exchange:
        req = self.chat(msgs)
        req["model"] = cfg.model
        req["temperature"] = cfg.temperature
        req.pop("reasoning_effort", None)
        if cfg.logprobs:
            req["logprobs"] = True
            req["top_logprobs"] = cfg.logprobs
        if cfg.model == REASONING:
            req["reasoning_effort"] = "medium"
        call = None
        if self.tools and self.rng.random() < self.s.tools_share:
            req["tools"] = self.tools
            if self.rng.random() < 0.4:
                call = toolbox.call(self.rng, self.tools, it.text)
        short = None
        if not cfg.cot and self.plain_text and it.ref:
            short = it.ref.rsplit("####", 1)[-1].strip()[:40] or None
        return self.ask(req, ref=it.ref, cot=cfg.cot, label=short, tool_call=call)


def run_configs(
    rng: random.Random, models: tuple[str, ...], extra_models: list[str], cot: bool, lp: int
) -> list[RunConfig]:
    """A grid of 2-4 models by 1-3 temperatures; step-by-step on some runs if `cot`."""
    names = list(dict.fromkeys([*models, *extra_models]))[: rng.randint(2, 4)]
    temps = rng.sample((0.0, 0.2, 0.6, 0.7, 1.0), rng.randint(1, 3))
    out = []
    for m in names:
        for temp in temps:
            use_cot = cot and rng.random() < 0.7
            out.append(RunConfig(m, temp, use_cot, lp if rng.random() < 0.8 else 0))
    return out


class JudgePersona(ChatPersona):
    """Rubric grading: a vendor's short verdicts, or a harvester's critiques and rewrites."""

    def __init__(self, *args: Any, verdicts: bool, improve: float, weak: float, **kw: Any):
        super().__init__(*args, **kw)
        self.verdicts, self.improve, self.weak = verdicts, improve, weak
        k = self.rng.randint(1, 3)
        self.rubrics = [
            r.replace("{crit}", self.rng.choice(CRITERIA)) for r in self.rng.sample(RUBRICS, k)
        ]

    def compose(self, talk: Talk, item: Item) -> str:
        r = self.rng
        if r.random() < self.weak:
            cand = (
                "(no answer)" if r.random() < 0.3 else self.ctx.answerer.fill(r, r.randint(20, 120))
            )
        else:
            cand = self.ctx.answerer.text(r, r.randint(150, 1800), item.ref)
        text = r.choice(self.rubrics).replace("{q}", item.text).replace("{a}", cand)
        if r.random() < self.improve:
            text = f"{text}\n\n{r.choice(IMPROVE)}"
        return text

    def short_answer(self, conv: Conv) -> str | None:
        if not self.verdicts:
            return None
        r = self.rng
        reason = self.ctx.answerer.fill(r, r.randint(40, 400))
        score = r.randint(1, 10)
        if r.random() < 0.5:
            return f"{reason}\n\nRating: [[{score}]]"
        return orjson.dumps({"score": score % 5 + 1, "reason": reason[:200]}).decode()
