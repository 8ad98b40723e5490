"""Benign batch and evaluation workloads: benchmark runners, evaluation vendors, labellers,
log-likelihood evaluators, content generators and researchers. Same shape as benign.py.

These are the benign customers whose traffic looks most like harvesting: high volume, single
shot, round the clock, templated, often capped or with logprobs. The difference is what they send:
a fixed item set re-run across models, the customer's own data, or its own niche of topics.
"""

from __future__ import annotations

from benign import CHOICE_BIAS, base_ctx
from convo import Convo
from cues import frame
from wire import Account
from world import World


# --- benchmark runners and evaluation vendors: fixed item sets, several models and temperatures -
def setup_runner(w: World, a: Account) -> dict:
    rng = a.rng
    benches = [
        str(b)
        for b in rng.choice(
            ["gsm8k", "mmlu", "humaneval", "mt"], size=int(rng.integers(1, 4)), replace=False
        )
    ]
    models = [
        str(m)
        for m in rng.choice(
            ["m-large", "m-small", "m-reason", "m-open-reason"],
            size=int(rng.integers(2, 5)),
            replace=False,
        )
    ]
    temps = [[0.0], [0.0, 0.7], [0.2, 0.7, 1.0]][int(rng.integers(3))]
    return {
        "benches": benches,
        "models": models,
        "temps": temps,
        "size": int(rng.integers(100, 400)),
        "system": a.cues.system,
        "tools": a.cues.tools,
    }


def _bench_items(w: World, bench: str, size: int) -> list:
    """Every runner uses the same first-N items (as eval harnesses do)."""
    if bench == "mmlu":
        return [
            f"The following is a multiple choice question about {s.replace('_', ' ')}.\n\n{q}"
            for s, q in w.pools.mmlu[::37][:size]
        ]
    if bench == "humaneval":
        return [
            f"Complete the following Python function.\n\n```python\n{p}```"
            for p in w.pools.humaneval[:size]
        ]
    if bench == "mt":
        return w.pools.mt_bench[:size]
    return [f"Question: {q}\nAnswer:" for q in w.pools.gsm8k[:size]]


def run_bench_job(w: World, a: Account, t: float, ctx: dict) -> None:
    rng = a.rng
    bench = ctx["benches"][int(rng.integers(len(ctx["benches"])))]
    model = ctx["models"][int(rng.integers(len(ctx["models"])))]
    extra = {"temperature": float(rng.choice(ctx["temps"]))}
    cot = a.cues.cot != "none"
    for item in _bench_items(w, bench, ctx["size"]):
        c = Convo(w.wire, a, t, ctx["system"], ctx["tools"], model)
        if bench == "mt":
            c.say(item[0], w.length(a, 350), extra=extra)
            c.say(item[1], w.length(a, 300), extra=extra)
        elif bench == "humaneval":
            c.say(frame(a.cues, item), w.length(a, 180), "code", extra=extra)
        elif bench == "mmlu":
            c.say(frame(a.cues, item), w.length(a, 250) if cot else 2, "steps", extra=extra)
        else:
            c.say(frame(a.cues, item), w.length(a, 200 if cot else 120), "steps", extra=extra)
        t += float(rng.exponential(0.3))  # a worker pool, throughput-bound
        if t > w.end():
            return


JUDGE = (
    "Please act as an impartial judge and evaluate the quality of the response provided by an "
    "AI assistant to the user question below. Consider helpfulness, relevance, accuracy and "
    "depth. Give a short explanation, then a rating from 1 to 10 as [[rating]].\n\n"
    "[Question]\n{q}\n\n[The Start of Assistant's Answer]\n{ans}\n[The End of Assistant's Answer]"
)


def conv_vendor(w: World, a: Account, t: float, ctx: dict) -> None:
    if a.rng.random() < 0.5:
        return run_bench_job(w, a, t, ctx)
    client_model = f"client-model-{int(a.rng.integers(40))}"  # the model being graded
    for q in w.src["vicuna"] + w.src["mt1"]:
        ans = w.wire.texts.make("prose", w.length(a, 300), client_model + q)
        Convo(w.wire, a, t, ctx["system"], ctx["tools"]).say(
            JUDGE.format(q=q, ans=ans), w.length(a, 150)
        )
        t += float(a.rng.exponential(0.4))
    return None


# --- batch labeller: the customer's own dataset, single-shot classification, short answers -----
def setup_labeller(w: World, a: Account) -> dict:
    rng = a.rng
    name = str(rng.choice(["banking", "clinc", "bitext", "nq"]))
    if name == "nq":
        rows = [(q, "") for q in w.src["nq"]]
        labels = ["person", "place", "date", "number", "organisation", "work", "other"]
        ask = "What type of entity answers this search query? Options: {labels}.\nQuery: {x}\nType:"
    else:
        rows = {"banking": w.pools.banking, "clinc": w.pools.clinc, "bitext": w.pools.bitext}[name]
        labels = sorted({i for _, i in rows})
        ask = (
            "Classify the customer message into one of these intents: {labels}.\n"
            "Message: {x}\nIntent:"
        )
    if rng.random() < 0.3:  # a small dataset relabelled as the prompt is iterated on
        rows = [rows[int(i)] for i in rng.choice(len(rows), size=800, replace=False)]
    bias = (
        {str(int(t)): 100 for t in rng.integers(1000, 90000, size=len(labels))}
        if rng.random() < 0.25
        else None
    )
    return {
        "system": a.cues.system,
        "tools": a.cues.tools,
        "rows": w.walk(rng, rows),
        "labels": labels,
        "ask": ask,
        "bias": bias,
    }


