"""Benign personas. Each is setup(world, account) -> ctx, and conv(world, account, t, ctx), which
writes one conversation, agent task or batch job starting at t.

What makes them benign is what they want, not how they call: their prompts come from their own
product's domain or their own data, popular questions recur across users, people follow up on
answers, and evaluators re-run a fixed item set across models. Surface cues come from cues.py.
"""

from __future__ import annotations

import numpy as np
from convo import TOOL_GROUPS, Convo, toolset
from cues import DOMAINS, frame, product_prompt
from wire import Account
from world import CODE_FOLLOW_UPS, FOLLOW_UPS, SUPPORT_FOLLOW_UPS, TUTOR_FOLLOW_UPS, World

CHOICE_BIAS = {"32": 100, "33": 100, "34": 100, "35": 100}  # " A".." D" style label tokens


def _system(a: Account, own: str | None) -> str | None:
    """A persona's own system prompt, with the account's CoT instruction if it uses one there."""
    if own is None:
        return a.cues.system
    return f"{own}\n\n{a.cues.cot_text}" if a.cues.cot == "system" else own


def _turns(a: Account, p_more: float, most: int) -> int:
    return 1 + min(int(a.rng.geometric(1 - p_more)) - 1, most - 1)


def base_ctx(w: World, a: Account) -> dict:
    return {"system": a.cues.system, "tools": a.cues.tools}


# --- customer support: narrow domain, product prompt, tools, short multi-turn ------------------
def setup_support(w: World, a: Account) -> dict:
    bank = a.rng.random() < 0.5
    pool = w.pools.banking if bank else w.pools.bitext
    domain = "online banking" if bank else DOMAINS[int(a.rng.integers(1, len(DOMAINS)))]
    by_intent: dict[str, list[str]] = {}
    for text, intent in pool:
        by_intent.setdefault(intent, []).append(text)
    tools = a.cues.tools
    if tools is None and a.rng.random() < 0.6:
        tools = toolset(a.rng, int(a.rng.integers(3, 8)), ["support"])
    return {
        "system": _system(a, product_prompt(a.rng, domain)),
        "tools": tools,
        "name": "banking" if bank else "bitext",
        "pool": pool,
        "by_intent": by_intent,
    }


def conv_support(w: World, a: Account, t: float, ctx: dict) -> None:
    c = Convo(w.wire, a, t, ctx["system"], ctx["tools"])
    text, intent = w.pick(a, ctx["name"], ctx["pool"], shared=0.3)
    for k in range(_turns(a, 0.5, 6)):
        if k:
            c.think()
            same = ctx["by_intent"][intent]
            text = str(a.rng.choice(SUPPORT_FOLLOW_UPS if a.rng.random() < 0.5 else same))
        if ctx["tools"] and a.rng.random() < 0.5:
            c.act(
                frame(a.cues, text),
                int(a.rng.integers(1, 3)),
                w.chat_length(a, 0.8),
                result_tokens=120,
            )
        else:
            c.say(frame(a.cues, text), w.chat_length(a, 0.8))


# --- consumer chat app: many end users, shared popular questions, follow-ups --------------------
CHAT_MIX = {
    "clinc": 0.3,
    "nq": 0.25,
    "vicuna": 0.1,
    "mt1": 0.05,
    "roles": 0.08,
    "alpaca": 0.05,
    "code": 0.06,
    "gsm8k": 0.04,
    "bitext": 0.04,
    "mmlu": 0.03,
}


def setup_chat(w: World, a: Account) -> dict:
    own = a.cues.system or (product_prompt(a.rng) if a.rng.random() < 0.5 else None)
    return {"system": own, "tools": a.cues.tools}


def conv_chat(w: World, a: Account, t: float, ctx: dict) -> None:
    c = Convo(w.wire, a, t, ctx["system"], ctx["tools"])
    name, text = w.mix(a, CHAT_MIX, shared=0.35)
    second = None
    if name == "mt1":
        second = w.pools.mt_bench[w.src["mt1"].index(text)][1]
    for k in range(_turns(a, 0.45, 8)):
        if k:
            c.think()
            if second is not None:
                text, second = second, None
            elif a.rng.random() < 0.6:
                text = str(a.rng.choice(FOLLOW_UPS))
            else:
                text = w.mix(a, {"clinc": 0.5, "nq": 0.5})[1]
        c.say(frame(a.cues, text), w.chat_length(a))


