"""Extraction strategies. Each walks a prompt selection; surface cues come from the same
label-blind draw as benign accounts (see world.draw_cues)."""

from __future__ import annotations

import copy
import json

from . import catalog as C
from .benign import legit_session
from .common import converse, first_messages, fmt_sys, frame, pick, pool, schedule, tool_loop
from .timing import arrivals, shape

WALK_MIX = {
    "alpaca": 1,
    "code_alpaca": 2,
    "t0": 1.5,
    "gsm8k": 1,
    "mmlu": 2,
    "nq": 1,
    "vicuna": 0.2,
    "mt1": 0.2,
    "awesome": 0.5,
    "synth": 2,
}


def _ntok(ctx, scale):
    return lambda r: ctx.T.gen_tokens(r, "conv", scale)


def _harvest_follow(r):
    return pick(r, C.HARVEST_FOLLOWUPS) if r.random() < 0.7 else pick(r, C.FOLLOWUPS)


def _ask(ctx, a, net, t, system, item, pre="", post="", scale=3.0, user=None, ip=None):
    prompt, ref, style = item
    msgs = first_messages(a, system, pre + prompt + post)
    return converse(
        ctx,
        a,
        net,
        t,
        msgs,
        _harvest_follow,
        style=style,
        ref=ref,
        ntok=_ntok(ctx, scale),
        gap=15,
        user=user,
        ip=ip,
        tools=a.cues["tools"],
        tool_p=0.1,
    )


def _sys_choice(ctx, r, twins: bool):
    k = r.random()
    if twins and k < 0.4:  # borrowed product framing
        return fmt_sys(r, pick(r, C.CHAT_SYS + C.SUPPORT_SYS))
    if k < 0.95:
        return pick(r, ctx.P.orca + C.GENERIC_SYS + [p[:1500] for _, p in ctx.P.awesome[:300]])
    return None


def hydra(ctx, net, members):
    """Young accounts sharing one harvest pipeline and a residential proxy pool."""
    lead = members[0]
    r = lead.rng
    base = copy.deepcopy(lead.cues)
    base.update(ip_mode="proxy", proxy_pool=0, start=0.0, stop=1.0)
    system = _sys_choice(ctx, r, ctx.variant == "twins")
    pre, post = frame(r)
    life = {}
    for m in members:
        c = copy.deepcopy(base)
        m.cues = c
        st = float(m.rng.uniform(0.0, 0.6))  # accounts created during the window
        en = min(1.0, st + float(m.rng.uniform(0.25, 1.0))) if m.rng.random() < 0.35 else 1.0
        life[m.id] = (st * ctx.H, en * ctx.H)
        c["start"], c["stop"] = st, en
    s = shape(r, base["rhythm"], ctx.days, base["tz"], ctx.T)  # one pipeline, one rhythm
    jobs = []
    for m in members:
        lo, hi = life[m.id]
        n = max(1, int(m.rng.poisson(m.volume * (hi - lo) / 86400)))
        jobs += [
            (float(t), i)
            for i, m2 in enumerate(members)
            if m2 is m
            for t in arrivals(m.rng, s, n, lo, hi)
        ]
    jobs.sort()
    items = pool(r, ctx.P, WALK_MIX, len(jobs) + 50)
    for k, (t, i) in enumerate(jobs):  # the shared queue hands out prompts in time order
        _ask(ctx, members[i], net, t, system, items[k], pre, post, scale=3.0)


def lowslow(ctx, net, members):
    """Many small accounts, each with its own subnet, system prompt and framing, together
    walking one shared selection with no prompt sent twice."""
    r = members[0].rng
    need = int(sum(m.volume for m in members) * ctx.days * 1.3) + 100
    items = pool(r, ctx.P, {"alpaca": 1, "code_alpaca": 2, "t0": 2, "synth": 1, "gsm8k": 0.5}, need)
    pos = 0
    for m in members:
        mr = m.rng
        k = mr.random()
        system = (
            fmt_sys(mr, pick(mr, C.CHAT_SYS + C.SUPPORT_SYS + C.TUTOR_SYS))
            if k < 0.35
            else pick(mr, ctx.P.awesome)[1][:1200]
            if k < 0.55
            else pick(mr, ctx.P.orca + C.GENERIC_SYS)
            if k < 0.95
            else None
        )
        pre, post = frame(mr)
        for t in schedule(ctx, m, 1.0):
            if pos >= len(items):
                return
            _ask(ctx, m, net, float(t), system, items[pos], pre, post, scale=2.5)
            pos += 1


