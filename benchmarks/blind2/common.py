"""Shared machinery: accounts, label-agnostic surface profiles, IPs, arrival times, events.

All numbers are guesses (see generate.py's header), not measurements.
"""

from __future__ import annotations

import copy
import json
import time

import numpy as np
from net import IpPlan

T0 = 1773100800.0  # 2026-03-10T00:00:00Z, a Tuesday
BIN = 600.0  # seconds per intensity bin (ServeGen traces use 10-minute windows)
TEXT_CAP = 400  # longest synthetic response body in tokens (keeps files manageable)

MODELS = {  # name: (weight for a typical account, output tokens/s, time-to-first-token s)
    "m-large": (0.45, 55.0, 0.55),
    "m-mini": (0.35, 140.0, 0.25),
    "m-reason": (0.12, 70.0, 1.6),
    "m-large-2025-09": (0.08, 50.0, 0.6),
}
UAS = [  # (user agent, weight), shared by every persona unless its job fixes the client
    ("OpenAI/Python 1.68.2", 0.26),
    ("OpenAI/Python 1.54.3", 0.10),
    ("OpenAI/NodeJS/4.87.3", 0.14),
    ("python-httpx/0.27.2", 0.06),
    ("python-requests/2.32.3", 0.07),
    ("axios/1.7.9", 0.05),
    ("Go-http-client/2.0", 0.04),
    ("litellm/1.61.3", 0.06),
    ("langchain-openai/0.3.7", 0.06),
    ("curl/8.5.0", 0.03),
    ("okhttp/4.12.0", 0.03),
    ("Vercel-AI-SDK/4.1", 0.05),
    ("Java-http-client/21.0.2", 0.02),
    ("RestSharp/112.1.0", 0.03),
]
COT = [  # chain-of-thought phrasings; benign tutors/evaluators and CoT harvesters share them
    "Let's think step by step.",
    "Think step by step and show your reasoning before giving the final answer.",
    "Explain your reasoning step by step.",
    "Please reason step by step, and put your final answer at the end.",
    "Walk through the solution carefully, one step at a time.",
    "Show your work.",
    "First think it through, then answer.",
]
FRAMES = [  # request templates wrapping the real prompt text; any persona may use one
    "Question: {x}\nAnswer:",
    "{x}\n\nPlease answer thoroughly.",
    "Help me with this:\n{x}",
    "Task: {x}\n\nRespond in detail.",
    "### Instruction:\n{x}\n\n### Response:",
    "User request: {x}",
    "{x}\n\nBe concise.",
    "Please help with the following.\n\n{x}",
    "<query>\n{x}\n</query>",
    "Q: {x}\nA:",
    "{x}\n\nAnswer in English.",
    "Here is what I need: {x}",
]
TZS = [(-8, 0.17), (-7, 0.05), (-6, 0.06), (-5, 0.17), (-3, 0.04), (0, 0.08), (1, 0.15), (2, 0.05)]
TZS += [(3, 0.03), (5.5, 0.07), (8, 0.08), (9, 0.05)]


def iso(ts):
    ms = round(ts * 1000.0)
    s, ms = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + f".{ms:03d}Z"


def pick(rng, items):
    return items[int(rng.integers(0, len(items)))]


def wpick(rng, pairs):
    w = np.array([p[1] for p in pairs], dtype=float)
    return pairs[int(rng.choice(len(pairs), p=w / w.sum()))][0]


def hexid(rng, n=8):
    return "".join("0123456789abcdef"[i] for i in rng.integers(0, 16, n))


def ntok(text):
    return len(text) // 4 + 1 if text else 0


class Account:
    def __init__(self, rng, label, kind, campaign=None):
        self.id = "acct_" + hexid(rng, 10)
        self.label, self.kind, self.campaign = label, kind, campaign
        self.events = []
        self.pinned = set()  # cues a job may not override (twins pin everything they copied)
        self.fixed_key = self.fixed_ua = None
        self.prof = base_profile(rng)
        self.ipplan = IpPlan(rng, "cloud", int(rng.integers(1, 4)))

    def keys(self, rng):
        return self.prof["keys"][int(rng.integers(0, len(self.prof["keys"])))]


