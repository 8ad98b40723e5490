"""Extraction strategies run from a single account each.

Coordinated ones (hydra campaigns, resellers) are in `sim.campaigns`; they reuse the
task makers here (`broad_task`, `cot_task`), as real operations share their pipelines.
"""

from __future__ import annotations

import random
from typing import Any

from distillguard.sim.actor import Actor, Turn
from distillguard.sim.paraphrase import frame, reword
from distillguard.sim.prompts import PromptBank
from distillguard.sim.responses import filler

COT_SUFFIXES = (
    "Think step by step and justify your answer.",
    "Explain your reasoning in detail before giving the final answer.",
    "Show your work step by step, then state the answer.",
    "Let's work this out in a step by step way to be sure we have the right answer.",
)


def broad_task(rng: random.Random, bank: PromptBank, variant: int) -> tuple[str, str | None]:
    """A self-instruct style instruction (and the dataset answer, if there is one)."""
    u = rng.random()
    if u < 0.3:
        inst, inp, out = bank.alpaca[rng.randrange(len(bank.alpaca))]
        return reword(rng, inst) + (f"\n\n{inp}" if inp else ""), out
    if u < 0.55:
        inst, inp, out = bank.code[rng.randrange(len(bank.code))]
        return reword(rng, inst) + (f"\n\n{inp}" if inp else ""), out
    if u < 0.75:
        prompt, completion = bank.t0[rng.randrange(len(bank.t0))]
        return prompt, completion
    pool = rng.choice((bank.nq, bank.vicuna, bank.clinc))
    topic = pool[rng.randrange(len(pool))]
    return frame(rng, topic[0] if isinstance(topic, tuple) else topic, variant), None


def cot_task(rng: random.Random, bank: PromptBank) -> tuple[str, str, str | None]:
    """(Orca system message, task asking for step-by-step justification, answer)."""
    system = bank.orca[rng.randrange(len(bank.orca))]
    suffix = rng.choice(COT_SUFFIXES)
    u = rng.random()
    if u < 0.4:
        prompt, answer = bank.t0[rng.randrange(len(bank.t0))]
        return system, f"{prompt}\n\n{suffix}", answer
    if u < 0.7:
        q, a = bank.gsm8k[rng.randrange(len(bank.gsm8k))]
        return system, f"{q}\n{suffix}", a
    _subject, q, choices, ans = bank.mmlu[rng.randrange(len(bank.mmlu))]
    opts = "\n".join(f"({letter}) {c}" for letter, c in zip("ABCD", choices, strict=False))
    return system, f"{q}\n{opts}\n{suffix}", f"The answer is ({'ABCD'[ans]})."


class BroadHarvest(Actor):
    """Self-instruct/Alpaca harvesting: many distinct instructions, long answers, 24/7."""

    kind = "broad_harvest"
    label = "extraction"
    shape = "flat"
    per_day_range = ((2000.0, 8000.0), (1500.0, 6000.0))
    models = (("m-large", 0.8), ("m-reason", 0.2))

    def setup(self) -> None:
        r = self.rng
        if self.ctx.variant == 1:
            self.shape = "diurnal"
        self.system = r.choice(
            (
                None,
                "You are a helpful assistant.",
                "You are a helpful, respectful and honest assistant. Always answer in detail.",
            )
        )
        self.params = {
            "temperature": r.choice((0.7, 0.9, 1.0)),
            "max_tokens": r.choice((2048, 4096)),
        }
        self.magpie = r.random() < 0.4  # some pipelines also sample instructions Magpie-style

    def turn(self) -> Turn:
        r, b = self.rng, self.ctx.bank
        if self.magpie and r.random() < 0.08:
            req = {
                "model": self.model,
                "prompt": self.pick(b.magpie),
                "temperature": 1.0,
                "max_tokens": 256,
            }
            return self.ask(req, endpoint="completions", scale=0.5)
        text, answer = broad_task(r, b, self.ctx.variant)
        messages = [{"role": "user", "content": text}]
        if self.system:
            messages.insert(0, {"role": "system", "content": self.system})
        return self.ask(self.chat(messages, **self.params), answer=answer, scale=2.5)


class CotHarvest(Actor):
    """Orca-style explanation tuning: system messages that demand step-by-step reasons."""

    kind = "cot_harvest"
    label = "extraction"
    shape = "flat"
    per_day_range = ((1500.0, 6000.0), (1000.0, 5000.0))
    models = (("m-reason", 0.5), ("m-large", 0.5))

    def setup(self) -> None:
        self.params = {"temperature": self.rng.choice((0.0, 0.7)), "max_tokens": 4096}

    def turn(self) -> Turn:
        system, user, answer = cot_task(self.rng, self.ctx.bank)
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        req = self.chat(
            messages, reasoning_effort="high" if self.model == "m-reason" else None, **self.params
        )
        return self.ask(req, answer=answer, scale=3.5)


def _tool(name: str, desc: str, **props: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": desc,
            "parameters": {
                "type": "object",
                "properties": {k: {"type": v} for k, v in props.items()},
                "required": list(props),
            },
        },
    }


