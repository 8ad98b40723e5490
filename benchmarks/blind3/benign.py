"""Benign application personas: people (through an app) or services using the API."""

from __future__ import annotations

from . import catalog as C
from .common import converse, first_messages, fmt_sys, pick, schedule, tool_loop, with_cot


def _uid(a, r, n_users: int) -> str:
    base = a.extra.setdefault("ubase", int(r.integers(0, 10**6)))
    return f"u_{(base * 31 + int(r.zipf(1.6)) % n_users) % 10**7:07d}"


def _ntok(ctx, scale: float, kind: str = "conv"):
    return lambda r: ctx.T.gen_tokens(r, kind, scale)


def _tools(a):
    return a.cues["tools"]


def support_bot(ctx, a, net):
    P, r = ctx.P, a.rng
    system = fmt_sys(r, pick(r, C.SUPPORT_SYS))
    fu = a.extra["fu"]
    for t in schedule(ctx, a, 1 / (1 - fu)):
        k = r.random()
        q = (
            pick(r, P.bitext)[0]
            if k < 0.5
            else pick(r, P.banking)[0]
            if k < 0.8
            else pick(r, P.clinc)[0]
        )
        msgs = first_messages(a, system, q)
        converse(
            ctx,
            a,
            net,
            t,
            msgs,
            lambda r: pick(r, C.SUPPORT_FOLLOWUPS) if r.random() < 0.6 else pick(r, P.bitext)[0],
            ntok=_ntok(ctx, 0.9),
            tools=_tools(a),
            tool_p=0.3,
            gap=35,
            user=_uid(a, r, 5000),
        )


def _chat_opener(r, P) -> str:
    k = r.random()
    if k < 0.25:
        return pick(r, P.nq)
    if k < 0.37:
        return pick(r, P.vicuna)
    if k < 0.45:
        return pick(r, P.mt_bench)[1][0]
    if k < 0.6:
        return pick(r, P.clinc)[0]
    if k < 0.68:
        return pick(r, P.awesome)[1][:1500]
    if k < 0.78:
        return pick(r, P.alpaca)[0]
    if k < 0.84:
        return pick(r, P.bitext)[0]
    topic = pick(r, P.nq)
    return pick(
        r,
        [
            "help me write a message to my landlord about {t}",
            "can you explain {t}",
            "I'm curious: {t}",
            "write a short poem about {t}",
            "{t}? asking for a friend",
            "what should I know about {t}",
        ],
    ).format(t=topic)


def _chat_follow(P):
    return lambda r: pick(r, C.FOLLOWUPS) if r.random() < 0.7 else pick(r, P.mt_bench)[1][-1]


def consumer_chat(ctx, a, net):
    P, r = ctx.P, a.rng
    system = fmt_sys(r, pick(r, C.CHAT_SYS)) if r.random() < 0.6 else pick(r, P.awesome)[1][:2500]
    fu = a.extra["fu"]
    for t in schedule(ctx, a, 1 / (1 - fu)):
        msgs = first_messages(a, system, _chat_opener(r, P))
        converse(
            ctx,
            a,
            net,
            t,
            msgs,
            _chat_follow(P),
            ntok=_ntok(ctx, 1.2),
            tools=_tools(a),
            tool_p=0.15,
            gap=50,
            user=_uid(a, r, 20000),
        )


def _task(r, P) -> str:
    k = r.random()
    if k < 0.55:
        return pick(r, C.AGENT_TASKS).format(
            x=pick(r, C.PLACES), y=pick(r, C.PLACES), t=pick(r, P.nq)
        )
    if k < 0.8:
        return pick(r, P.clinc)[0]
    return pick(r, P.code_alpaca)[0]


def agent_platform(ctx, a, net):
    P, r = ctx.P, a.rng
    system = fmt_sys(r, pick(r, C.AGENT_SYS))
    tools = _tools(a)
    for t in schedule(ctx, a, 3.2):
        msgs = first_messages(a, system, _task(r, P))
        t = tool_loop(
            ctx,
            a,
            net,
            t,
            msgs,
            tools,
            steps=int(r.choice([0, 1, 2, 2, 3, 4, 6])),
            ntok=_ntok(ctx, 1.0),
            user=_uid(a, r, 3000),
        )
        if r.random() < a.cues["followup"] * 0.5:
            msgs.append({"role": "user", "content": pick(r, C.FOLLOWUPS)})
            tool_loop(ctx, a, net, t + 40, msgs, tools, steps=1, ntok=_ntok(ctx, 1.0))


