"""Agent accounts: tasks that unfold as tool-call / tool-result loops.

Both sides of the agents family send tool definitions on every request. A hosted agent
platform runs each call and sends back a result that depends on it, for as many steps as
the task needs, and its end users follow up on the outcome; its tasks are its users'
(synthetic, domain-bound, often repeated). An agentic-trace harvester walks an
instruction data set as "tasks", often takes the model's first tool call and leaves,
answers the rest with a canned stub, and asks for long final answers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from distillguard.sim.families import texts, tools
from distillguard.sim.families.chat import Style
from distillguard.sim.families.persona import Exchange, Persona
from distillguard.sim.families.pickers import Picker
from distillguard.sim.families.sources import Item, Pool
from distillguard.sim.families.timing import extra_turns, think_s

CANNED = ('{"status": "ok"}', "OK", "Tool executed successfully.", '{"result": null}', "done")


@dataclass(slots=True)
class AgentPlan:
    """What one account's tasks are for."""

    style: Style  # tools always present
    opener: Picker
    steps_mean: float  # mean tool calls per task
    loop: float  # share of tool calls the client runs and answers
    canned: float  # share of answers that are a canned stub instead of a real result
    answer_scale: float
    follow_mean: float  # user follow-ups after the final answer
    gap_s: float


@dataclass(slots=True)
class Run:
    item: Item
    messages: list[dict[str, Any]]
    steps: int
    follows: int
    turns: int = 0


def task_pool(rng: random.Random, domain: str, size: int) -> Pool:
    """A platform's end-user tasks: synthetic and domain-bound (not from any data set)."""
    items = tuple(dict.fromkeys(Item(tools.task(rng, domain), source="tasks") for _ in range(size)))
    return Pool(f"tasks_{domain}", "all", items)


class AgentPersona(Persona):
    def __init__(self, *args: Any, plan: AgentPlan, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.job = plan

    def events_per_session(self) -> float:
        p = self.job
        return 1.0 + p.steps_mean * max(p.loop, 0.2) + p.follow_mean

    def open(self, t: float) -> Exchange | None:
        p, r = self.job, self.rng
        item = p.opener.next(r)
        msgs: list[dict[str, Any]] = []
        if p.style.system:
            msgs.append({"role": "system", "content": p.style.system})
        text = texts.wrap(p.style.template, item.text) if p.style.template else item.text
        if p.style.cot and not p.style.cot_system:
            text = f"{text}\n\n{p.style.cot}"
        msgs.append({"role": "user", "content": text})
        run = Run(
            item, msgs, max(1, extra_turns(r, p.steps_mean, 12)), extra_turns(r, p.follow_mean, 4)
        )
        return self.step(t, run)

    def follow(self, t: float, state: Any) -> Exchange | None:
        return self.step(t, state)

    def step(self, t: float, run: Run) -> Exchange:
        p, r = self.job, self.rng
        req = self.chat(list(run.messages), tools=p.style.tools)
        if r.random() < 0.3:
            req["tool_choice"] = "auto"
        call = None
        if run.steps > 0 and p.style.tools:
            call = tools.call(r, p.style.tools, run.item.text)  # arguments from the task
        ex = self.ask(
            req,
            scale=p.answer_scale,
            cot=p.style.cot is not None,
            lengths="code" if r.random() < 0.3 else "conv",
            tool_call=call,
        )
        run.turns += 1
        if ex.reply.response is not None:
            self.after(t + ex.reply.latency_ms / 1000.0, run, ex, call)
        return ex

    def after(self, t: float, run: Run, ex: Exchange, call: dict[str, Any] | None) -> None:
        p, r = self.job, self.rng
        if call is not None:
            if r.random() >= p.loop:
                return  # the client took the call and left
            run.steps -= 1
            result = r.choice(CANNED) if r.random() < p.canned else self._result(call)
            run.messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
            run.messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
            self.later(t + r.uniform(0.2, 6.0), run)
            return
        if run.follows <= 0:
            return
        run.follows -= 1
        answer = ex.reply.content
        run.messages.append({"role": "assistant", "content": answer})
        run.messages.append({"role": "user", "content": texts.real_follow_up(r, answer, "")})
        run.steps = extra_turns(r, p.steps_mean / 2, 6)
        self.later(t + think_s(r, p.gap_s), run)

    def _result(self, call: dict[str, Any]) -> str:
        return tools.result(self.rng, call, self.ctx.answerer.fill(self.rng, 700))
