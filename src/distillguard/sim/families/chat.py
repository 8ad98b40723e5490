"""Chat accounts: sessions of one or more turns, with optional tools and retrieved context.

A `ChatPersona` holds one or more `Talk`s (a product's users, a SaaS's tenants, a
harvest stream and its cover traffic) and picks one per session by weight. The `Style`
of a talk (system prompt, template, step-by-step phrasing, tools) comes from the surface
and is label-blind; the rest of a talk (where first turns come from, how often users
follow up and whether follow-ups engage with the answer, whether tool calls get results,
how long answers are asked to be) is the traffic's purpose, drawn in `purpose`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from distillguard.sim.families import texts, tools
from distillguard.sim.families.persona import Exchange, Persona
from distillguard.sim.families.pickers import Picker
from distillguard.sim.families.sources import Item
from distillguard.sim.families.surface import Surface
from distillguard.sim.families.timing import extra_turns, think_s

TOOL_DOMAINS = {
    "support": ["support", "general"],
    "coding": ["coding"],
    "data": ["data"],
    "travel": ["travel", "general"],
    "hr": ["office"],
    "research": ["general", "data"],
}


@dataclass(frozen=True, slots=True)
class Style:
    """How one account (or tenant) words its requests; drawn from the surface only."""

    system: str | None = None
    template: str | None = None
    cot: str | None = None
    cot_system: bool = False
    tools: list[dict[str, Any]] | None = None
    tools_share: float = 0.0


def style_for(
    rng: random.Random,
    s: Surface,
    personas: tuple[str, ...],
    domain: str,
    *,
    system: str | None = None,
) -> Style:
    """The surface's cues made concrete: `system` forces a system prompt (a product's)."""
    sys_text = system
    if sys_text is None and s.system:
        sys_text = texts.system_prompt(rng, domain, list(personas))
    cot = None
    if s.cot == "system":
        cot = rng.choice(texts.COT_SYSTEM)
        sys_text = f"{sys_text} {cot}" if sys_text else cot
    elif s.cot == "user":
        cot = rng.choice(texts.COT_USER)
    defs = None
    if s.tools:
        defs = tools.definitions(rng, TOOL_DOMAINS.get(domain, ["general"]), s.tools)
    return Style(
        system=sys_text,
        template=texts.template(rng) if s.template else None,
        cot=cot,
        cot_system=s.cot == "system",
        tools=defs,
        tools_share=s.tools_share,
    )


@dataclass(slots=True)
class Talk:
    """One stream of sessions: its style and its purpose."""

    style: Style
    opener: Picker
    answer_scale: float = 1.0
    follow_mean: float = 0.0  # mean follow-up turns after the first
    follow_real: float = 0.8  # share of follow-ups that engage with the answer
    gap_s: float = 40.0  # median think time before a follow-up
    long_ask: float = 0.0  # share of first turns asking for a long answer
    short_ask: float = 0.0
    answers_tools: float = 1.0  # share of tool calls answered with a result
    tool_rate: float = 0.25  # share of replies that call a tool when tools are offered
    context: Picker | None = None  # retrieved passages (RAG)
    context_k: tuple[int, int] = (1, 3)
    lengths: str = "conv"
    batch_mean: float = 0.0  # further new prompts sent in the same burst (a script's batch)
    batch_gap: float = 2.0  # median seconds between them


@dataclass(slots=True)
class Conv:
    """An open session: its talk, first item, messages so far and follow-ups left."""

    talk: Talk
    item: Item
    messages: list[dict[str, Any]]
    left: int
    tools: list[dict[str, Any]] | None
    turns: int = 0
    retries: int = 0


class ChatPersona(Persona):
    """Sessions of chat turns drawn from weighted talks."""

    def __init__(self, *args: Any, talks: list[tuple[float, Talk]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.talks = [t for _w, t in talks]
        self.weights = [w for w, _t in talks]

    def events_per_session(self) -> float:
        total = sum(self.weights)
        pairs = zip(self.weights, self.talks, strict=True)
        return sum(w * (1 + t.follow_mean) * (1 + t.batch_mean) for w, t in pairs) / total

    def choose(self) -> Talk:
        if len(self.talks) == 1:
            return self.talks[0]
        return self.rng.choices(self.talks, self.weights)[0]

    def open(self, t: float, talk: Talk | None = None) -> Exchange | None:
        if talk is None:  # a session start: maybe a burst of further new prompts follows
            talk = self.choose()
            gap = 0.0
            for _ in range(extra_turns(self.rng, talk.batch_mean, 20)):
                gap += think_s(self.rng, talk.batch_gap)
                self.later(t + gap, talk)
        item = talk.opener.next(self.rng)
        msgs: list[dict[str, Any]] = []
        if talk.style.system:
            msgs.append({"role": "system", "content": talk.style.system})
        msgs.append({"role": "user", "content": self.compose(talk, item)})
        offered = talk.style.tools if self.rng.random() < talk.style.tools_share else None
        left = extra_turns(self.rng, talk.follow_mean)
        return self.turn(t, Conv(talk, item, msgs, left, offered))

    def follow(self, t: float, state: Any) -> Exchange | None:
        if isinstance(state, Talk):  # the next new prompt of a burst
            return self.open(t, state)
        return self.turn(t, state)

    def compose(self, talk: Talk, item: Item) -> str:
        """The first user message: payload, context, template, phrasing."""
        r, st = self.rng, talk.style
        text = item.text
        if talk.context is not None:
            docs = [talk.context.next(r).text for _ in range(r.randint(*talk.context_k))]
            text = _with_context(r, docs, text)
        if st.template:
            text = texts.wrap(st.template, text)
        tail = []
        if st.cot and not st.cot_system:
            tail.append(st.cot)
        u = r.random()
        if u < talk.long_ask:
            tail.append(r.choice(texts.LONG_ASKS))
        elif u < talk.long_ask + talk.short_ask:
            tail.append(r.choice(texts.SHORT_ASKS))
        return f"{text}\n\n{' '.join(tail)}" if tail else text

    def short_answer(self, conv: Conv) -> str | None:
        """A fixed short reply (a label, a score) instead of a free answer; None by default."""
        return None

    def turn(self, t: float, conv: Conv) -> Exchange:
        """Send the session's messages; schedule what the client does next."""
        talk, r = conv.talk, self.rng
        req = self.chat(list(conv.messages), tools=conv.tools)
        call = None
        last = conv.messages[-1]
        if conv.tools and last["role"] != "tool" and r.random() < talk.tool_rate:
            call = tools.call(r, conv.tools, str(last.get("content") or ""))
        ex = self.ask(
            req,
            scale=talk.answer_scale,
            ref=conv.item.ref if conv.turns == 0 else "",
            cot=talk.style.cot is not None,
            lengths=talk.lengths,
            label=self.short_answer(conv) if call is None else None,
            tool_call=call,
        )
        conv.turns += 1
        self.next_turn(t, conv, ex, call)
        return ex

    def next_turn(self, t: float, conv: Conv, ex: Exchange, call: dict[str, Any] | None) -> None:
        r, talk = self.rng, conv.talk
        done = ex.reply.latency_ms / 1000.0
        if ex.reply.response is None:  # failed: clients retry after a back-off, a few times
            if conv.retries < 3 and r.random() < 0.7:
                conv.retries += 1
                self.later(t + done + r.uniform(1, 20) * conv.retries, conv)
            return
        if call is not None:
            if r.random() < talk.answers_tools:
                snippet = self.ctx.answerer.fill(r, 700)
                conv.messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
                result = tools.result(r, call, snippet)
                conv.messages.append(
                    {"role": "tool", "tool_call_id": call["id"], "content": result}
                )
                self.later(t + done + r.uniform(0.3, 4.0), conv)
            return
        if conv.left <= 0:
            return
        conv.left -= 1
        answer = ex.reply.content
        conv.messages.append({"role": "assistant", "content": answer})
        first = conv.item.turn2 if conv.turns == 1 and conv.item.turn2 else None
        prompt = str(conv.messages[-2].get("content") or "")
        text = first or texts.follow_up(r, talk.follow_real, answer, prompt)
        conv.messages.append({"role": "user", "content": text})
        self.later(t + done + think_s(r, talk.gap_s), conv)


def _with_context(rng: random.Random, docs: list[str], question: str) -> str:
    joined = "\n\n".join(f"[{i + 1}] {d}" for i, d in enumerate(docs))
    form = rng.choice(
        (
            "Use the context to answer.\n\nContext:\n{c}\n\nQuestion: {q}",
            "{c}\n\nBased only on the documents above, answer: {q}",
            "<documents>\n{c}\n</documents>\n\n{q}",
        )
    )
    return form.format(c=joined, q=question)