def tutoring(ctx, a, net):
    P, r = ctx.P, a.rng
    system = fmt_sys(r, pick(r, C.TUTOR_SYS))
    assigned = [
        P.gsm8k[int(i)] for i in r.choice(len(P.gsm8k), int(r.integers(60, 300)), replace=False)
    ]
    hs = [m for m in P.mmlu if m[0].startswith(("high_school", "elementary", "college_math"))]
    fu = a.extra["fu"]
    for t in schedule(ctx, a, 1 / (1 - fu)):
        k = r.random()
        if k < 0.6:
            q, ref = pick(r, assigned)
        elif k < 0.85:
            m = pick(r, hs)
            q, ref = m[1] + "\n" + "\n".join(f"{'ABCD'[i]}) {c}" for i, c in enumerate(m[2])), ""
        else:
            q, ref = pick(r, P.alpaca)
        q = pick(
            r,
            [
                "{q}",
                "can someone help me with this: {q}",
                "I don't understand how to do this. {q}",
                "Homework question: {q}",
                "{q} pls explain",
            ],
        ).format(q=q)
        msgs = first_messages(a, system, q)
        converse(
            ctx,
            a,
            net,
            t,
            msgs,
            C.TUTOR_FOLLOWUPS,
            style="steps",
            ref=ref,
            ntok=_ntok(ctx, 2.0),
            gap=70,
            user=_uid(a, r, 8000),
        )


def rag_app(ctx, a, net):
    P, r = ctx.P, a.rng
    system = fmt_sys(r, pick(r, C.RAG_SYS))
    fu = a.extra["fu"]
    for t in schedule(ctx, a, 1 / (1 - fu) + 0.6):
        q = pick(r, P.nq) if r.random() < 0.7 else pick(r, P.clinc)[0]
        ip = ctx.ip(a, net)
        if r.random() < 0.6:
            ctx.embed(a, net, t, [q], ip=ip)
            t += 0.15
        docs = [pick(r, P.passages)[:2500] for _ in range(int(r.integers(3, 9)))]
        ctxt = "\n\n".join(f"[{i + 1}] {d}" for i, d in enumerate(docs))
        msgs = first_messages(a, system, f"Context:\n{ctxt}\n\nQuestion: {q}", force_system=True)
        converse(
            ctx,
            a,
            net,
            t,
            msgs,
            _chat_follow(P),
            ntok=_ntok(ctx, 1.3),
            gap=40,
            ip=ip,
            user=_uid(a, r, 4000),
        )


def multitenant_saas(ctx, a, net):
    """Many tenants' end users through one key: support, chat, writing, code, summaries."""
    P, r = ctx.P, a.rng
    tenants = []
    for _ in range(int(r.integers(5, 30))):
        kind = pick(r, ["support", "chat", "write", "code", "summary"])
        lib = {
            "support": C.SUPPORT_SYS,
            "chat": C.CHAT_SYS,
            "write": C.GENERIC_SYS,
            "code": C.CODE_SYS,
            "summary": C.RAG_SYS,
        }[kind]
        tenants.append((kind, fmt_sys(r, pick(r, lib))))
    fu = a.extra["fu"]
    for t in schedule(ctx, a, 1 / (1 - fu)):
        legit_session(ctx, a, net, t, pick(r, tenants), fu)


def legit_session(ctx, a, net, t, tenant, fu):
    P, r = ctx.P, a.rng
    kind, system = tenant
    style, q = "prose", None
    if kind == "support":
        q = pick(r, P.bitext)[0] if r.random() < 0.6 else pick(r, P.banking)[0]
    elif kind == "chat":
        q = _chat_opener(r, P)
    elif kind == "write":
        q = pick(
            r,
            [
                "Write a product description for {t}",
                "Draft a polite reply to this email: {t}",
                "Give me 5 title ideas for an article about {t}",
                "Rewrite this more professionally: {t}",
            ],
        ).format(t=pick(r, P.nq) if r.random() < 0.5 else pick(r, P.clinc)[0])
    elif kind == "code":
        p, _ = pick(r, P.code_alpaca)
        q, style = p, "code"
    else:
        q = "Summarize this for a busy executive:\n\n" + pick(r, P.passages)[:3000]
    msgs = first_messages(a, system, q)
    return converse(
        ctx,
        a,
        net,
        t,
        msgs,
        _chat_follow(P),
        style=style,
        ntok=_ntok(ctx, 1.2),
        p_follow=fu,
        gap=45,
        user=_uid(a, r, 50000),
    )


def indie_dev(ctx, a, net):
    P, r = ctx.P, a.rng
    system = pick(r, P.awesome)[1][:1500] if r.random() < 0.4 else pick(r, C.GENERIC_SYS)
    last = None
    for t in schedule(ctx, a, 1.3):
        if last is not None and r.random() < 0.3:
            q = last  # tweaking code around the same prompt
        else:
            k = r.random()
            q = (
                pick(r, P.nq)
                if k < 0.25
                else pick(r, P.alpaca)[0]
                if k < 0.45
                else pick(r, P.vicuna)
                if k < 0.6
                else pick(r, P.code_alpaca)[0]
                if k < 0.8
                else "test"
                if k < 0.85
                else pick(r, P.clinc)[0]
            )
        last = q
        msgs = first_messages(a, system, q)
        converse(
            ctx,
            a,
            net,
            t,
            msgs,
            C.FOLLOWUPS,
            ntok=_ntok(ctx, 1.2),
            tools=_tools(a),
            tool_p=0.3,
            gap=30,
        )


