"""Helpers every persona uses: session schedules, cue-driven message building, multi-turn
conversations, tool loops, and prompt pools to walk."""

from __future__ import annotations

import numpy as np

from . import catalog as C
from .timing import arrivals, human_gap, shape

FORMS = [
    "blog post",
    "short story",
    "poem",
    "product description",
    "essay",
    "LinkedIn post",
    "newsletter intro",
    "FAQ",
    "tweet thread",
    "lesson plan",
    "speech",
    "cover letter",
]
VERBS = [
    "Explain",
    "Summarize what is known about",
    "Write a detailed guide to",
    "Give the pros and cons of",
    "Describe the history of",
    "Compare the main approaches to",
    "List 10 facts about",
    "Create a study outline on",
]


def pick(rng, seq):
    return seq[int(rng.integers(0, len(seq)))]


def fmt_sys(rng, template: str) -> str:
    return template.format(
        c=pick(rng, C.COMPANIES),
        a=pick(rng, C.APPS),
        d="2026-11-23",
        tier=pick(rng, ["free", "plus", "business"]),
        loc=pick(rng, ["en-US", "en-GB", "de-DE", "es-MX", "fr-FR", "ja-JP"]),
        grade=pick(rng, ["middle school", "high school", "first-year college"]),
        file=pick(rng, ["src/app.py", "utils/parse.ts", "main.go", "lib.rs"]),
        lang=pick(rng, ["Python", "TypeScript", "Go", "Rust", "Java"]),
    )


def schedule(ctx, a, per_session: float) -> np.ndarray:
    """Session start times for an account: volume x active time / events per session."""
    lo, hi = a.cues["start"] * ctx.H, a.cues["stop"] * ctx.H
    active_days = (hi - lo) / 86400.0
    n = max(1, int(a.rng.poisson(a.volume * active_days / max(1.0, per_session))))
    s = shape(a.rng, a.cues["rhythm"], ctx.days, a.cues["tz"], ctx.T)
    return arrivals(a.rng, s, n, lo, hi)


def with_cot(a, user: str, system: str | None) -> tuple[str, str | None]:
    """Apply the account's CoT phrasing cue (if any) to a turn."""
    cot = a.cues["cot"]
    if not cot:
        return user, system
    place = a.cues["cot_place"]
    if place == "system":
        return user, (system + "\n" + cot) if system else cot
    if place == "prefix":
        return cot + "\n\n" + user, system
    return user + "\n\n" + cot, system


def first_messages(a, system: str | None, user: str, force_system: bool = False) -> list[dict]:
    user, system = with_cot(a, user, system)
    msgs = []
    if system and (
        force_system
        or a.extra.setdefault(
            "use_sys", a.rng.random() < a.cues["system_p"] or a.cues["system_p"] >= 1.0
        )
    ):
        msgs.append({"role": "system", "content": system})
    msgs.append({"role": "user", "content": user})
    return msgs


def converse(
    ctx,
    a,
    net,
    t: float,
    msgs: list[dict],
    followups,
    *,
    style="prose",
    ntok=None,
    ref="",
    tools=None,
    gap=45.0,
    max_turns=8,
    user=None,
    p_follow=None,
    ip=None,
    tool_p=0.0,
):
    """A multi-turn chat; returns the time it ends. `ntok` is a callable giving lengths."""
    r = a.rng
    ip = ip or ctx.ip(a, net)
    p = a.extra.get("fu", 0.0) if p_follow is None else p_follow
    for turn in range(max_turns):
        calls = None
        if tools and r.random() < tool_p:
            calls = [pick(r, tools)]
        msg, t = ctx.call(
            a,
            net,
            t,
            msgs,
            style=style,
            ntok=ntok(r) if ntok else 150,
            ref=ref if turn == 0 else "",
            tools=tools,
            tool_calls=calls,
            ip=ip,
            user=user,
        )
        if msg is None:
            return t
        msgs.append(msg)
        if calls:
            for c in msg["tool_calls"]:
                msgs.append(
                    {
                        "role": "tool",
                        "tool_call_id": c["id"],
                        "content": '{"status": "ok", "result": "'
                        + ctx.W.prose(r, 25).replace('"', "'")
                        + '"}',
                    }
                )
            t += float(r.uniform(0.2, 3.0))
            continue
        if r.random() >= p:
            return t
        nxt = followups(r) if callable(followups) else pick(r, followups)
        t += human_gap(r, gap)
        if len(msgs) > 9:  # clients trim old turns
            msgs[:] = msgs[:1] + msgs[-6:] if msgs[0]["role"] == "system" else msgs[-6:]
        msgs.append({"role": "user", "content": nxt})
    return t


