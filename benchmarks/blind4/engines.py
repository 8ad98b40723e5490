"""Session engines shared by benign and extraction personas (who differ in what they select)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .data import Item
from .engine import Conv, Ctx
from .select import OUT_KIND, Source, chunks
from .text import (
    CRITIQUE_FOLLOWUPS,
    GENERIC_FOLLOWUPS,
    contextual_followup,
    filler,
    tool_defs,
    tool_result,
)

STUDENT = (
    "can you give me a similar practice problem?",
    "I still don't get the second step",
    "is there a faster way to do it?",
    "ok I tried it and got a different number, where did I go wrong?",
)
AGENT_SYSTEM = (
    "You are an autonomous agent. Use the available tools to complete the user's task, then "
    "report the result. Call one tool at a time."
)


def more(ctx: Ctx) -> bool:
    return bool(ctx.style.followup_p and ctx.rng.random() < ctx.style.followup_p)


def followup(ctx: Ctx, mode: str, name: str, it: Item, ans: str, k: int) -> str:
    r = ctx.rng
    if mode == "dataset" and name == "mtbench" and k == 0 and it.ref:
        return it.ref
    if mode in ("generic", "dataset"):
        return GENERIC_FOLLOWUPS[int(r.integers(len(GENERIC_FOLLOWUPS)))]
    if mode == "critique":
        return CRITIQUE_FOLLOWUPS[int(r.integers(len(CRITIQUE_FOLLOWUPS)))]
    if mode == "student" and r.random() < 0.4:
        return STUDENT[int(r.integers(len(STUDENT)))]
    if mode == "same_tag" and r.random() < 0.5:
        items = ctx.state.get("by_tag", {}).get(it.tag)
        if items:
            return items[int(r.integers(len(items)))].prompt
    return contextual_followup(r, ans, it.prompt)


def qa(
    ctx: Ctx,
    src: str = "src",
    follow: str = "contextual",
    system: str | None = None,
    rag: float = 0.0,
    framing: str | None = None,
    out: str | None = None,
    n_follow: int | None = None,
) -> None:
    """One conversation: a prompt from the source, then follow-ups at the style's rate."""
    r = ctx.rng
    name, it = ctx.state[src].next(r)
    conv = Conv(ctx.system(system))
    text = framing.replace("{x}", it.prompt) if framing else it.prompt
    if rag and r.random() < rag:
        ctx_txt = "\n---\n".join(chunks(r, ctx.pools, int(r.integers(2, 7))))
        text = f"Use the context to answer.\n\nContext:\n{ctx_txt}\n\nQuestion: {text}"
    text, cot = ctx.wrap(text)
    conv.user(text)
    ans = ctx.ask(conv, out or OUT_KIND[name], it.ref, cot=cot)
    k = 0
    while k < 6 and ((n_follow is not None and k < n_follow) or (n_follow is None and more(ctx))):
        conv.user(followup(ctx, follow, name, it, ans, k))
        ans = ctx.ask(conv, "cot" if follow == "critique" else "chat", None)
        k += 1


def tool_loop(
    ctx: Ctx,
    names: Sequence[str],
    src: str = "src",
    system: str | None = None,
    follow: str = "contextual",
) -> None:
    """An agent turn: 1-4 tool calls with tool results fed back, then a final answer."""
    r = ctx.rng
    defs = tool_defs(list(names))
    name, it = ctx.state[src].next(r)
    conv = Conv(ctx.system(system or AGENT_SYSTEM))
    text, cot = ctx.wrap(it.prompt)
    conv.user(text)
    for _ in range(int(r.integers(1, 5))):
        tool = names[int(r.integers(len(names)))]
        ctx.ask(conv, "tool", tools=defs, tool_call=tool, gap="tool")
        last = conv.messages[-1]
        call_id = last["tool_calls"][0]["id"] if last.get("tool_calls") else "call_0"
        conv.messages.append(
            {"role": "tool", "tool_call_id": call_id, "content": tool_result(r, ctx.pools, tool)}
        )
    ans = ctx.ask(conv, "chat", None, tools=defs, cot=cot)
    k = 0
    while k < 4 and more(ctx):
        conv.user(followup(ctx, follow, name, it, ans, k))
        ans = ctx.ask(conv, "chat", None, tools=defs)
        k += 1


def classify(
    ctx: Ctx, labels: Sequence[str] | dict[str, Sequence[str]], src: str = "src", task: str = "text"
) -> None:
    """One labelling request (batch jobs send no follow-ups); ``labels`` may be per pool."""
    name, it = ctx.state[src].next(ctx.rng)
    names = labels[name] if isinstance(labels, dict) else labels
    gold = (it.ref or "")[:40] if name == "t0" else it.tag
    head = (
        f"Classify the {task} into exactly one of these categories: {', '.join(names)}. "
        "Reply with the category name only."
    )
    text, cot = ctx.wrap(f"{head}\n\nText: {it.prompt}")
    conv = Conv(ctx.system(None))
    conv.user(text)
    ctx.ask(conv, "cot" if cot else "label", gold, gap="pipe")