def base_profile(rng):
    """Surface cues drawn identically for every account, whatever its label."""
    prof = {
        "ua": wpick(rng, UAS),
        "stream_p": float(pick(rng, [0.0, 0.0, 0.0, 0.05, 0.5, 0.95, 1.0, 1.0])),
        "model": _model_mix(rng),
        "temp": _choice_policy(rng, [0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.7, 0.8, 1.0], 0.3),
        "max": _choice_policy(rng, [256, 300, 512, 800, 1000, 1024, 1500, 2048, 4096, 8192], 0.35),
        "max_key": "max_tokens" if rng.random() < 0.7 else "max_completion_tokens",
        "top_p": float(pick(rng, [0.9, 0.95, 1.0])) if rng.random() < 0.12 else None,
        "seed_p": 0.8 if rng.random() < 0.05 else 0.0,
        "cot": pick(rng, COT) if rng.random() < 0.12 else None,
        "cot_rate": float(rng.uniform(0.2, 1.0)),
        "effort": pick(rng, ["low", "medium", "high"]) if rng.random() < 0.3 else None,
        "tz": wpick(rng, TZS),
        "age_days": float(
            rng.uniform(0.3, 14)
            if rng.random() < 0.1
            else np.clip(rng.lognormal(np.log(160), 1.3), 14, 1800)
        ),
        "p429": float(pick(rng, [0.0, 0.0, 0.002, 0.01, 0.03])),
        "org": ("org_" + hexid(rng, 8)) if rng.random() < 0.55 else None,
        "frame": "{x}" if rng.random() < 0.6 else pick(rng, FRAMES),
    }
    nk = int(wpick(rng, [(1, 0.6), (2, 0.18), (3, 0.1), (5, 0.07), (12, 0.05)]))
    prof["keys"] = ["key_" + hexid(rng, 8) for _ in range(nk)]
    return prof


def _model_mix(rng):
    names = list(MODELS)
    w = np.array([MODELS[m][0] for m in names])
    first = names[int(rng.choice(len(names), p=w / w.sum()))]
    if rng.random() < 0.75:
        return {first: 1.0}
    second = pick(rng, [m for m in names if m != first])
    return {first: 0.7, second: 0.3}


def _choice_policy(rng, values, p_omit):
    r = rng.random()
    if r < p_omit:
        return ("omit",)
    if r < p_omit + 0.45:
        return ("fixed", pick(rng, values))
    return ("choice", sorted({pick(rng, values) for _ in range(3)}))


def policy_value(rng, pol):
    if pol[0] == "omit":
        return None
    if pol[0] == "fixed":
        return pol[1]
    return pick(rng, pol[1])


def cue(a, **kv):
    """Persona-required cue; a locked twin keeps the value it copied from its attacker."""
    for k, v in kv.items():
        if k not in a.pinned or k not in a.prof:
            a.prof[k] = v


def frame(a, x):
    return a.prof["frame"].replace("{x}", x)


def twin_of(rng, acct, kind):
    """Benign account copying every surface cue of `acct` (profile, IP structure, volume)."""
    t = Account(rng, "benign", kind)
    t.prof = copy.deepcopy(acct.prof)
    t.prof["keys"] = ["key_" + hexid(rng, 8) for _ in t.prof["keys"]]
    t.prof["org"] = ("org_" + hexid(rng, 8)) if acct.prof["org"] else None
    t.ipplan = acct.ipplan.clone(rng)
    t.pinned = set(t.prof)
    return t