def chat_poser(ctx, a, net):
    """A 'chat app' with a product system prompt whose first turns walk an instruction set."""
    r = a.rng
    system = fmt_sys(r, pick(r, C.CHAT_SYS))
    times = schedule(ctx, a, 1 / (1 - a.extra["fu"]))
    items = pool(
        r,
        ctx.P,
        {"alpaca": 1, "t0": 1, "vicuna": 0.3, "mt1": 0.3, "synth": 2, "nq": 0.5, "code_alpaca": 1},
        len(times) + 10,
    )
    for t, it in zip(times, items):
        _ask(ctx, a, net, float(t), system, it, scale=2.5, user=f"u_{int(r.integers(0, 4000)):05d}")


def broad_harvester(ctx, a, net):
    r = a.rng
    system = _sys_choice(ctx, r, ctx.variant == "twins")
    magpie = r.random() < 0.33
    times = schedule(ctx, a, 2.0 if magpie else 1.05)
    items = pool(r, ctx.P, WALK_MIX, len(times) + 10)
    tmpl = pick(r, ctx.P.magpie)
    for t, it in zip(times, items):
        if magpie:  # self-synthesis: the model writes the instruction from an empty user turn
            q, t = ctx.call(
                a,
                net,
                float(t),
                prompt=tmpl,
                endpoint="completions",
                style="short",
                ref=it[0],
                ntok=max(8, len(it[0]) // 4),
            )
            if q is None:
                continue
            it = (q, "", "prose")
        _ask(ctx, a, net, float(t), system, it, scale=4.0)


def cot_harvester(ctx, a, net):
    r = a.rng
    system = (
        pick(r, ctx.P.orca) if r.random() < 0.6 else _sys_choice(ctx, r, ctx.variant == "twins")
    )
    times = schedule(ctx, a, 1.05)
    items = pool(
        r, ctx.P, {"gsm8k": 3, "mmlu": 3, "t0": 1, "alpaca": 0.5, "synth": 0.5}, len(times) + 10
    )
    for t, (p, ref, _) in zip(times, items):
        _ask(ctx, a, net, float(t), system, (p, ref, "steps"), scale=3.5)


def rubric_harvester(ctx, a, net):
    """Collects grading / critique outputs over many (question, answer) pairs."""
    P, r = ctx.P, a.rng
    times = schedule(ctx, a, 1.0)
    pairs = (
        [(p, o) for p, o in P.alpaca + P.code_alpaca if o]
        + list(P.gsm8k)
        + [(p[:1500], o) for p, o in P.t0]
        + [(q, b[2]) for q, b in zip(P.nq, P.bitext)]
    )
    order = r.permutation(len(pairs))
    tmpls = [C.JUDGE_TEMPLATES[i] for i in r.choice(len(C.JUDGE_TEMPLATES), 2, replace=False)]
    for k, t in enumerate(times):
        q, ans = pairs[int(order[k % len(order)])]
        if r.random() < 0.5:  # a fresh candidate answer, not the data set's reference
            ans = ctx.W.prose(r, int(r.integers(80, 400)))
        msgs = first_messages(a, None, pick(r, tmpls).format(q=q, a=ans))
        converse(
            ctx,
            a,
            net,
            float(t),
            msgs,
            _harvest_follow,
            style="judge",
            ntok=lambda r: int(r.integers(150, 600)),
            gap=10,
        )


def code_harvester(ctx, a, net):
    r = a.rng
    system = _sys_choice(ctx, r, ctx.variant == "twins")
    times = schedule(ctx, a, 1.05)
    items = pool(
        r,
        ctx.P,
        {"code_alpaca": 5, "code_seed": 0.1, "humaneval": 0.5, "synth": 1.5},
        len(times) + 10,
    )
    langs = ["Python", "JavaScript", "Go", "Rust", "Java", "C++", "TypeScript", "SQL"]
    for t, (p, ref, style) in zip(times, items):
        if style != "code":
            p, ref = pick(r, ctx.P.code_alpaca)
            p = f"In {pick(r, langs)}: {p}"  # re-targeted to another language
        _ask(ctx, a, net, float(t), system, (p, ref, "code"), scale=3.5)


def _fake_result(r, call) -> str:
    name = call["function"]["name"]
    return json.dumps(
        {
            "tool": name,
            "ok": True,
            "data": [
                {
                    "id": int(r.integers(1, 9999)),
                    "value": f"{name}-result-{int(r.integers(0, 10**6))}",
                }
                for _ in range(int(r.integers(1, 4)))
            ],
        }
    )


def tooltrace_harvester(ctx, a, net):
    """Elicits full tool-use trajectories with fabricated tool results."""
    P, r = ctx.P, a.rng
    system = fmt_sys(r, pick(r, C.AGENT_SYS)) if r.random() < 0.6 else None
    tools = a.cues["tools"]
    times = schedule(ctx, a, 3.4)
    items = pool(r, P, {"alpaca": 1, "t0": 0.5, "synth": 1, "nq": 1}, len(times) + 10)
    for t, it in zip(times, items):
        task = (
            pick(r, C.AGENT_TASKS).format(x=pick(r, C.PLACES), y=pick(r, C.PLACES), t=pick(r, P.nq))
            if r.random() < 0.5
            else it[0] + "\n\nUse the available tools where helpful."
        )
        msgs = first_messages(a, system, task)
        tool_loop(
            ctx,
            a,
            net,
            float(t),
            msgs,
            tools,
            steps=int(r.choice([1, 2, 2, 3, 4])),
            ntok=_ntok(ctx, 2.0),
            result_fn=_fake_result,
            step_gap=(0.05, 0.6),
        )


def logprob_harvester(ctx, a, net):
    """Top-k log-probabilities plus logit_bias sweeps walking the vocabulary."""
    P, r = ctx.P, a.rng
    times = schedule(ctx, a, 1.0)
    items = pool(r, P, {"alpaca": 1, "t0": 2, "mmlu": 2, "nq": 1, "synth": 1}, len(times) + 10)
    width = int(r.choice([50, 100, 300]))
    cursor = int(r.integers(0, 100000))
    use_comp = r.random() < 0.4
    for t, (p, ref, _) in zip(times, items):
        ids = range(cursor, cursor + width)
        cursor = (cursor + width) % 100256
        bias = (
            {str(i % 100256): float(r.choice([100, -100, 5])) for i in ids}
            if r.random() < 0.7
            else None
        )
        extra = {"logit_bias": bias} if bias else None
        if use_comp:
            ctx.call(
                a,
                net,
                float(t),
                prompt=p,
                endpoint="completions",
                style="short",
                ref=ref,
                ntok=int(r.integers(1, 16)),
                extra=extra,
            )
        else:
            ctx.call(
                a,
                net,
                float(t),
                first_messages(a, None, p),
                style="short",
                ref=ref,
                ntok=int(r.integers(1, 16)),
                extra=extra,
            )


def reseller(ctx, a, net):
    """A proxy/reseller: real end customers' traffic plus an extraction share on one account."""
    r = a.rng
    share = float(r.uniform(0.3, 0.5))
    tenants = [
        (k, fmt_sys(r, pick(r, lib)))
        for k, lib in [
            ("chat", C.CHAT_SYS),
            ("support", C.SUPPORT_SYS),
            ("write", C.GENERIC_SYS),
            ("code", C.CODE_SYS),
            ("summary", C.RAG_SYS),
        ]
        for _ in range(int(r.integers(1, 4)))
    ]
    times = schedule(ctx, a, 1.2)
    items = pool(r, ctx.P, WALK_MIX, len(times) + 10)
    system = _sys_choice(ctx, r, ctx.variant == "twins")
    for k, t in enumerate(times):
        if r.random() < share:
            _ask(
                ctx,
                a,
                net,
                float(t),
                system,
                items[k],
                scale=3.5,
                user=f"u_{int(r.integers(0, 300)):04d}",
            )
        else:
            legit_session(ctx, a, net, float(t), pick(r, tenants), a.extra["fu"])


SOLO = {
    "chat_poser": chat_poser,
    "broad_harvester": broad_harvester,
    "cot_harvester": cot_harvester,
    "rubric_harvester": rubric_harvester,
    "code_harvester": code_harvester,
    "tooltrace_harvester": tooltrace_harvester,
    "logprob_harvester": logprob_harvester,
    "reseller": reseller,
}
CAMPAIGNS = {"hydra": hydra, "lowslow": lowslow}
