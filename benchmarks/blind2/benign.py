"""Benign customer personas.  Each job reads its cues from a.prof (set with `cue`, so twins keep
the cues copied from their attacker) and appends events to a.events."""

from __future__ import annotations

import numpy as np
from common import (
    COT,
    arrivals,
    cue,
    frame,
    pick,
    shape,
    with_cot,
)
from convo import (
    agent_run,
    azure_want,
    chat_session,
    followups,
    lognorm_want,
    product_system,
    toolset,
    turn_count,
    zipf_index,
)


def vol(rng, median, sigma=1.0, lo=3, hi=40000):
    return float(np.clip(rng.lognormal(np.log(median), sigma), lo, hi))


def starts(rng, P, a, days, mean_events):
    """Session start times so that the account emits about prof['vol'] events per day."""
    n = rng.poisson(a.prof["vol"] * days / max(1.0, mean_events))
    w = shape(rng, a.prof["shape"], days, a.prof["tz"], P.servegen)
    return [float(t) for t in arrivals(rng, n, w)]


def shuffled(rng, items):
    idx = rng.permutation(len(items))
    return [items[int(i)] for i in idx]


def mixed_pool(rng, P, spec, size=4000):
    """Account-specific shuffled pool drawn from several sources: spec = [(list, weight)]."""
    w = np.array([s[1] for s in spec], dtype=float)
    src = rng.choice(len(spec), size=size, p=w / w.sum())
    return [pick(rng, spec[int(s)][0]) for s in src]


# ---------------------------------------------------------------- support, chat, tutoring
def support_bot(rng, P, a, days):
    cue(a, vol=vol(rng, 200, 1.2), shape="diurnal", system=product_system(rng, "support"))
    cue(
        a,
        temp=("fixed", pick(rng, [0.0, 0.2, 0.3])),
        max=("fixed", pick(rng, [300, 400, 600, 800])),
    )
    cue(a, tools=toolset(rng, "support") if rng.random() < 0.35 else None)
    pool = shuffled(rng, list(range(len(P.support)))) + [
        -1 - i for i in rng.permutation(len(P.banking))[:3000]
    ]
    pool = shuffled(rng, pool)
    mean_t = 2.4
    for t in starts(rng, P, a, days, mean_t):
        i = pool[zipf_index(rng, len(pool), 1.05)]
        first = P.support[i] if i >= 0 else P.banking[-1 - i]
        ans = [P.support_resp[i]] if i >= 0 else None
        if a.prof["tools"] and rng.random() < 0.5:
            agent_run(
                rng, P, a, t, a.prof["system"], first, a.prof["tools"], int(rng.integers(1, 3)), 120
            )
            continue
        k = turn_count(rng, mean_t)
        turns = [frame(a, first), *followups(rng, P, k - 1, P.banking)]
        chat_session(
            rng, P, a, t, a.prof["system"], turns, lognorm_want(140, 0.6), "support", 35, ans
        )


CHAT_SPEC = lambda P: [  # noqa: E731
    (P.nq, 0.3),
    (P.clinc, 0.14),
    (P.vicuna, 0.1),
    ([m[0] for m in P.mt], 0.08),
    ([r[1] for r in P.roles], 0.1),
    (P.alpaca, 0.1),
    (P.code, 0.06),
    (P.gsm, 0.05),
    (P.banking, 0.04),
    (P.t0, 0.03),
]


def consumer_chat(rng, P, a, days):
    cue(a, vol=vol(rng, 120, 1.2), shape="diurnal", system=product_system(rng, "chat"))
    cue(a, stream_p=pick(rng, [0.9, 1.0, 1.0]))
    pool = mixed_pool(rng, P, CHAT_SPEC(P))
    mean_t = float(rng.uniform(2.5, 5.0))
    for t in starts(rng, P, a, days, mean_t):
        first = pool[zipf_index(rng, len(pool), 1.1)]
        turns = [frame(a, with_cot(rng, a, first)), *followups(rng, P, turn_count(rng, mean_t) - 1)]
        chat_session(rng, P, a, t, a.prof["system"], turns, azure_want(P), think=45)