# ---------------------------------------------------------------- arrival times
def shape(rng, kind, days, tz=0.0, sg=None):
    """Relative intensity per 10-minute bin over `days` days."""
    nb = int(days * 86400 / BIN)
    h = ((np.arange(nb) * BIN / 3600.0) + tz) % 24
    if kind == "diurnal":  # consumers: morning ramp, evening peak, low night
        w = 0.12 + np.exp(-((h - 12.5) ** 2) / 18) + 1.2 * np.exp(-((h - 20.5) ** 2) / 8)
    elif kind == "business":  # office hours with a lunch dip
        w = 0.03 + ((h > 8.5) & (h < 18.5)) * (1.0 - 0.35 * np.exp(-((h - 12.7) ** 2) / 0.6))
    elif kind == "evening":  # students
        w = 0.05 + 0.5 * np.exp(-((h - 16) ** 2) / 6) + np.exp(-((h - 21) ** 2) / 5)
    elif kind == "servegen" and sg:
        a = pick(rng, sg)
        off = int(rng.integers(0, max(1, len(a) - nb)))
        w = np.resize(a[off : off + nb], nb) + 1e-3
    elif kind == "jobs":  # batch jobs: a few blocks at constant rate
        w = np.full(nb, 1e-4)
        for _ in range(int(rng.integers(1, 3 + days * 2))):
            s = int(rng.integers(0, nb))
            w[s : s + int(rng.integers(3, 48))] += rng.uniform(0.5, 1.5)
    elif kind == "shifts":  # operator-driven: a few long active windows per day
        w = np.full(nb, 0.01)
        for d in range(int(np.ceil(days))):
            s = int(d * 144 + rng.integers(0, 144))
            w[s : s + int(rng.integers(30, 100))] += 1.0
    else:  # flat
        w = np.ones(nb)
    w = w * rng.gamma(4.0, 0.25, nb)  # burstiness between bins
    return w / w.sum()


def arrivals(rng, n, w):
    """`n` sorted arrival times (epoch s) following bin weights `w`."""
    n = int(max(0, n))
    bins = rng.choice(len(w), size=n, p=w)
    t = T0 + bins * BIN + rng.random(n) * BIN
    return np.sort(t)


# ---------------------------------------------------------------- requests / responses
def params(rng, acct, msgs=None, **extra):
    pr = acct.prof
    models = list(pr["model"])
    m = models[0] if len(models) == 1 or rng.random() < pr["model"][models[0]] else models[1]
    req = {"model": extra.pop("model", m)}
    if msgs is not None:
        req["messages"] = msgs
    t = policy_value(rng, pr["temp"])
    if t is not None and not req["model"].startswith("m-reason"):
        req["temperature"] = t
    if pr["top_p"] is not None:
        req["top_p"] = pr["top_p"]
    mx = policy_value(rng, pr["max"])
    if mx is not None:
        req[pr["max_key"]] = mx
    if pr["effort"] and req["model"].startswith("m-reason"):
        req["reasoning_effort"] = pr["effort"]
    if pr["seed_p"] and rng.random() < pr["seed_p"]:
        req["seed"] = int(rng.integers(0, 10000))
    if pr["stream_p"] and rng.random() < pr["stream_p"]:
        req["stream"] = True
    if "max_tokens" in extra:
        req.pop("max_completion_tokens", None)
    for k, v in extra.items():
        if v is None:
            req.pop(k, None)
        else:
            req[k] = v
    return req


def prompt_tokens(req):
    n = 0
    for m in req.get("messages") or []:
        c = m.get("content")
        n += 4 + (ntok(c) if isinstance(c, str) else 0)
        for tc in m.get("tool_calls") or []:
            n += ntok(tc["function"]["arguments"]) + 6
    if "prompt" in req:
        n += ntok(req["prompt"])
    if req.get("tools"):
        n += ntok(json.dumps(req["tools"]))
    return n


