"""Benign twins: same surface cues as a solo attacker (copied profile: parameters, phrasing,
system prompt, tools, volume, timing shape, IP structure, account age), honest job."""

from __future__ import annotations

from attack import RUBRICS
from benign import (
    CHAT_SPEC,
    agent_platform,
    coding_assistant,
    consumer_chat,
    mixed_pool,
    shuffled,
    starts,
    tutoring,
)
from benign2 import aggregator_proxy
from common import cue, emit, frame, params, pick, respond, user, with_cot
from convo import lognorm_want, zipf_index


def _sys(a):
    return [{"role": "system", "content": a.prof["system"]}] if a.prof.get("system") else []


def general_qa(rng, P, a, days):
    """Twin of a broad harvester: a Q&A backend (search box, assistant widget) with real repeats."""
    pool = mixed_pool(rng, P, CHAT_SPEC(P), 6000)
    for t in starts(rng, P, a, days, 1.0):
        x = frame(a, with_cot(rng, a, pool[zipf_index(rng, len(pool), 1.08)]))
        req = params(rng, a, [*_sys(a), user(x)])
        resp, lat = respond(rng, P, req, lognorm_want(380, 0.7)(rng))
        emit(rng, a, t, req, resp, lat)


def judge_eval(rng, P, a, days):
    """Twin of a rubric harvester: LLM-as-judge over a fixed question set, many candidates."""
    cue(a, rubric=pick(rng, RUBRICS), rf=False)
    qs = shuffled(rng, P.gsm[:400] + [m[0] for m in P.mt] + P.vicuna)[: int(rng.integers(80, 250))]
    for t in starts(rng, P, a, days, 1.6):
        q = qs[int(rng.integers(0, len(qs)))]
        for _ in range(int(rng.integers(1, 3))):
            cand = P.prose(rng, int(rng.integers(30, 300)))
            x = f"{a.prof['rubric']}\n\nQuestion: {q}\n\nAnswer: {cand}"
            extra = {"response_format": {"type": "json_object"}} if a.prof.get("rf") else {}
            req = params(rng, a, [*_sys(a), user(x)], **extra)
            resp, lat = respond(rng, P, req, lognorm_want(260, 0.5)(rng))
            t = emit(rng, a, t, req, resp, lat) + float(rng.uniform(0.2, 3))


def lp_classifier(rng, P, a, days):
    """Twin of a logprob prober: intent routing that reads label confidences from logprobs."""
    labels = sorted(set(P.banking_intent))
    for t in starts(rng, P, a, days, 1.0):
        i = zipf_index(rng, len(P.banking), 1.01)
        x = f"Intent of this message (one of {', '.join(labels[:30])}): {P.banking[i]}\nIntent:"
        extra = {"logprobs": True, "top_logprobs": a.prof.get("top", 5)}
        if rng.random() < a.prof.get("completions_p", 0.0):
            req = params(rng, a, None, prompt=x, **extra)
            req["logprobs"] = extra["top_logprobs"]
            req.pop("top_logprobs")
            resp, lat = respond(rng, P, req, 4, text=P.banking_intent[i])
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
            req = params(rng, a, [*_sys(a), user(frame(a, x))], **extra)
            resp, lat = respond(rng, P, req, 4, text=P.banking_intent[i])
            emit(rng, a, t, req, resp, lat)


def completions_app(rng, P, a, days):
    """Twin of a Magpie harvester: a legacy app wrapping real user turns in a chat template."""
    _append, pre = a.prof.get("tmpl") or pick(rng, P.magpie)
    pool = mixed_pool(rng, P, [(P.nq, 0.5), (P.clinc, 0.3), (P.vicuna, 0.2)], 3000)
    for t in starts(rng, P, a, days, 1.0):
        q = pool[zipf_index(rng, len(pool), 1.1)]
        req = params(
            rng, a, None, prompt=pre + q + "\n\n", max_tokens=int(pick(rng, [256, 512, 1024]))
        )
        resp, lat = respond(rng, P, req, lognorm_want(250, 0.6)(rng))
        ch = resp["choices"][0]
        resp["choices"] = [
            {"index": 0, "text": ch["message"]["content"], "finish_reason": ch["finish_reason"]}
        ]
        emit(rng, a, t, req, resp, lat, endpoint="completions")


TWIN_JOB = {
    "broad_harvester": general_qa,
    "cot_harvester": tutoring,
    "math_harvester": tutoring,
    "code_harvester": coding_assistant,
    "rubric_harvester": judge_eval,
    "agent_trace_harvester": agent_platform,
    "logprob_prober": lp_classifier,
    "reseller_mixed": aggregator_proxy,
    "chat_poser": consumer_chat,
    "magpie_harvester": completions_app,
}
