"""Extraction (distillation) personas: solo harvesters and two coordinated campaigns."""

from __future__ import annotations

import numpy as np
from benign import coding_assistant, consumer_chat, shuffled, starts, vol
from benign2 import _tenants, content_gen
from common import (
    COT,
    FRAMES,
    IpPlan,
    arrivals,
    cue,
    emit,
    frame,
    hexid,
    params,
    pick,
    respond,
    shape,
    user,
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
)


class Walker:
    """Walks a prompt list in a shuffled order without ever sending an item twice."""

    def __init__(self, rng, items):
        self.items = shuffled(rng, list(dict.fromkeys(items)))
        self.i = 0

    def next(self):
        x = self.items[self.i % len(self.items)]
        if self.i >= len(self.items):  # exhausted: re-frame instead of repeating verbatim
            x = FRAMES[(self.i // len(self.items)) % len(FRAMES)].replace("{x}", x)
        self.i += 1
        return x


def broad_union(P):
    return (
        P.alpaca
        + P.code
        + P.t0
        + P.gsm
        + [q for _, q, _ in P.mmlu[::2]]
        + P.nq
        + P.vicuna
        + [m[0] for m in P.mt]
        + [r[1] for r in P.roles]
        + P.clinc[::6]
    )


def attacker_system(rng, P):
    """Attackers dress up like products: none, an Orca-style system message, a product or a role."""
    r = rng.random()
    if r < 0.35:
        return None
    if r < 0.55:
        return pick(rng, P.orca)
    if r < 0.85:
        return product_system(rng, pick(rng, ["chat", "tutor", "code", "other"]))
    return pick(rng, P.roles)[1]


def _looks(rng, P, a, median, sigma=0.6):
    """Cues an attacker picks to blend in; drawn from the same menus benign jobs use."""
    cue(
        a,
        vol=vol(rng, median, sigma),
        shape=pick(rng, ["flat", "diurnal", "servegen", "shifts", "business"]),
    )
    cue(a, system=attacker_system(rng, P))


def _single(rng, P, a, t, x, want, style="prose", **kw):
    msgs = ([{"role": "system", "content": a.prof["system"]}] if a.prof.get("system") else []) + [
        user(x)
    ]
    req = params(rng, a, msgs, **kw)
    resp, lat = respond(rng, P, req, want, style=style)
    return emit(rng, a, t, req, resp, lat)


def broad_harvester(rng, P, a, days):
    _looks(rng, P, a, 1800)
    w = Walker(rng, broad_union(P))
    for t in starts(rng, P, a, days, 1.0):
        x = frame(a, with_cot(rng, a, w.next()))
        if rng.random() < 0.08:  # an occasional follow-up to look conversational
            chat_session(rng, P, a, t, a.prof["system"], [x, *followups(rng, P, 1)], azure_want(P))
        else:
            _single(rng, P, a, t, x, lognorm_want(380, 0.7)(rng))


def cot_harvester(rng, P, a, days):
    _looks(rng, P, a, 1050)
    cue(
        a,
        cot=pick(rng, COT),
        cot_rate=float(rng.uniform(0.85, 1.0)),
        max=("fixed", pick(rng, [2048, 4096, 8192])),
    )
    cue(a, effort=pick(rng, ["medium", "high"]))
    if rng.random() < 0.5:
        cue(a, system=pick(rng, P.orca))
    w = Walker(rng, P.gsm + [q for _, q, _ in P.mmlu[1::2]] + P.alpaca + P.t0 + P.code)
    for t in starts(rng, P, a, days, 1.0):
        _single(rng, P, a, t, frame(a, with_cot(rng, a, w.next())), lognorm_want(650, 0.5)(rng))


def code_harvester(rng, P, a, days):
    _looks(rng, P, a, 1050)
    cue(a, tools=toolset(rng, "code") if rng.random() < 0.2 else None)
    w = Walker(
        rng, P.code + ["Complete the following Python function.\n\n" + p for p in P.humaneval]
    )
    for t in starts(rng, P, a, days, 1.0):
        x = frame(a, w.next())
        if a.prof["tools"] and rng.random() < 0.3:
            agent_run(
                rng, P, a, t, a.prof["system"], x, a.prof["tools"], int(rng.integers(1, 4)), 400
            )
        else:
            _single(rng, P, a, t, with_cot(rng, a, x), lognorm_want(450, 0.5)(rng), style="code")


def math_harvester(rng, P, a, days):
    _looks(rng, P, a, 850)
    math = [
        q for s, q, _ in P.mmlu if "math" in s or "physics" in s or "statistic" in s or "chem" in s
    ]
    w = Walker(rng, P.gsm + math)
    for t in starts(rng, P, a, days, 1.0):
        _single(
            rng, P, a, t, frame(a, with_cot(rng, a, w.next())), lognorm_want(420, 0.5)(rng), "math"
        )


RUBRICS = [
    "You are a strict grader. Score the answer to the question from 1 to 10 for correctness and "
    "helpfulness. Give a detailed rationale first, then the score.",
    "Evaluate the response below against this rubric: accuracy (0-4), completeness (0-3), clarity "
    '(0-3). Explain each criterion, then output JSON {"score": <total>}.',
    "Grade the student's answer. Identify every mistake, explain the correct reasoning step by "
    "step, and give a final grade between 0 and 100.",
]


def rubric_harvester(rng, P, a, days):
    _looks(rng, P, a, 700)
    cue(a, rubric=pick(rng, RUBRICS), rf=rng.random() < 0.4)
    qa = (
        list(zip(P.gsm, P.gsm_ans, strict=False))
        + list(zip(P.alpaca, P.alpaca_out, strict=False))
        + list(zip(P.nq, P.nq_ans, strict=False))
    )
    qa += [(q, ans) for _, q, ans in P.mmlu[::5]] + [(q, "") for q in P.vicuna + P.code[::2]]
    order = rng.permutation(len(qa))
    for j, t in enumerate(starts(rng, P, a, days, 1.6)):
        q, ref = qa[int(order[j % len(order)])]
        for _ in range(int(rng.integers(1, 3))):  # one or two candidate answers per question
            cand = ref if ref and rng.random() < 0.4 else P.prose(rng, int(rng.integers(30, 300)))
            x = f"{a.prof['rubric']}\n\nQuestion: {q}\n\nAnswer: {cand}"
            extra = {"response_format": {"type": "json_object"}} if a.prof["rf"] else {}
            t = _single(rng, P, a, t, x, lognorm_want(260, 0.5)(rng), **extra) + float(
                rng.uniform(0.2, 3)
            )


def agent_trace_harvester(rng, P, a, days):
    _looks(rng, P, a, 1050)
    cue(a, tools=toolset(rng, k=int(rng.integers(6, 20))), rotate=rng.random() < 0.5)
    if rng.random() < 0.6:
        cue(a, system=product_system(rng, "agent"))
    w = Walker(rng, P.alpaca + P.code + P.t0[::2] + P.nq[::2] + P.clinc[::10] + P.support[::4])
    mean_steps = float(rng.uniform(2.5, 6))
    for t in starts(rng, P, a, days, mean_steps + 1):
        tools = toolset(rng) if a.prof.get("rotate") else a.prof["tools"]
        steps = int(np.clip(rng.poisson(mean_steps), 1, 12))
        agent_run(rng, P, a, t, a.prof["system"], frame(a, w.next()), tools, steps, 350)


def logprob_prober(rng, P, a, days):
    _looks(rng, P, a, 1800)
    cue(
        a,
        top=int(pick(rng, [5, 10, 20, 20])),
        max=("choice", [1, 1, 4, 8, 16]),
        temp=("fixed", pick(rng, [0.0, 1.0])),
    )
    cue(a, completions_p=float(pick(rng, [0.0, 0.3, 1.0])), bias=rng.random() < 0.3)
    w = Walker(rng, P.t0 + P.nq + P.alpaca + [q for _, q, _ in P.mmlu[::3]])
    for t in starts(rng, P, a, days, 1.0):
        x = w.next()
        x = x[: int(rng.integers(20, max(21, len(x) + 1)))]  # probe at a random prefix
        extra = {"logprobs": True, "top_logprobs": a.prof["top"]}
        if a.prof["bias"]:
            extra["logit_bias"] = {
                str(int(rng.integers(100, 100000))): int(pick(rng, [-100, 5, 10]))
            }
        if rng.random() < a.prof["completions_p"]:
            req = params(rng, a, None, prompt=x, **extra)
            req["logprobs"] = a.prof["top"]
            req.pop("top_logprobs")
            resp, lat = respond(rng, P, req, 4)
            ch = resp["choices"][0]
            resp["choices"] = [
                {
                    "index": 0,
                    "text": ch["message"]["content"],
                    "finish_reason": ch["finish_reason"],
                    "logprobs": ch.get("logprobs"),
                }
            ]
            emit(rng, a, t, req, resp, lat, endpoint="completions")
        else:
            _single(rng, P, a, t, frame(a, x), 4, **extra)


def chat_poser(rng, P, a, days):
    _looks(rng, P, a, 1050)
    cue(a, system=product_system(rng, "chat"), stream_p=pick(rng, [0.9, 1.0]), shape="diurnal")
    w = Walker(rng, P.alpaca + P.t0 + P.code + P.nq + P.vicuna + [m[0] for m in P.mt] + P.gsm)
    for t in starts(rng, P, a, days, 1.4):
        k = 0 if rng.random() < 0.7 else int(rng.integers(1, 3))
        turns = [frame(a, with_cot(rng, a, w.next())), *followups(rng, P, k)]
        chat_session(rng, P, a, t, a.prof["system"], turns, azure_want(P), think=40)


def magpie_harvester(rng, P, a, days):
    _looks(rng, P, a, 850)
    cue(a, tmpl=pick(rng, P.magpie), temp=("choice", [1.0, 1.1, 1.2]))
    w = Walker(rng, P.alpaca + P.code + P.t0 + P.vicuna)  # stands in for the model-written queries
    for t in starts(rng, P, a, days, 2.0):
        _append, pre = a.prof["tmpl"]
        req = params(rng, a, None, prompt=pre, max_tokens=int(pick(rng, [128, 256, 512])))
        q = w.next()
        resp, lat = respond(rng, P, req, len(q) // 4 + 1, text=q)
        ch = resp["choices"][0]
        resp["choices"] = [
            {"index": 0, "text": ch["message"]["content"], "finish_reason": ch["finish_reason"]}
        ]
        t = emit(rng, a, t, req, resp, lat, endpoint="completions") + float(rng.uniform(0.1, 5))
        _single(rng, P, a, t, q, lognorm_want(420, 0.6)(rng), temperature=0.7)


def reseller_mixed(rng, P, a, days):
    _looks(rng, P, a, 1800, 0.5)
    cue(
        a,
        ua=pick(rng, ["litellm/1.61.3", "Go-http-client/2.0", "axios/1.7.9"]),
        xshare=float(rng.uniform(0.25, 0.5)),
    )
    total = a.prof["vol"]
    a.prof["vol"] = total * (1 - a.prof["xshare"])
    _tenants(
        rng,
        P,
        a,
        days,
        [consumer_chat, coding_assistant, content_gen],
        int(rng.integers(5, 20)),
        same_ua=True,
    )
    a.prof["vol"] = total * a.prof["xshare"]
    pinned = set(a.pinned)
    a.pinned |= {"vol", "shape", "system"}
    a.prof.setdefault("shape", "servegen")
    a.prof.setdefault("system", None)
    broad_harvester(rng, P, a, days)
    a.pinned = pinned
    a.prof["vol"] = total


# ---------------------------------------------------------------- campaigns
def hydra(rng, P, accts, days):
    """Many young accounts pulling one shared harvesting queue through a residential proxy pool."""
    proxy = IpPlan(rng, "many", int(rng.integers(250, 600)))
    plan = []
    for k, a in enumerate(accts):
        a.prof["age_days"] = float(rng.uniform(0.3, 9.0))
        a.prof["keys"] = ["key_" + hexid(rng, 8)]
        a.prof["org"] = None
        a.ipplan = IpPlan(rng, "many", 1, shared=proxy.ips)
        a.prof["system"] = attacker_system(rng, P) if rng.random() < 0.5 else None
        n = rng.poisson(float(rng.uniform(200, 600)) * days)
        w = shape(rng, pick(rng, ["shifts", "flat", "diurnal"]), days, a.prof["tz"], P.servegen)
        plan += [(float(t), k) for t in arrivals(rng, n, w)]
    plan.sort()
    w = Walker(rng, [q for _, q, _ in P.mmlu] + P.gsm + P.t0 + P.code + P.alpaca)
    for t, k in plan:
        a = accts[k]
        _single(rng, P, a, t, frame(a, with_cot(rng, a, w.next())), lognorm_want(400, 0.6)(rng))


PREFIXES = [
    "",
    "",
    "Hi! ",
    "Quick question: ",
    "Hey, ",
    "I'm working on something and need help. ",
    "Could you help? ",
]
SUFFIXES = [
    "",
    "",
    " Thanks!",
    " Please be thorough.",
    " Keep it clear.",
    " Explain like I'm new to this.",
    "\n\nThanks.",
]


def lowslow(rng, P, accts, days):
    """Each account: own subnet, system prompt, framing and clock; together one selection."""
    plan = []
    for k, a in enumerate(accts):
        a.ipplan = IpPlan(rng, "subnet", int(rng.integers(1, 4)))
        a.prof["system"] = attacker_system(rng, P) or product_system(
            rng, pick(rng, ["chat", "other"])
        )
        a.prof["frame"] = (
            pick(rng, PREFIXES) + pick(rng, FRAMES + ["{x}"] * 4) + pick(rng, SUFFIXES)
        )
        a.prof["keys"] = a.prof["keys"][:2]
        n = rng.poisson(float(rng.uniform(10, 60)) * days)
        w = shape(rng, pick(rng, ["business", "diurnal", "evening"]), days, a.prof["tz"])
        plan += [(float(t), k) for t in arrivals(rng, n, w)]
    plan.sort()
    sel = shuffled(
        rng, P.code + P.alpaca + P.t0 + P.gsm + P.vicuna + [m[0] for m in P.mt] + P.nq[::3]
    )
    w = Walker(rng, sel[: max(len(plan), 1)])
    for t, k in plan:
        a = accts[k]
        x = frame(a, with_cot(rng, a, w.next()))
        if rng.random() < 0.1:
            chat_session(rng, P, a, t, a.prof["system"], [x, *followups(rng, P, 1)], azure_want(P))
        else:
            _single(rng, P, a, t, x, lognorm_want(380, 0.6)(rng))