# --- hosted agent platform: fixed tools, tool loops, long system prompts -----------------------
AGENT_TASKS = {
    "support": ("banking", "bitext", "clinc"),
    "dev": ("code", "humaneval", "code"),
    "office": ("clinc", "alpaca", "clinc"),
    "web": ("nq", "clinc", "vicuna"),
    "data": ("nq", "alpaca", "t0"),
}


def setup_agent(w: World, a: Account) -> dict:
    rng = a.rng
    groups = [
        str(g) for g in rng.choice(sorted(TOOL_GROUPS), size=int(rng.integers(1, 3)), replace=False)
    ]
    tools = a.cues.tools if a.cues.tools and len(a.cues.tools) >= 3 else None
    tools = tools or toolset(rng, int(rng.integers(4, 15)), groups)
    role = w.pick(a, "roles", w.src["roles"]) if rng.random() < 0.5 else ""
    system = "\n\n".join(
        x
        for x in [
            product_prompt(rng),
            a.cues.system or "",
            role,
            "Call tools when you need facts. Never invent tool results.",
        ]
        if x
    )
    tasks = [s for g in groups for s in AGENT_TASKS[g]]
    return {"system": _system(a, system), "tools": tools, "tasks": tasks}


def conv_agent(w: World, a: Account, t: float, ctx: dict) -> None:
    c = Convo(w.wire, a, t, ctx["system"], ctx["tools"])
    for k in range(_turns(a, 0.3, 4)):
        if k:
            c.think(20.0)
        src = ctx["tasks"][int(a.rng.integers(len(ctx["tasks"])))]
        task = w.pick(a, src, w.src[src], shared=0.15)
        steps = min(1 + int(a.rng.poisson(2.0)), 8)
        c.act(
            frame(a.cues, task),
            steps,
            w.chat_length(a),
            result_tokens=float(a.rng.uniform(80, 300)),
        )


# --- tutoring app: step-by-step worked explanations, students follow up ------------------------
TUTOR = (
    "You are a patient tutor for {grade} students. Explain every problem step by step with a "
    "worked example, then check that the student understood. Never just give the answer."
)


def setup_tutor(w: World, a: Account) -> dict:
    grade = str(a.rng.choice(["middle-school", "high-school", "first-year university"]))
    school = [
        q for s, q in w.pools.mmlu if s.startswith(("high_school", "elementary", "college_math"))
    ]
    return {
        "system": _system(a, TUTOR.format(grade=grade)),
        "tools": a.cues.tools,
        "school": school,
    }


def conv_tutor(w: World, a: Account, t: float, ctx: dict) -> None:
    c = Convo(w.wire, a, t, ctx["system"], ctx["tools"])
    if a.rng.random() < 0.6:
        q = w.pick(a, "gsm8k", w.src["gsm8k"], shared=0.4)  # the same homework, many students
    else:
        q = w.pick(a, "school", ctx["school"], shared=0.4)
    for k in range(_turns(a, 0.5, 4)):
        if k:
            c.think(40.0)
            q = str(a.rng.choice(TUTOR_FOLLOW_UPS))
        c.say(frame(a.cues, q), w.length(a, 380, 0.5), "steps")


# --- RAG app: long retrieved context, moderate answers -----------------------------------------
def setup_rag(w: World, a: Account) -> dict:
    rng = a.rng
    kb = [
        w.pools.passages[int(i)]
        for i in rng.choice(len(w.pools.passages), size=int(rng.integers(100, 400)), replace=False)
    ]
    own = product_prompt(rng) + " Answer using only the provided context and cite passage numbers."
    qs = "nq" if rng.random() < 0.6 else str(rng.choice(["clinc", "banking", "bitext"]))
    return {"system": _system(a, own), "tools": a.cues.tools, "kb": kb, "qs": qs}


def conv_rag(w: World, a: Account, t: float, ctx: dict) -> None:
    c = Convo(w.wire, a, t, ctx["system"], ctx["tools"])
    for k in range(_turns(a, 0.25, 3)):
        if k:
            c.think()
        q = w.pick(a, ctx["qs"], w.src[ctx["qs"]], shared=0.2)
        idx = a.rng.choice(len(ctx["kb"]), size=int(a.rng.integers(3, 9)), replace=False)
        context = "\n\n".join(f"[{j + 1}] {ctx['kb'][int(i)]}" for j, i in enumerate(idx))
        c.say(frame(a.cues, f"Context:\n{context}\n\nQuestion: {q}"), w.chat_length(a, 1.1))


# --- coding assistant in an IDE: inline completions with real code-trace sizes, and chat -------
def setup_coding(w: World, a: Account) -> dict:
    tools = a.cues.tools
    if tools is None and a.rng.random() < 0.4:
        tools = toolset(a.rng, int(a.rng.integers(3, 8)), ["dev"])
    own = "You are a coding assistant inside the user's editor. Be concise; show code."
    return {"system": _system(a, own), "tools": tools}