def conv_labeller(w: World, a: Account, t: float, ctx: dict) -> None:
    text, intent = next(ctx["rows"])
    label = intent or str(a.rng.choice(ctx["labels"]))
    if a.rng.random() < 0.15:  # the model is not always right
        label = str(a.rng.choice(ctx["labels"]))
    prompt = ctx["ask"].format(labels=", ".join(ctx["labels"]), x=text)
    content = f'{{"label": "{label}"}}' if a.cues.template == "json" else label
    extra = {"logit_bias": ctx["bias"]} if ctx["bias"] else None
    Convo(w.wire, a, t, ctx["system"], ctx["tools"]).say(
        frame(a.cues, prompt), 0, content=content, extra=extra
    )


# --- log-likelihood evaluation: MMLU letters with logprobs, biased to the four choices ---------
def conv_loglik(w: World, a: Account, t: float, ctx: dict) -> None:
    rng = a.rng
    model = a.cues.models[int(rng.integers(len(a.cues.models)))]
    top = int(rng.choice([5, 10, 20]))
    items = w.pools.mmlu[int(rng.integers(0, 12000)) :][: int(rng.integers(100, 300))]
    for subject, q in items:
        about = subject.replace("_", " ")
        prompt = f"The following are multiple choice questions (with answers) about {about}.\n\n{q}"
        extra = {"logprobs": True, "top_logprobs": top, "max_tokens": 1, "logit_bias": CHOICE_BIAS}
        Convo(w.wire, a, t, ctx["system"], None, model).say(
            prompt, 0, content=str(rng.choice(list("ABCD"))), extra=extra
        )
        t += float(rng.exponential(0.15))
        if t > w.end():
            return


# --- content generator: long articles on its own niche of topics, often at the cap -------------
ARTICLE = [
    "Write a detailed, SEO-friendly blog article answering: {x}",
    "Write a comprehensive guide with headings on: {x}",
    "Create a long-form article (about 1500 words) about: {x}",
]


def setup_content(w: World, a: Account) -> dict:
    rng = a.rng
    topics = [q for q in w.src["nq"] + w.src["vicuna"] if rng.random() < 0.35]  # its niche
    return {
        "system": a.cues.system,
        "tools": a.cues.tools,
        "topics": w.walk(rng, topics),
        "ask": str(rng.choice(ARTICLE)),
    }


def conv_content(w: World, a: Account, t: float, ctx: dict) -> None:
    prompt = ctx["ask"].format(x=next(ctx["topics"]))
    Convo(w.wire, a, t, ctx["system"], ctx["tools"]).say(
        frame(a.cues, prompt), w.length(a, 950, 0.4)
    )


# --- researcher: varied, moderate volume, temperature sweeps, the odd logprob probe ------------
ANY = {
    "alpaca": 0.1,
    "code": 0.1,
    "t0": 0.15,
    "nq": 0.1,
    "gsm8k": 0.1,
    "mmlu": 0.15,
    "vicuna": 0.1,
    "mt1": 0.05,
    "clinc": 0.05,
    "humaneval": 0.05,
    "roles": 0.05,
}


def conv_research(w: World, a: Account, t: float, ctx: dict) -> None:
    rng = a.rng
    r = rng.random()
    _, text = w.mix(a, ANY)
    c = Convo(w.wire, a, t, ctx["system"], ctx["tools"])
    if r < 0.5:
        c.say(frame(a.cues, text), w.length(a, 300, 1.0))
    elif r < 0.7:  # the same prompt across temperatures
        for temp in rng.choice(
            [0.0, 0.3, 0.7, 1.0, 1.3], size=int(rng.integers(3, 6)), replace=False
        ):
            Convo(w.wire, a, c.t, ctx["system"]).say(
                text, w.length(a, 300, 0.8), extra={"temperature": float(temp)}
            )
            c.t += float(rng.exponential(3.0))
    elif r < 0.85:
        q = w.pick(a, "mmlu", w.src["mmlu"])
        c.say(
            q,
            0,
            content=str(rng.choice(list("ABCD"))),
            extra={"logprobs": True, "top_logprobs": 5, "max_tokens": 1},
        )
    else:
        for k in range(int(rng.integers(2, 5))):
            if k:
                c.think(60.0)
                text = w.mix(a, ANY)[1]
            c.say(frame(a.cues, text), w.length(a, 300, 1.0))


WORKLOADS = {
    "runner": (setup_runner, run_bench_job),
    "vendor": (setup_runner, conv_vendor),
    "labeller": (setup_labeller, conv_labeller),
    "loglik": (base_ctx, conv_loglik),
    "content": (setup_content, conv_content),
    "research": (base_ctx, conv_research),
}