def tutoring(rng, P, a, days):
    cue(a, vol=vol(rng, 150, 1.1), shape="evening", system=product_system(rng, "tutor"))
    cue(
        a, cot=pick(rng, COT) if rng.random() < 0.5 else None, cot_rate=float(rng.uniform(0.3, 1.0))
    )
    cue(a, max=("fixed", pick(rng, [1024, 1500, 2048])))
    math = [q for s, q, _ in P.mmlu if "math" in s or "physics" in s or "statistic" in s]
    # a class works through the same textbook chapters: a narrow, repeated slice of problems
    lo = int(rng.integers(0, len(P.gsm) - 300))
    pool = shuffled(rng, P.gsm[lo : lo + int(rng.integers(60, 300))] + shuffled(rng, math)[:80])
    mean_t = 3.0
    for t in starts(rng, P, a, days, mean_t):
        q = pool[zipf_index(rng, len(pool), 1.2)]
        turns = [frame(a, with_cot(rng, a, q)), *followups(rng, P, turn_count(rng, mean_t) - 1)]
        chat_session(
            rng, P, a, t, a.prof["system"], turns, lognorm_want(380, 0.5), "math", think=70
        )


# ---------------------------------------------------------------- agents, RAG, code
def agent_platform(rng, P, a, days):
    cue(a, vol=vol(rng, 300, 1.1), shape="servegen", system=product_system(rng, "agent"))
    cue(
        a,
        tools=toolset(rng, pick(rng, list(("support", "code", "research", "office", "browser"))))
        if rng.random() < 0.5
        else toolset(rng),
    )
    cue(
        a,
        ua=pick(
            rng,
            [
                "langchain-openai/0.3.7",
                "OpenAI/Python 1.68.2",
                "openai-agents/0.0.9",
                "litellm/1.61.3",
            ],
        ),
    )
    pool = mixed_pool(
        rng,
        P,
        [(P.clinc, 0.35), (P.support, 0.2), (P.code, 0.2), (P.nq, 0.15), (P.alpaca, 0.1)],
        1500,
    )
    mean_steps = float(rng.uniform(1.5, 5))
    for t in starts(rng, P, a, days, mean_steps + 1):
        task = frame(a, pool[zipf_index(rng, len(pool), 1.05)])
        steps = int(np.clip(rng.poisson(mean_steps), 0, 12))
        agent_run(rng, P, a, t, a.prof["system"], task, a.prof["tools"], steps, 220)


def rag_passages(rng, P, k):
    src = P.t0 + P.support_resp + P.alpaca_out
    out = []
    for j in range(k):
        s = pick(rng, src)
        out.append(f"[{j + 1}] " + s[: int(rng.integers(300, 1300))])
    return "\n\n".join(out)


def rag_app(rng, P, a, days):
    cue(
        a,
        vol=vol(rng, 150, 1.1),
        shape=pick(rng, ["diurnal", "business"]),
        system=product_system(rng, "rag"),
    )
    cue(a, temp=("fixed", pick(rng, [0.0, 0.1, 0.2])))
    pool = mixed_pool(rng, P, [(P.nq, 0.55), (P.clinc, 0.2), (P.support, 0.25)], 2000)
    for t in starts(rng, P, a, days, 1.3):
        q = pool[zipf_index(rng, len(pool), 1.05)]
        ctx = rag_passages(rng, P, int(rng.integers(3, 7)))
        turns = ["Context:\n" + ctx + "\n\nQuestion: " + frame(a, q)]
        if rng.random() < 0.25:
            turns += followups(rng, P, 1)
        chat_session(rng, P, a, t, a.prof["system"], turns, lognorm_want(160, 0.6), think=30)


def coding_assistant(rng, P, a, days):
    cue(a, vol=vol(rng, 180, 1.3), shape="business", system=product_system(rng, "code"))
    cue(a, stream_p=pick(rng, [0.8, 1.0]), max=("fixed", pick(rng, [2048, 4096, 8192])))
    cue(a, tools=toolset(rng, "code") if rng.random() < 0.3 else None)
    insts = shuffled(rng, P.code)[: int(rng.integers(200, 1200))]
    mean_t = float(rng.uniform(2, 5))
    for t in starts(rng, P, a, days, mean_t):
        inst = insts[zipf_index(rng, len(insts), 1.02)]
        if a.prof["tools"] and rng.random() < 0.4:
            agent_run(
                rng, P, a, t, a.prof["system"], inst, a.prof["tools"], int(rng.integers(1, 6)), 300
            )
            continue
        first = frame(a, inst)
        if rng.random() < 0.5:
            first = "```\n" + P.code_text(rng, int(rng.integers(60, 600)))[4:] + "\n" + first
        turns = [first, *followups(rng, P, turn_count(rng, mean_t) - 1, [inst])]
        chat_session(
            rng, P, a, t, a.prof["system"], turns, azure_want(P, True), style="code", think=60
        )