def conv_coding(w: World, a: Account, t: float, ctx: dict) -> None:
    rng = a.rng
    if rng.random() < 0.4:  # inline completion: context and output sizes from the Azure code trace
        ctx_tok, gen = w.pools.azure_code[int(rng.integers(len(w.pools.azure_code)))]
        code = w.wire.texts.make("code", min(ctx_tok, 3000), f"{a.id}{t}")
        Convo(w.wire, a, t, "Continue the code. Output only code.").say(code, gen, "code")
        return
    c = Convo(w.wire, a, t, ctx["system"], ctx["tools"])
    if rng.random() < 0.75:
        q = w.pick(a, "code", w.src["code"], shared=0.2)
    else:
        q = "Why does this fail on some inputs?\n\n" + w.pick(a, "humaneval", w.src["humaneval"])
    for k in range(_turns(a, 0.5, 4)):
        if k:
            c.think(30.0)
            q = str(rng.choice(CODE_FOLLOW_UPS))
        if ctx["tools"] and rng.random() < 0.3:
            c.act(frame(a.cues, q), int(rng.integers(1, 4)), w.length(a, 250), "code")
        else:
            c.say(frame(a.cues, q), w.length(a, 300, 0.7), "code")


# --- multi-tenant SaaS on one key: many sub-customers, each its own app ------------------------
TENANT_KINDS = ["support", "chat", "rag", "agent", "coding"]


def setup_saas(w: World, a: Account) -> dict:
    tenants = []
    for _ in range(int(a.rng.integers(5, 31))):
        kind = str(a.rng.choice(TENANT_KINDS))
        setup, conv = APPS[kind]
        tenants.append((conv, setup(w, a)))
    weights = 1.0 / np.arange(1, len(tenants) + 1)  # a few big tenants, a long tail
    return {"tenants": tenants, "weights": weights / weights.sum()}


def conv_saas(w: World, a: Account, t: float, ctx: dict) -> None:
    conv, tctx = ctx["tenants"][int(a.rng.choice(len(ctx["tenants"]), p=ctx["weights"]))]
    conv(w, a, t, tctx)


# --- an enterprise rolling out to teams, and the long tail of small developers -----------------
OFFICE_MIX = {
    "clinc": 0.3,
    "code": 0.2,
    "nq": 0.15,
    "bitext": 0.1,
    "alpaca": 0.1,
    "t0": 0.1,
    "roles": 0.05,
}
INDIE_MIX = {
    "alpaca": 0.15,
    "code": 0.2,
    "t0": 0.1,
    "nq": 0.15,
    "clinc": 0.1,
    "vicuna": 0.05,
    "gsm8k": 0.1,
    "mmlu": 0.05,
    "roles": 0.1,
}


def conv_office(w: World, a: Account, t: float, ctx: dict) -> None:
    c = Convo(w.wire, a, t, ctx["system"], ctx["tools"])
    text = w.mix(a, OFFICE_MIX, shared=0.3)[1]  # colleagues ask the same things
    for k in range(_turns(a, 0.5, 6)):
        if k:
            c.think()
            text = str(a.rng.choice(FOLLOW_UPS))
        c.say(frame(a.cues, text), w.chat_length(a))


def conv_indie(w: World, a: Account, t: float, ctx: dict) -> None:
    """A hobbyist building something: varied prompts, and the same test prompt again and again."""
    recent = ctx.setdefault("recent", [])
    if recent and a.rng.random() < 0.25:
        text = recent[int(a.rng.integers(len(recent)))]
    else:
        text = w.mix(a, INDIE_MIX, shared=0.1)[1]
        recent[:] = ([*recent, text])[-10:]
    c = Convo(w.wire, a, t, ctx["system"], ctx["tools"])
    for k in range(_turns(a, 0.3, 4)):
        if k:
            c.think()
            text = str(a.rng.choice(FOLLOW_UPS))
        c.say(frame(a.cues, text), w.chat_length(a, 1.3))


APPS = {
    "support": (setup_support, conv_support),
    "chat": (setup_chat, conv_chat),
    "agent": (setup_agent, conv_agent),
    "tutor": (setup_tutor, conv_tutor),
    "rag": (setup_rag, conv_rag),
    "coding": (setup_coding, conv_coding),
    "saas": (setup_saas, conv_saas),
    "office": (base_ctx, conv_office),
    "indie": (base_ctx, conv_indie),
}
