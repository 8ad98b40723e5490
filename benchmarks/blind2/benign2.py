"""Benign personas, part 2: evaluators, labellers, researchers, writers, indie developers and
accounts that carry many end-customers (enterprise teams, multi-tenant SaaS, aggregators)."""

from __future__ import annotations

import copy

import numpy as np
from benign import (
    agent_platform,
    coding_assistant,
    consumer_chat,
    mixed_pool,
    rag_app,
    shuffled,
    starts,
    support_bot,
    tutoring,
    vol,
)
from common import (
    COT,
    IpPlan,
    arrivals,
    base_profile,
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
from convo import azure_want, brand, chat_session, followups, lognorm_want, product_system

# ---------------------------------------------------------------- evaluation, labelling, research
BENCH_PROMPT = "Answer the following multiple choice question. Reply with the letter only.\n\n"
JUDGE = (
    "Please act as an impartial judge and evaluate the quality of the response provided by an AI "
    "assistant to the user question displayed below. Your evaluation should consider helpfulness, "
    "relevance, accuracy, depth and level of detail. Begin with a short explanation, then rate the "
    'response on a scale of 1 to 10 strictly in the format "[[rating]]".'
)


def eval_vendor(rng, P, a, days):
    cue(
        a,
        vol=vol(rng, 700, 0.9, hi=8000),
        shape="jobs",
        cot=pick(rng, COT) if rng.random() < 0.6 else None,
        cot_rate=1.0,
    )
    cue(a, lp=rng.random() < 0.4, judge=rng.random() < 0.5)
    # the vendor's own fixed benchmark subsets, rerun across models and temperatures
    benches = {
        "gsm8k": [frame(a, q) for q in P.gsm[: int(rng.integers(200, 1319))]],
        "mmlu": [BENCH_PROMPT + q for _, q, _ in P.mmlu[:: int(rng.integers(10, 60))]],
        "humaneval": ["Complete the following Python function.\n\n" + p for p in P.humaneval],
        "mt": [m[0] for m in P.mt],
    }
    jobs_left = a.prof["vol"] * days
    w = shape(rng, "jobs", days, 0.0)
    while jobs_left > 0:
        b = pick(rng, list(benches))
        items = benches[b]
        model = pick(rng, ["m-large", "m-mini", "m-reason", "m-large-2025-09"])
        temp = pick(rng, [0.0, 0.0, 0.6, 1.0])
        ts = arrivals(rng, len(items), _window(rng, w))
        for item, t in zip(items, ts, strict=False):
            if b == "mmlu" and a.prof["lp"]:
                req = params(
                    rng,
                    a,
                    [user(item)],
                    model=model,
                    temperature=temp,
                    max_tokens=1,
                    logprobs=True,
                    top_logprobs=5,
                    stream=None,
                )
                resp, lat = respond(rng, P, req, 1, text=pick(rng, "ABCD"))
            else:
                req = params(
                    rng,
                    a,
                    [user(with_cot(rng, a, item))],
                    model=model,
                    temperature=temp,
                    stream=None,
                )
                resp, lat = respond(
                    rng,
                    P,
                    req,
                    lognorm_want(300, 0.6)(rng),
                    style={"humaneval": "code", "gsm8k": "math"}.get(b, "prose"),
                )
            emit(rng, a, float(t), req, resp, lat)
            if a.prof["judge"] and b == "mt":
                ans = resp["choices"][0]["message"].get("content") or ""
                jq = (
                    f"{JUDGE}\n\n[Question]\n{item}\n\n[The Start of Assistant's Answer]\n"
                    f"{ans}\n[The End of Assistant's Answer]"
                )
                jr = params(rng, a, [user(jq)], model="m-large", temperature=0.0, stream=None)
                resp, lat = respond(rng, P, jr, lognorm_want(180, 0.4)(rng))
                emit(rng, a, float(t) + lat / 1000 + 2, jr, resp, lat)
        jobs_left -= len(items)


def _window(rng, w):
    """A job occupies one contiguous slice of the timeline."""
    nb = len(w)
    s = int(rng.integers(0, nb - 6))
    ww = np.zeros(nb)
    ww[s : s + int(rng.integers(2, 18))] = 1.0
    return ww / ww.sum()


LABEL_T = [
    "Classify the customer message into one of these intents: {labels}.\nRespond with JSON "
    '{{"intent": "<label>"}} only.\n\nMessage: {x}',
    "You are a classifier. Label the text with exactly one category from: {labels}.\n"
    "Text: {x}\nCategory:",
    "Which of the following intents best matches the user's utterance? Options: {labels}\n\n"
    "Utterance: {x}",
]


def batch_labeller(rng, P, a, days):
    cue(a, vol=vol(rng, 900, 1.0, hi=12000), shape="jobs", temp=("fixed", 0.0))
    cue(
        a,
        max=("fixed", pick(rng, [10, 20, 32, 50])),
        rf=rng.random() < 0.5,
        tmpl=pick(rng, LABEL_T),
    )
    if rng.random() < 0.7:
        cue(a, model={pick(rng, ["m-mini", "m-large"]): 1.0})
    src, lab = pick(
        rng,
        [(P.banking, P.banking_intent), (P.clinc, P.clinc_intent), (P.support, P.support_intent)],
    )
    labels = sorted(set(lab))
    shown = ", ".join(labels[: int(rng.integers(10, min(80, len(labels))))])
    order = rng.permutation(len(src))  # a labelling job walks its data set once
    n = int(a.prof["vol"] * days)
    ts = arrivals(rng, n, shape(rng, a.prof["shape"], days, 0.0))
    for j, t in enumerate(ts):
        i = int(order[j % len(order)])
        x = a.prof["tmpl"].format(labels=shown, x=src[i])
        extra = {"response_format": {"type": "json_object"}} if a.prof["rf"] else {}
        req = params(rng, a, [user(x)], stream=None, **extra)
        resp, lat = respond(
            rng, P, req, 8, text=f'{{"intent": "{lab[i]}"}}' if a.prof["rf"] else lab[i]
        )
        emit(rng, a, float(t), req, resp, lat)


def researcher(rng, P, a, days):
    cue(a, vol=vol(rng, 120, 1.2), shape="jobs", seed_p=pick(rng, [0.0, 0.9]))
    src = pick(rng, [P.alpaca, P.t0, [m[0] for m in P.mt], P.gsm, P.vicuna, P.code])
    items = shuffled(rng, src)[: int(rng.integers(30, 250))]
    reps = int(rng.integers(1, 6))  # samples per prompt: researchers measure variance
    n_total = int(a.prof["vol"] * days)
    w = shape(rng, "jobs", days, a.prof["tz"])
    sent = 0
    while sent < n_total:
        temp = pick(rng, [0.0, 0.3, 0.7, 1.0, 1.2])
        ts = arrivals(rng, len(items) * reps, _window(rng, w))
        for j, t in enumerate(ts):
            x = items[j % len(items)]
            extra = {"logprobs": True, "top_logprobs": 5} if rng.random() < 0.1 else {}
            req = params(rng, a, [user(with_cot(rng, a, frame(a, x)))], temperature=temp, **extra)
            resp, lat = respond(rng, P, req, azure_want(P)(rng))
            emit(rng, a, float(t), req, resp, lat)
        sent += len(ts)


# ---------------------------------------------------------------- content, indie, enterprise, SaaS
def content_gen(rng, P, a, days):
    cue(
        a,
        vol=vol(rng, 80, 1.2),
        shape=pick(rng, ["jobs", "business"]),
        temp=("choice", [0.8, 0.9, 1.0]),
    )
    cue(a, max=("fixed", pick(rng, [1500, 2048, 3000, 4096])))
    roles = shuffled(rng, P.roles)[: int(rng.integers(3, 20))]
    topics = shuffled(rng, P.nq + P.vicuna)[:600]
    for t in starts(rng, P, a, days, 1.2):
        act, rp = pick(rng, roles)
        turns = (
            [rp]
            if rng.random() < 0.4
            else [frame(a, f"Write a detailed article about: {pick(rng, topics)}")]
        )
        if rng.random() < 0.2:
            turns += followups(rng, P, 1)
        chat_session(
            rng,
            P,
            a,
            t,
            f"You are a {act} writing for {brand(rng)}.",
            turns,
            lognorm_want(900, 0.5),
        )


def indie_dev(rng, P, a, days):
    cue(a, vol=vol(rng, 15, 1.0, lo=2, hi=300), shape=pick(rng, ["diurnal", "business", "evening"]))
    cue(
        a,
        ua=pick(
            rng,
            [
                "curl/8.5.0",
                "python-requests/2.32.3",
                "OpenAI/Python 1.68.2",
                "PostmanRuntime/7.43.0",
            ],
        ),
    )
    a.ipplan = IpPlan(rng, "home", int(rng.integers(1, 3)))
    pool = mixed_pool(
        rng, P, [([r[1] for r in P.roles], 0.3), (P.vicuna, 0.2), (P.alpaca, 0.2), (P.nq, 0.3)], 60
    )
    sysp = pick(rng, [None, product_system(rng, "chat"), pick(rng, P.roles)[1]])
    for t in starts(rng, P, a, days, 2.5):
        x = pick(rng, pool)
        for _ in range(int(rng.integers(1, 5))):  # re-run the same prompt while tweaking code
            msgs = ([{"role": "system", "content": sysp}] if sysp else []) + [user(frame(a, x))]
            req = params(rng, a, msgs)
            resp, lat = respond(rng, P, req, azure_want(P)(rng))
            t = emit(rng, a, t, req, resp, lat) + float(rng.lognormal(np.log(60), 1.0))


def enterprise_team(rng, P, a, days):
    cue(a, vol=vol(rng, 500, 0.9), shape="business")
    a.prof["keys"] = ["key_" + hexid(rng, 8) for _ in range(int(rng.integers(8, 60)))]
    a.ipplan = IpPlan(rng, "office", int(rng.integers(5, 40)))
    a.prof["org"] = a.prof["org"] or "org_" + hexid(rng, 8)
    jobs = [consumer_chat, coding_assistant, rag_app, content_gen]
    _tenants(rng, P, a, days, jobs, int(rng.integers(3, 8)), same_ua=True, shape_kind="business")


def multitenant_saas(rng, P, a, days):
    cue(a, vol=vol(rng, 1500, 0.8))
    a.ipplan = IpPlan(rng, "many", int(rng.integers(500, 3000)))  # BYOK desktop/browser clients
    jobs = [consumer_chat, support_bot, coding_assistant, content_gen, rag_app, agent_platform]
    _tenants(rng, P, a, days, jobs, int(rng.integers(10, 40)), same_ua=False)


def aggregator_proxy(rng, P, a, days):
    cue(
        a,
        vol=vol(rng, 1500, 0.8),
        ua=pick(rng, ["litellm/1.61.3", "Go-http-client/2.0", "axios/1.7.9"]),
    )
    jobs = [consumer_chat, coding_assistant, content_gen, agent_platform, researcher, tutoring]
    _tenants(rng, P, a, days, jobs, int(rng.integers(8, 30)), same_ua=True)


def _tenants(rng, P, a, days, jobs, n, same_ua, shape_kind=None):
    """Several end-customers behind one account; each a sub-job with its own key and cues."""
    share = rng.dirichlet(np.full(n, 0.7))
    for i in range(n):
        sub = copy.copy(a)
        sub.events = []
        sub.pinned = {"vol", "shape"} if shape_kind else {"vol"}
        sub.prof = base_profile(rng)  # each end-customer brings its own client settings
        for k in ("org", "keys", "age_days", "created", "tz", "p429"):
            if k in a.prof:
                sub.prof[k] = a.prof[k]
        sub.prof.update(
            ua=a.prof["ua"], cot=None, frame="{x}", vol=max(1.0, a.prof["vol"] * share[i])
        )
        if shape_kind:
            sub.prof["shape"] = shape_kind
        if not same_ua:
            sub.fixed_ua = pick(
                rng,
                [
                    "OpenAI/NodeJS/4.87.3",
                    "OpenAI/Python 1.68.2",
                    "Vercel-AI-SDK/4.1",
                    "axios/1.7.9",
                ],
            )
        sub.fixed_key = a.keys(rng) if len(a.prof["keys"]) > 1 or same_ua else None
        if not same_ua:
            sub.fixed_key = "key_" + hexid(rng, 8)
        job = jobs[int(rng.integers(0, len(jobs)))]
        job(rng, P, sub, days)
        a.events.extend(sub.events)