JUDGE_FORMS = (
    "Please act as an impartial judge and rate the response of an AI assistant to the question "
    "below for helpfulness, relevance, accuracy, depth and detail. Explain briefly, then give a "
    'rating from 1 to 10 in the form "Rating: [[n]]".\n\n[Question]\n{q}\n\n[Answer]\n{a}',
    "You are a grader. Score the answer against this rubric: correctness (0-4), completeness "
    "(0-3), clarity (0-3). Justify each score, then output the total as [[n]].\n\nQUESTION:\n{q}"
    "\n\nANSWER:\n{a}",
    "Compare the two assistant answers to the user question and say which is better and why. "
    "End with [[A]], [[B]] or [[tie]].\n\nQuestion: {q}\n\nAnswer A:\n{a}\n\nAnswer B:\n{b}",
)


def judge(ctx: Ctx, src: str = "src", forms: Sequence[int] = (0, 1, 2)) -> None:
    """An LLM-as-judge request on a (question, candidate answer) pair."""
    r, p = ctx.rng, ctx.pools
    _, it = ctx.state[src].next(r)
    form = JUDGE_FORMS[int(forms[int(r.integers(len(forms)))])]
    a = (it.ref or "")[: int(r.integers(80, 1500))] or filler(r, p, int(r.integers(200, 1500)))
    if r.random() < 0.4:
        a = filler(r, p, int(r.integers(150, 1400)))
    b = filler(r, p, int(r.integers(150, 1400)))
    text, cot = ctx.wrap(form.replace("{q}", it.prompt).replace("{a}", a).replace("{b}", b), False)
    conv = Conv(ctx.system(None))
    conv.user(text)
    ctx.ask(conv, "judge", None, cot=cot, gap="pipe")


def loglik(ctx: Ctx, src: str = "src", echo_text: bool = False) -> None:
    """Score continuations with ``completions`` + ``echo`` + ``logprobs`` (no generation)."""
    r = ctx.rng
    name, it = ctx.state[src].next(r)
    k = int(max(1, ctx.style.top_logprobs or 1))
    extra = {"echo": True, "logprobs": min(k, 5), "max_tokens": int(r.integers(0, 2))}
    if name == "mmlu" and not echo_text:
        lines = it.prompt.split("\n")
        stem = "\n".join(lines[:-4])
        for opt in lines[-4:]:
            ctx.complete(f"Question: {stem}\nAnswer: {opt[3:]}", "label", None, extra=extra)
        return
    text = it.prompt if not it.ref else f"{it.prompt}\n{it.ref}"
    ctx.complete(text[:6000], "label", None, extra=extra)


def embed(ctx: Ctx, src: str = "src", batch: tuple[int, int] = (1, 64)) -> None:
    r = ctx.rng
    k = int(r.integers(batch[0], batch[1] + 1))
    texts = []
    for _ in range(k):
        _, it = ctx.state[src].next(r)
        texts.append((it.ref if it.ref and r.random() < 0.5 else it.prompt)[:600])
    ctx.embed(texts)


def bench(ctx: Ctx, src: str = "src") -> None:
    """A benchmark harness: items in order, one config (model, temperature, CoT) per pass."""
    r = ctx.rng
    s: Source = ctx.state[src]
    configs = ctx.state["configs"]
    model, temp, cot_on, shots = configs[s.passes % len(configs)]
    name, it = s.next(r)
    extra = {"model": model, "temperature": temp}
    if name == "humaneval" and ctx.state.get("raw_code"):
        ctx.complete(it.prompt, "complete", it.ref, extra={**extra, "stop": ["\ndef ", "\nclass "]})
        return
    pool_items = getattr(ctx.pools, name)
    shots_txt = ""
    for i in range(shots):
        ex = pool_items[(hash_idx(it.prompt) + 7 * i + 1) % len(pool_items)]
        shots_txt += f"Question: {ex.prompt}\nAnswer: {(ex.ref or '')[:600]}\n\n"
    body = f"{shots_txt}Question: {it.prompt}\nAnswer:" if shots else it.prompt
    if cot_on:
        body += " " + ctx.state.get("cot_suffix", "Let's think step by step.")
    conv = Conv(ctx.state.get("bench_system"))
    conv.user(body)
    ctx.ask(conv, "cot" if cot_on else OUT_KIND[name], it.ref, extra=extra, gap="pipe")
    if name == "mtbench" and it.ref:
        conv.user(it.ref)
        ctx.ask(conv, "long", None, extra=extra, gap="pipe")


def hash_idx(text: str) -> int:
    """A stable (not salted) small hash, for picking few-shot exemplars."""
    h = 0
    for ch in text[:64]:
        h = (h * 131 + ord(ch)) % 1_000_003
    return h


def bench_configs(ctx: Ctx, cot_rate: float) -> list[tuple[str, float, bool, int]]:
    r = ctx.rng
    models = ["m-large", "m-medium", "m-small", "m-reason"]
    chosen = [models[int(i)] for i in r.choice(4, size=int(r.integers(1, 4)), replace=False)]
    temps = [0.0] if r.random() < 0.5 else [0.0, float(r.choice((0.6, 0.7, 1.0)))]
    shots = int(r.choice((0, 0, 3, 5)))
    out = [(m, t, bool(r.random() < cot_rate), shots) for m in chosen for t in temps]
    order = np.arange(len(out))
    return [out[int(i)] for i in order]