def tool_loop(
    ctx,
    a,
    net,
    t: float,
    msgs: list[dict],
    tools: list[str],
    *,
    steps: int,
    ntok=None,
    ip=None,
    user=None,
    result_fn=None,
    step_gap=(0.3, 4.0),
):
    """Agent loop: model calls tools `steps` times, the client feeds results, then a final answer."""
    r = a.rng
    ip = ip or ctx.ip(a, net)
    for s in range(steps + 1):
        calls = None
        if s < steps:
            k = 1 if r.random() < 0.8 else 2
            calls = [pick(r, tools) for _ in range(k)]
        msg, t = ctx.call(
            a,
            net,
            t,
            msgs,
            style="prose",
            ntok=ntok(r) if ntok else 180,
            tools=tools,
            tool_calls=calls,
            ip=ip,
            user=user,
        )
        if msg is None:
            return t
        msgs.append(msg)
        if not calls:
            return t
        for c in msg["tool_calls"]:
            res = result_fn(r, c) if result_fn else ctx.W.prose(r, int(r.integers(20, 300)))
            msgs.append({"role": "tool", "tool_call_id": c["id"], "content": res})
        t += float(r.uniform(*step_gap))
    return t


# ---- prompt pools ----------------------------------------------------------------------------
def synth_item(rng, P) -> tuple[str, str, str]:
    """A self-instruct style composite prompt (topic from a real question set)."""
    k = int(rng.integers(0, 5))
    if k == 0:
        return f"Write a {pick(rng, FORMS)} about {pick(rng, P.nq)}.", "", "prose"
    if k == 1:
        return f"{pick(rng, VERBS)} {pick(rng, P.mmlu_subjects).replace('_', ' ')}.", "", "prose"
    if k == 2:
        return (
            f"Summarize the following text in 3 sentences.\n\n{pick(rng, P.passages)[:1500]}",
            "",
            "prose",
        )
    if k == 3:
        p, o = pick(rng, P.code_alpaca)
        lang = pick(rng, ["JavaScript", "Rust", "Go", "Java", "C++", "TypeScript"])
        return f"Rewrite this code in {lang} and explain it:\n\n{o}", "", "code"
    act, pr = pick(rng, P.awesome)
    return pr[:2000], "", "prose"


def pool(rng, P, mix: dict[str, float], size: int) -> list[tuple[str, str, str]]:
    """`size` distinct (prompt, reference, style) items from named sources, shuffled."""
    src = {
        "alpaca": lambda: [(p, o, "prose") for p, o in P.alpaca],
        "code_alpaca": lambda: [(p, o, "code") for p, o in P.code_alpaca],
        "code_seed": lambda: [(p, o, "code") for p, o in P.code_seed],
        "t0": lambda: [(p, o, "prose") for p, o in P.t0],
        "gsm8k": lambda: [(q, a, "steps") for q, a in P.gsm8k],
        "mmlu": lambda: [(P.mmlu_prompt(i, 2), "", "prose") for i in range(len(P.mmlu))],
        "humaneval": lambda: [
            (f"Complete the following function.\n\n{p}", s, "code") for p, s in P.humaneval
        ],
        "mt1": lambda: [(t[0], "", "prose") for _, t in P.mt_bench],
        "vicuna": lambda: [(q, "", "prose") for q in P.vicuna],
        "nq": lambda: [(q[0].upper() + q[1:] + "?", "", "prose") for q in P.nq],
        "awesome": lambda: [(p[:3000], "", "prose") for _, p in P.awesome],
    }
    keys = [k for k in mix if k != "synth"]
    w = np.array([mix[k] for k in mix], dtype=float)
    w /= w.sum()
    out: list[tuple[str, str, str]] = []
    for k, wk in zip(list(mix), w):
        want = int(round(wk * size))
        if k == "synth":
            out += [synth_item(rng, P) for _ in range(want)]
            continue
        items = src[k]()
        idx = rng.permutation(len(items))[:want]
        out += [items[i] for i in idx]
    del keys
    out += [synth_item(rng, P) for _ in range(max(0, size - len(out)))]
    order = rng.permutation(len(out))
    return [out[i] for i in order]


def frame(rng) -> tuple[str, str]:
    return pick(rng, C.FRAME_PRE), pick(rng, C.FRAME_POST)
