"""Extraction personas: customers whose aim is to collect the model's answers to train their own.

Same shape as benign.py: setup(world, account) -> ctx and conv(world, account, t, ctx). What they
share is intent: prompts are walked from public instruction and benchmark sets without repeats,
chosen for coverage of a capability rather than for a product, and answers are kept, not used.
How they call the API (cues) is drawn from the same prior as everyone else's.

With account.camo (the twins variant) they also copy benign habits a little: 8% of prompts are
re-sent, 15% of conversations get a generic follow-up, and scripted follow-ups wait like people.
"""

from __future__ import annotations

from benign import APPS
from convo import Convo, toolset
from cues import frame
from wire import Account
from world import FOLLOW_UPS, World

RUBRIC = (
    "You are a strict grader. Using the rubric (correctness, completeness, clarity, safety), "
    "write a detailed critique of the response that points out every error and how to fix "
    "it, then give a score from 1 to 10.\n\nInstruction:\n{q}\n\nResponse:\n{ans}"
)
PAIRWISE = (
    "Compare the two responses to the instruction. Explain in detail which is better and "
    "why, step by step, then answer [[A]] or [[B]].\n\nInstruction:\n{q}\n\n"
    "[Response A]\n{a}\n\n[Response B]\n{b}"
)


def style_of(w: World, text: str) -> str:
    if text in w.code_set:
        return "code"
    return "steps" if text in w.math_set else "prose"


def next_prompt(w: World, a: Account, ctx: dict) -> str:
    recent = ctx.setdefault("recent", [])
    if a.camo and recent and a.rng.random() < 0.08:
        return recent[int(a.rng.integers(len(recent)))]
    text = next(ctx["queue"])
    recent[:] = [*recent[-19:], text]
    return text


def harvest_call(w: World, a: Account, t: float, ctx: dict, text: str, median: float) -> None:
    """One harvested answer; long, single shot (unless camouflaged with a follow-up)."""
    c = Convo(w.wire, a, t, ctx["system"], ctx["tools"])
    c.say(frame(a.cues, text), w.length(a, median, 0.6), ctx.get("style") or style_of(w, text))
    if a.camo and a.rng.random() < 0.15:
        c.think()
        c.say(str(a.rng.choice(FOLLOW_UPS)), w.length(a, median * 0.6, 0.6))


# --- broad harvester: walks every instruction set; some also use Magpie-style template prompts -
def setup_broad(w: World, a: Account) -> dict:
    return {
        "system": a.cues.system,
        "tools": a.cues.tools,
        "queue": w.walk(a.rng, w.src["instruct"]),
        "magpie": a.rng.random() < 0.25,
        "median": 650.0,
    }


def conv_broad(w: World, a: Account, t: float, ctx: dict) -> None:
    if ctx["magpie"] and a.rng.random() < 0.2:  # let the model write the user turn itself
        template = w.pools.magpie[int(a.rng.integers(len(w.pools.magpie)))]
        w.wire.emit(a, t, None, prompt=template, length=w.length(a, 60, 0.5))
        return
    harvest_call(w, a, t, ctx, next_prompt(w, a, ctx), ctx["median"])


# --- chain-of-thought harvester: reasoning-heavy items, reasoning spelled out ------------------
def setup_cot(w: World, a: Account) -> dict:
    mmlu = w.src["mmlu"][::4]
    pool = w.src["gsm8k"] + mmlu + w.src["alpaca"] + w.src["t0"][::2] + w.src["code"][::3]
    return {
        "system": a.cues.system,
        "tools": a.cues.tools,
        "queue": w.walk(a.rng, pool),
        "median": 600.0,
        "style": "steps",
    }


def conv_walk(w: World, a: Account, t: float, ctx: dict) -> None:
    harvest_call(w, a, t, ctx, next_prompt(w, a, ctx), ctx["median"])


# --- capability harvesters: most volume on one capability ---------------------------------------
CS = ("computer_science", "machine_learning", "computer_security")
MATH = ("mathematics", "algebra", "statistics", "physics")


def setup_capability(focus: str):
    def setup(w: World, a: Account) -> dict:
        if focus == "code":
            main = (
                w.src["code"] + w.src["humaneval"] + [q for s, q in w.pools.mmlu if s.endswith(CS)]
            )
        else:
            main = w.src["gsm8k"] + [q for s, q in w.pools.mmlu if s.endswith(MATH)]
        return {
            "system": a.cues.system,
            "tools": a.cues.tools,
            "queue": w.walk(a.rng, main),
            "other": w.walk(a.rng, w.src["instruct"]),
            "median": 500.0,
        }

    return setup


def conv_capability(w: World, a: Account, t: float, ctx: dict) -> None:
    if a.rng.random() < 0.15:
        harvest_call(w, a, t, ctx, next(ctx["other"]), ctx["median"])
    else:
        harvest_call(w, a, t, ctx, next_prompt(w, a, ctx), ctx["median"])