def enterprise_team(ctx, a, net):
    P, r = ctx.P, a.rng
    system = pick(
        r,
        [
            "You are an internal assistant for the {c} {t} team. Follow company policy "
            "and never include customer PII in answers.",
            "You help {c} employees "
            "draft documents, summarise reports and write SQL for the warehouse.",
        ],
    ).format(c=pick(r, C.COMPANIES), t=pick(r, ["finance", "legal", "ops", "sales"]))
    fu = a.extra["fu"]
    for t in schedule(ctx, a, 1 / (1 - fu)):
        k, style = r.random(), "prose"
        if k < 0.35:
            q = "Summarise the key points and action items:\n\n" + pick(r, P.passages)[:4000]
        elif k < 0.55:
            q = f"Draft an email to the {pick(r, ['board', 'team', 'vendor', 'client'])} about {pick(r, P.nq)}"
        elif k < 0.75:
            q, style = "Write a SQL query to " + pick(r, P.code_alpaca)[0].lower(), "code"
        elif k < 0.9:
            q, style = (
                "Review this code and suggest improvements:\n\n" + pick(r, P.code_alpaca)[1],
                "code",
            )
        else:
            q = pick(r, P.clinc)[0]
        msgs = first_messages(a, system, q)
        converse(
            ctx,
            a,
            net,
            t,
            msgs,
            C.FOLLOWUPS,
            style=style,
            ntok=_ntok(ctx, 1.5),
            gap=90,
            tools=_tools(a),
            tool_p=0.2,
        )


def content_generator(ctx, a, net):
    """An SEO/marketing content pipeline walking a keyword list (each keyword once)."""
    P, r = ctx.P, a.rng
    system = pick(
        r,
        [
            "You are a professional copywriter. Write engaging, original, SEO-friendly "
            "content with headings.",
            pick(r, C.GENERIC_SYS),
            pick(r, P.awesome)[1][:800],
        ],
    )
    topics = (
        [q for q in P.nq]
        + [s.replace("_", " ") for s in P.mmlu_subjects]
        + [x for x, _ in P.awesome]
    )
    order = r.permutation(len(topics))
    fu, i = a.extra["fu"], 0
    for t in schedule(ctx, a, 1 / (1 - fu)):
        topic = topics[order[i % len(order)]]
        i += 1
        n = int(r.choice([300, 500, 800, 1200, 1500]))
        form = pick(
            r,
            [
                "blog post",
                "article",
                "product description",
                "landing page copy",
                "listicle",
                "newsletter",
                "how-to guide",
            ],
        )
        user, _ = with_cot(a, f"Write a {n}-word {form} about: {topic}", None)
        msgs = first_messages(a, system, user)
        converse(
            ctx,
            a,
            net,
            t,
            msgs,
            [
                "Make it more engaging.",
                "Add a meta description.",
                "Shorten the intro.",
                "Add an FAQ section.",
            ],
            ntok=lambda r, n=n: int(n * 1.35 * r.uniform(0.8, 1.2)),
            gap=20,
        )


def coding_assistant(ctx, a, net):
    P, r = ctx.P, a.rng
    system = fmt_sys(r, pick(r, C.CODE_SYS))
    asks = [
        "Fix the bug in this code",
        "Add type hints and docstrings",
        "Write unit tests for this",
        "Explain what this does",
        "Refactor this to be more readable",
        "Why does this throw an error?",
        "Optimise this function",
    ]
    fu = a.extra["fu"]
    for t in schedule(ctx, a, 1 / (1 - fu)):
        k = r.random()
        if k < 0.45:
            snippet = pick(r, P.code_alpaca)[1]
        elif k < 0.75:
            p, s = pick(r, P.humaneval)
            snippet = p + s
        else:
            snippet = None
        q = f"{pick(r, asks)}:\n\n```\n{snippet}\n```" if snippet else pick(r, P.code_alpaca)[0]
        msgs = first_messages(a, system, q)
        converse(
            ctx,
            a,
            net,
            t,
            msgs,
            [
                "that fails with a TypeError",
                "can you make it async?",
                "now add error handling",
                "use a dataclass instead",
                "shorter please",
                "what about edge cases?",
            ],
            style="code",
            ntok=_ntok(ctx, 2.0),
            tools=_tools(a),
            tool_p=0.25,
            gap=40,
        )


PERSONAS = {
    "support_bot": support_bot,
    "consumer_chat": consumer_chat,
    "agent_platform": agent_platform,
    "tutoring": tutoring,
    "rag_app": rag_app,
    "multitenant_saas": multitenant_saas,
    "indie_dev": indie_dev,
    "enterprise_team": enterprise_team,
    "content_generator": content_generator,
    "coding_assistant": coding_assistant,
}