def respond(rng, P, req, want, text=None, style="prose", tool_calls=None):
    """Response body for `req`, aiming at `want` visible tokens.  Returns (resp, latency_ms)."""
    cap = req.get("max_tokens") or req.get("max_completion_tokens") or 16384
    model = req["model"]
    reasoning = 0
    if model.startswith("m-reason"):
        eff = {"low": 0.4, "medium": 1.0, "high": 2.2}.get(
            req.get("reasoning_effort", "medium"), 1.0
        )
        reasoning = int(rng.lognormal(np.log(350 * eff), 0.8))
    want = int(max(1, want))
    finish = "tool_calls" if tool_calls else "stop"
    if reasoning + want > cap:
        finish, want = "length", max(0, cap - reasoning)
        reasoning = min(reasoning, cap)
    if tool_calls:
        msg = {"role": "assistant", "content": None, "tool_calls": tool_calls}
        want = sum(ntok(c["function"]["arguments"]) + 8 for c in tool_calls)
    else:
        if text is None:  # body text capped at TEXT_CAP tokens; usage keeps the full count
            body = min(want, TEXT_CAP)
            text = P.code_text(rng, body) if style == "code" else P.prose(rng, body, style)
        elif finish == "length":
            text = text[: want * 4]
        msg = {"role": "assistant", "content": text if want else ""}
        want = max(want, ntok(text)) if want else 0
    choices = []
    for i in range(int(req.get("n", 1))):
        ch = {"index": i, "message": msg, "finish_reason": finish}
        if req.get("logprobs") and msg.get("content"):
            ch["logprobs"] = _logprobs(rng, msg["content"], req.get("top_logprobs", 0))
        choices.append(ch)
    usage = {
        "prompt_tokens": prompt_tokens(req),
        "completion_tokens": (want + reasoning) * len(choices),
    }
    if reasoning:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning * len(choices)}
    speed, ttft = MODELS.get(model, (0, 60.0, 0.5))[1:]
    lat = (
        ttft * rng.lognormal(0, 0.35)
        + usage["prompt_tokens"] * 2e-5
        + usage["completion_tokens"] / speed
    )
    return {"choices": choices, "usage": usage}, round(lat * 1000.0 * rng.lognormal(0, 0.15), 1)


def _logprobs(rng, text, top):
    toks = text.split(" ")[:256]
    out = []
    for t in toks:
        lp = -float(rng.exponential(0.6))
        e = {"token": t, "logprob": round(lp, 4)}
        if top:
            e["top_logprobs"] = [{"token": t, "logprob": round(lp, 4)}] + [
                {"token": f"{t[:3]}{j}", "logprob": round(lp - float(rng.exponential(2.0)) - j, 4)}
                for j in range(1, int(top))
            ]
        out.append(e)
    return {"content": out}


def emit(rng, acct, ts, req, resp, lat, endpoint=None, ip=None, ua=None, key=None):
    """Append the event (and a preceding 429 now and then).  Returns the time the reply ended."""
    pr = acct.prof
    key = key or acct.fixed_key or acct.keys(rng)
    base = {"account": acct.id, "key": key, "ip": ip or acct.ipplan.draw(rng)}
    if pr["org"]:
        base["org"] = pr["org"]
    base["user_agent"] = ua or acct.fixed_ua or pr["ua"]
    if endpoint:
        base["endpoint"] = endpoint
    if "created" not in pr:
        pr["created"] = iso(T0 - pr["age_days"] * 86400.0)[:10]
    base["account_created"] = pr["created"]
    if pr["p429"] and rng.random() < pr["p429"]:
        e = dict(
            base,
            ts=round(ts, 3),
            request=req,
            status=429,
            latency_ms=round(float(rng.uniform(8, 40)), 1),
        )
        acct.events.append(e)
        ts += float(rng.uniform(1.0, 20.0))
    if rng.random() < 0.003:  # server-side failure, request logged without response
        e = dict(
            base,
            ts=round(ts, 3),
            request=req,
            status=int(pick(rng, [500, 502, 503])),
            latency_ms=lat,
        )
        acct.events.append(e)
        return ts + lat / 1000.0
    acct.events.append(
        dict(base, ts=round(ts, 3), request=req, response=resp, status=200, latency_ms=lat)
    )
    return ts + lat / 1000.0


def sys_msg(text):
    return {"role": "system", "content": text}


def user(text):
    return {"role": "user", "content": text}


def with_cot(rng, acct, text):
    pr = acct.prof
    if pr["cot"] and rng.random() < pr["cot_rate"]:
        return text + ("\n\n" if rng.random() < 0.6 else " ") + pr["cot"]
    return text