# --- rubric / grading harvester: critiques and scores of real (instruction, answer) pairs ------
def setup_rubric(w: World, a: Account) -> dict:
    p = w.pools
    pairs = list(zip(p.alpaca, p.alpaca_answers, strict=True)) + list(
        zip(p.code_alpaca, p.code_answers, strict=True)
    )
    pairs += list(zip(p.gsm8k, p.gsm8k_answers, strict=True))
    return {"system": a.cues.system, "tools": a.cues.tools, "queue": w.walk(a.rng, pairs)}


def conv_rubric(w: World, a: Account, t: float, ctx: dict) -> None:
    q, ans = next(ctx["queue"])
    if a.rng.random() < 0.3:
        other = w.wire.texts.make(style_of(w, q), w.length(a, 250), q)
        first, second = (ans, other) if a.rng.random() < 0.5 else (other, ans)
        prompt = PAIRWISE.format(q=q, a=first, b=second)
    else:
        prompt = RUBRIC.format(q=q, ans=ans)
    Convo(w.wire, a, t, ctx["system"], ctx["tools"]).say(
        frame(a.cues, prompt), w.length(a, 450, 0.5)
    )


# --- agent-trace harvester: a fresh set of tool definitions per task, to collect tool use ------
def conv_agent_harvest(w: World, a: Account, t: float, ctx: dict) -> None:
    rng = a.rng
    tools = toolset(rng, int(rng.integers(3, 13)))
    c = Convo(w.wire, a, t, ctx["system"], tools)
    task = frame(
        a.cues, "Use the available tools to complete the task.\n\n" + next_prompt(w, a, ctx)
    )
    if rng.random() < 0.6:
        c.act(task, 1, 0, finish=False)  # the tool call itself is the harvest
    else:
        c.act(task, int(rng.integers(2, 5)), w.length(a, 400), result_tokens=200.0)


# --- a chat app that is not: product prompt and a few follow-ups around walked first turns -----
def setup_poser(w: World, a: Account) -> dict:
    return {
        "system": a.cues.system,
        "tools": a.cues.tools,
        "queue": w.walk(a.rng, w.src["instruct"]),
    }


def conv_poser(w: World, a: Account, t: float, ctx: dict) -> None:
    c = Convo(w.wire, a, t, ctx["system"], ctx["tools"])
    text = next_prompt(w, a, ctx)
    c.say(frame(a.cues, text), w.length(a, 550, 0.6), style_of(w, text))
    if a.rng.random() < 0.4:
        for _ in range(int(a.rng.integers(1, 4))):
            if a.camo:
                c.think(20.0, 1.0)
            else:
                c.think(4.0, 0.6)  # a script, not a person
            c.say(str(a.rng.choice(FOLLOW_UPS)), w.length(a, 400, 0.6))


# --- reseller / proxy: real end users' traffic with an extraction job mixed in -----------------
def setup_reseller(w: World, a: Account) -> dict:
    saas = APPS["saas"][0](w, a)
    saas["job"] = setup_broad(w, a)
    saas["job"]["magpie"] = False
    saas["share"] = float(a.rng.uniform(0.3, 0.6))
    return saas


def conv_reseller(w: World, a: Account, t: float, ctx: dict) -> None:
    if a.rng.random() < ctx["share"]:
        conv_broad(w, a, t, ctx["job"])
    else:
        APPS["saas"][1](w, a, t, ctx)


# --- logit probing: sweep logit_bias over the vocabulary, read the top logprobs ----------------
def setup_prober(w: World, a: Account) -> dict:
    rng = a.rng
    prompts = [
        w.src["nq"][int(i)]
        for i in rng.choice(len(w.src["nq"]), size=int(rng.integers(5, 40)), replace=False)
    ]
    return {
        "system": a.cues.system,
        "prompts": prompts,
        "batch": int(rng.choice([1, 5, 20, 50])),
        "next": int(rng.integers(0, 5000)),
        "top": int(rng.choice([5, 20])),
    }


def conv_prober(w: World, a: Account, t: float, ctx: dict) -> None:
    start, ctx["next"] = ctx["next"], ctx["next"] + ctx["batch"]
    prompt = ctx["prompts"][(start // (200 * ctx["batch"])) % len(ctx["prompts"])]  # 200 calls each
    bias = {str(i % 100000): 100 for i in range(start, start + ctx["batch"])}
    extra = {
        "logprobs": True,
        "top_logprobs": ctx["top"],
        "max_tokens": 1,
        "logit_bias": bias,
        "temperature": 0.0,
    }
    Convo(w.wire, a, t, ctx["system"]).say(prompt, 0, content=f"t{start % 100000}", extra=extra)


# --- coordinated campaigns: many accounts, one operator, one shared walk ------------------------
def campaign_call(w: World, a: Account, t: float, ctx: dict, text: str) -> None:
    harvest_call(w, a, t, ctx, text, ctx.get("median", 550.0))


EXTRACTION = {
    "broad": (setup_broad, conv_broad),
    "cot": (setup_cot, conv_walk),
    "code": (setup_capability("code"), conv_capability),
    "math": (setup_capability("math"), conv_capability),
    "rubric": (setup_rubric, conv_rubric),
    "agent": (setup_poser, conv_agent_harvest),
    "poser": (setup_poser, conv_poser),
    "reseller": (setup_reseller, conv_reseller),
    "prober": (setup_prober, conv_prober),
}