TOOLS = (
    _tool("bash", "Run a shell command in the sandbox and return stdout/stderr.", command="string"),
    _tool("read_file", "Read a file from the repository.", path="string"),
    _tool("write_file", "Overwrite a file with new content.", path="string", content="string"),
    _tool("search_code", "Search the repository for a regular expression.", pattern="string"),
    _tool("run_tests", "Run the test suite, optionally one test file.", target="string"),
    _tool("python", "Execute Python code and return the output.", code="string"),
)
AGENT_SYSTEMS = (
    "You are an autonomous software engineering agent working in a sandboxed repository. Use "
    "the tools to inspect, edit and test code. Think step by step before each action. When "
    "the task is complete, reply with a summary and the final code.",
    "You are CodeAct, an expert programmer. Solve the user's task by calling tools; verify "
    "your solution with tests before answering. Explain each decision briefly.",
)
TOOL_OUTPUTS = (
    "exit code 0",
    "1 passed in 0.02s",
    "Traceback (most recent call last): ...",
    "def main():\n    ...",
    "no matches",
    "OK",
)


class CapabilityHarvest(Actor):
    """Concentrated on one capability (agentic coding): tools, scaffolds, trajectories."""

    kind = "capability_harvest"
    label = "extraction"
    shape = "flat"
    per_day_range = ((1000.0, 4000.0), (800.0, 3000.0))
    models = (("m-large", 0.7), ("m-reason", 0.3))

    def setup(self) -> None:
        self.tools = list(self.rng.sample(TOOLS, self.rng.randint(3, 6)))
        self.system = AGENT_SYSTEMS[self.ctx.variant]
        self.episode: list[dict[str, Any]] = []
        self.steps_left = 0

    def _new_episode(self) -> None:
        r, b = self.rng, self.ctx.bank
        if r.random() < 0.7:
            inst, inp, _out = self.pick(b.code)
            task = inst + (f"\n\n{inp}" if inp else "")
        else:
            code = self.pick(b.humaneval)[1]
            task = f"Complete this function and make its tests pass:\n```python\n{code}```"
        self.episode = [
            {"role": "system", "content": self.system},
            {"role": "user", "content": task},
        ]
        self.steps_left = r.randint(2, 8)

    def turn(self) -> Turn:
        if self.steps_left <= 0:
            self._new_episode()
        self.steps_left -= 1
        final = self.steps_left == 0
        tool = None if final else self.pick(self.tools)["function"]["name"]
        req = self.chat(
            list(self.episode),
            tools=self.tools,
            tool_choice="auto",
            temperature=0.2,
            max_tokens=4096,
        )
        t = self.ask(req, lengths="code", scale=8.0 if final else 2.0, tool=tool)
        if t.reply.response is None:
            self.steps_left = 0
        elif tool:
            message = t.reply.response["choices"][0]["message"]
            call = message["tool_calls"][0]
            self.episode = [
                *self.episode,
                message,
                {"role": "tool", "tool_call_id": call["id"], "content": self.pick(TOOL_OUTPUTS)},
            ]
        return t


JUDGE_SINGLE = (
    "[Instruction]\nPlease act as an impartial judge and evaluate the quality of the response "
    "provided by an AI assistant to the user question displayed below. Consider helpfulness, "
    "relevance, accuracy, depth and level of detail. Begin with a short explanation, then rate "
    'the response on a scale of 1 to 10 strictly in the format "[[rating]]".\n\n'
    "[Question]\n{q}\n\n[The Start of Assistant's Answer]\n{a}\n[The End of Assistant's Answer]"
)
JUDGE_RUBRIC = (
    "Rate the following response 1-10 against this rubric: correctness (4 pts), completeness "
    "(3 pts), clarity (2 pts), safety (1 pt). Return JSON with per-criterion scores and a "
    "total.\n\nPrompt: {q}\n\nResponse: {a}"
)
JUDGE_PAIR = (
    "Please act as an impartial judge and compare the two responses to the user question "
    'below. Output your final verdict strictly as "[[A]]" if assistant A is better, '
    '"[[B]]" if assistant B is better, and "[[C]]" for a tie.\n\n[User Question]\n{q}\n\n'
    "[Assistant A]\n{a}\n\n[Assistant B]\n{b}"
)


class RubricGrading(Actor):
    """Reward-model harvesting: the model grades responses, singly or in pairs."""

    kind = "rubric_grading"
    label = "extraction"
    shape = "flat"
    per_day_range = ((1000.0, 4000.0), (800.0, 3000.0))
    models = (("m-large", 0.7), ("m-reason", 0.3))

    def setup(self) -> None:
        self.json = self.rng.random() < 0.4
        self.pair_share = (0.4, 0.6)[self.ctx.variant]

    def _candidate(self) -> str:
        b = self.ctx.bank
        pool = self.pick(("alpaca", "code", "gsm8k", "bitext", "t0"))
        row = self.pick(getattr(b, pool))
        text = row[2] if pool in ("alpaca", "code", "bitext") else row[1]
        return str(text)[:500]

    def turn(self) -> Turn:
        r, b = self.rng, self.ctx.bank
        q = self.pick(b.mt_bench)[1] if r.random() < 0.5 else self.pick(b.alpaca)[0]
        if r.random() < self.pair_share:
            prompt, answer = JUDGE_PAIR.format(q=q, a=self._candidate(), b=self._candidate()), None
        elif self.json:
            prompt = JUDGE_RUBRIC.format(q=q, a=self._candidate())
            answer = '{"correctness": 3, "completeness": 2, "clarity": 2, "safety": 1, "total": 8}'
        else:
            prompt, answer = JUDGE_SINGLE.format(q=q, a=self._candidate()), None
        req = self.chat(
            [{"role": "user", "content": prompt}],
            temperature=0.0,
            max_tokens=512,
            response_format={"type": "json_object"} if self.json else None,
        )
        if answer is None:
            answer = f"{filler(q)} Rating: [[{1 + len(q) % 10}]]"
        return self.ask(req, answer=answer, scale=1.2)


class LogitProbe(Actor):
    """Carlini et al. (2024) style: logit_bias sweeps over token ids, top_logprobs, 1 token."""

    kind = "logit_probe"
    label = "extraction"
    shape = "flat"
    per_day_range = ((1000.0, 5000.0), (800.0, 4000.0))
    models = (("m-large", 1.0),)

    def setup(self) -> None:
        r, b = self.rng, self.ctx.bank
        self.prompts = [self.pick(b.clinc) for _ in range(r.randint(1, 3))] + ["Hello", "The"][
            : r.randint(1, 2)
        ]
        self.vocab = r.choice((100_256, 200_019))
        self.cursor = r.randrange(self.vocab)
        self.width = r.randint(1, 10)  # token ids biased per request
        self.top = r.choice((5, 10, 20))
        self.biases = (100.0,) if r.random() < 0.5 else (25.0, 50.0, 100.0, -100.0)
        if self.ctx.variant == 1:
            self.shape = "sparse"

    def turn(self) -> Turn:
        ids = [(self.cursor + i) % self.vocab for i in range(self.width)]
        self.cursor = (self.cursor + self.width) % self.vocab
        bias = self.pick(self.biases)
        req = self.chat(
            [{"role": "user", "content": self.pick(self.prompts)}],
            temperature=0.0,
            max_tokens=1,
            logprobs=True,
            top_logprobs=self.top,
            logit_bias={str(i): bias for i in ids},
        )
        return self.ask(req)


GENERIC_SYSTEMS = (
    "You are a helpful assistant.",
    "You are {name}, a knowledgeable tutor.",
    "Act as an expert consultant. Be detailed.",
    "You are a friendly AI named {name}.",
)
DEEPER = (
    "Can you go deeper and explain each step?",
    "Thanks. Now justify every step.",
    "Great, expand that into a full answer with examples.",
)


class Evasive(Actor):
    """A careful distiller: benign-looking rate and rhythm, reworded tasks, varied prompts."""

    kind = "evasive"
    label = "extraction"
    shape = "diurnal"
    per_day_range = ((200.0, 600.0), (250.0, 800.0))
    models = (("m-large", 0.6), ("m-reason", 0.4))

    def _system(self) -> str | None:
        r, b = self.rng, self.ctx.bank
        u = r.random()
        if u < 0.25:
            return None
        if u < 0.5:
            return str(self.pick(b.roles)[1])
        if u < 0.75:
            return reword(r, self.pick(b.orca), p=0.7)
        return self.pick(GENERIC_SYSTEMS).format(name=r.choice(("Ada", "Leo", "Max", "Zoe")))

    def turn(self) -> Turn:
        r, b = self.rng, self.ctx.bank
        if r.random() < 0.55:
            text, answer = broad_task(r, b, self.ctx.variant)
        else:
            _sys, text, answer = cot_task(r, b)
        text = reword(r, text, p=0.7)
        system = self._system()
        messages = [{"role": "system", "content": system}] if system else []
        u = r.random()
        if u < 0.15:  # a made-up earlier exchange, so the log shows a conversation
            opener = self.pick(b.clinc)
            messages += [
                {"role": "user", "content": opener},
                {"role": "assistant", "content": filler(opener)},
            ]
            messages.append({"role": "user", "content": text})
        elif u < 0.25:
            messages += [
                {"role": "user", "content": text},
                {"role": "assistant", "content": filler(text)},
                {"role": "user", "content": self.pick(DEEPER)},
            ]
        else:
            messages.append({"role": "user", "content": text})
        req = self.chat(
            messages,
            temperature=round(r.uniform(0.5, 1.1), 1),
            max_tokens=r.choice((None, 1024, 2048, 4096)),
            model=r.choice(("m-large", "m-reason")) if r.random() < 0.2 else None,
        )
        return self.ask(req, answer=answer, scale=2.5)
