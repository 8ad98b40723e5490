"""Extraction personas.  What they share is purpose: coverage of a capability, each prompt once
(``walk``), often split across accounts that together cover one selection."""

from __future__ import annotations

import numpy as np

from .engine import Conv, Ctx
from .engines import classify, embed, judge, loglik, qa, tool_loop
from .persona import Persona, popular, walk
from .personas_benign import CHAT_POOLS, office_session
from .select import perturb_gsm8k, shuffle_mc
from .text import TOOL_NAMES

BROAD = ("alpaca", "t0", "mtbench", "vicuna", "gsm8k", "code_alpaca", "nq", "mmlu", "humaneval")
REASONING = ("gsm8k", "mmlu", "alpaca")
FRAMINGS = (
    "My kid asked me this and I want to explain it properly: {x}",
    "For our study group: {x}",
    "{x}\n(asking for a quiz I'm writing)",
    "Quick question before my exam tomorrow. {x}",
    "I run a small newsletter and a reader sent this: {x}",
    "{x}",
    "Help me understand this one. {x}",
    "Can you check this for me?\n{x}",
    "{x}\nPlease be thorough, I want to learn it.",
    "Random thought I had today: {x}",
)
SELF_INSTRUCT = (
    "Come up with a series of {n} diverse tasks. Make the instructions varied in verb "
    "and topic, and include an input where useful.\n\n{ex}\n\nNew tasks:"
)


def _campaign_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = walk(ctx, (), shared)
    ctx.state["framing"] = FRAMINGS[int(ctx.rng.integers(len(FRAMINGS)))]


def _solo(names: tuple[str, ...], limit: int | None = None):
    def setup(ctx: Ctx, shared: dict) -> None:
        ctx.state["src"] = walk(ctx, names, limit=limit)

    return setup


def _instr_session(ctx: Ctx) -> None:
    r, p = ctx.rng, ctx.pools
    u = r.random()
    if u < 0.35:
        ex = "\n".join(
            f"{i + 1}. {p.alpaca[int(j)].prompt}"
            for i, j in enumerate(r.integers(len(p.alpaca), size=3))
        )
        conv = Conv(ctx.system(None))
        conv.user(SELF_INSTRUCT.replace("{n}", str(10 * int(r.integers(1, 3)))).replace("{ex}", ex))
        ctx.ask(conv, "tasks", None, gap="pipe")
    elif u < 0.6:
        tpl = p.magpie[int(r.integers(len(p.magpie)))]
        q = (
            p.vicuna[int(r.integers(len(p.vicuna)))].prompt
            if r.random() < 0.3
            else p.nq[int(r.integers(len(p.nq)))].prompt
        )
        ctx.complete(tpl, "short", q, extra={"stop": ["<|eot_id|>", "<|im_end|>", "\n\n"]})
        conv = Conv(ctx.system(None))
        conv.user(q)
        ctx.ask(conv, "long", None, gap="pipe")
    else:
        qa(ctx, follow="generic")


def _tool_harvest(ctx: Ctx) -> None:
    r = ctx.rng
    names = [
        TOOL_NAMES[int(i)] for i in r.choice(len(TOOL_NAMES), int(r.integers(2, 7)), replace=False)
    ]
    tool_loop(ctx, names, follow="generic")


def _logprob_session(ctx: Ctx) -> None:
    if ctx.rng.random() < 0.6:
        qa(ctx, follow="generic")
    else:
        loglik(ctx, echo_text=True)


def _reseller_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["cust"] = popular(ctx, CHAT_POOLS + ("bitext",), (300, 3000), 0.9)
    ctx.state["src"] = walk(ctx, BROAD)
    ctx.state["harvest_p"] = float(ctx.rng.uniform(0.3, 0.6))


def _reseller_session(ctx: Ctx) -> None:
    if ctx.rng.random() < ctx.state["harvest_p"]:
        qa(ctx, "src", follow="generic")
    else:
        qa(ctx, "cust")


def _product_setup(ctx: Ctx, shared: dict, mode: str = "walk") -> None:
    """Capability mix of an all-in-one assistant; ``mode`` decides coverage vs. popularity."""
    r = ctx.rng
    groups = {
        "chat": ("vicuna", "mtbench", "nq", "alpaca"),
        "support": ("bitext",),
        "code": ("code_alpaca", "humaneval"),
        "docs": ("t0",),
        "agent": ("clinc",),
    }
    for g, names in groups.items():
        ctx.state[g] = walk(ctx, names) if mode == "walk" else popular(ctx, names, (50, 500))
    k = int(r.integers(3, 7))
    ctx.state["tools"] = [TOOL_NAMES[int(i)] for i in r.choice(len(TOOL_NAMES), k, replace=False)]
    ctx.state["mix"] = np.cumsum(r.dirichlet((4.0, 2.0, 1.5, 1.5, 1.5)))


def product_session(ctx: Ctx) -> None:
    cdf = ctx.state["mix"]
    g = ("chat", "support", "code", "docs", "agent")[
        min(4, int(np.searchsorted(cdf, ctx.rng.random())))
    ]
    if g == "agent":
        tool_loop(ctx, ctx.state["tools"], src="agent")
    else:
        qa(ctx, g, rag=0.5 if g == "support" else 0.0)


def _paraphrase_session(ctx: Ctx) -> None:
    r = ctx.rng
    name, it = ctx.state["src"].next(r)
    body = perturb_gsm8k(r, it.prompt) if name == "gsm8k" else shuffle_mc(r, it.prompt)
    conv = Conv(ctx.system(None))
    text, cot = ctx.wrap(body)
    conv.user(text)
    ctx.ask(conv, "cot" if cot or name == "gsm8k" else "short", None)


def _sleeper_setup(ctx: Ctx, shared: dict) -> None:
    from .personas_benign import BENIGN

    before = str(ctx.rng.choice(("support_bot", "consumer_chat")))
    BENIGN[before].setup(ctx, shared)
    ctx.state["before"] = ctx.state.pop("src")
    ctx.state["after"] = walk(ctx, REASONING + ("t0",))
    ctx.state["switch"] = float(ctx.rng.uniform(0.3, 0.7))


def _sleeper_session(ctx: Ctx) -> None:
    if ctx.state["now_frac"] < ctx.state["switch"]:
        qa(ctx, "before")
    else:
        qa(ctx, "after", follow="generic")


def _label_harvest_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = walk(ctx, ("t0", "banking", "clinc", "bitext"))
    ctx.state["labels"] = {
        "banking": ctx.pools.intents_banking,
        "clinc": ctx.pools.intents_clinc[:60],
        "bitext": ctx.pools.intents_bitext,
        "t0": ["yes", "no", "maybe", "positive", "negative"],
    }


def _label_harvest(ctx: Ctx) -> None:
    classify(ctx, ctx.state["labels"])


def _bench_harvest_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = walk(
        ctx, ("gsm8k", "mmlu", "humaneval", "mtbench", "vicuna", "alpaca", "t0")
    )


def _bench_harvest(ctx: Ctx) -> None:
    qa(ctx, framing="Question: {x}\nAnswer:", follow="generic")


def _tutor_harvest_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = walk(ctx, ("gsm8k", "mmlu"), tags=None)


def _agent_harvest_setup(ctx: Ctx, shared: dict) -> None:
    k = int(ctx.rng.integers(3, 9))
    ctx.state["tools"] = [
        TOOL_NAMES[int(i)] for i in ctx.rng.choice(len(TOOL_NAMES), k, replace=False)
    ]
    ctx.state["src"] = walk(ctx, ("clinc", "alpaca", "nq"))


def _rag_harvest(ctx: Ctx) -> None:
    qa(ctx, rag=0.6, follow="generic")


def _content_harvest_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = walk(ctx, ("alpaca", "vicuna", "nq", "mtbench"))
    ctx.state["framing"] = "Write a detailed, well-structured article that fully answers: {x}"


def _office_harvest_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = walk(ctx, ("t0", "alpaca", "bitext", "mtbench"))
    ctx.state["tpl"] = ["{x}", "Summarize, then expand on:\n\n{x}", "Rewrite and improve:\n\n{x}"]


ATTACK: dict[str, Persona] = {
    "hydra": Persona(
        "extraction", "assistant app", _campaign_setup, lambda c: qa(c, follow="dataset")
    ),
    "low_and_slow": Persona(
        "extraction",
        "study helper",
        _campaign_setup,
        lambda c: qa(c, framing=c.state["framing"], follow="generic"),
        ("low_volume",),
    ),
    "chat_app_impostor": Persona(
        "extraction",
        "mobile chat app",
        _solo(CHAT_POOLS + ("alpaca",)),
        lambda c: qa(c, follow="dataset"),
        ("system",),
    ),
    "instruction_harvester": Persona(
        "extraction", "writing assistant", _solo(("alpaca", "t0", "code_seeds")), _instr_session
    ),
    "cot_harvester": Persona(
        "extraction",
        "homework tutor",
        _solo(REASONING),
        lambda c: qa(c, out="cot", follow="generic"),
        ("cot",),
    ),
    "rubric_harvester": Persona(
        "extraction",
        "grading service",
        _solo(("alpaca", "nq", "vicuna", "gsm8k", "mtbench")),
        judge,
        ("no_followup",),
    ),
    "code_harvester": Persona(
        "extraction",
        "IDE plugin",
        _solo(("code_alpaca", "humaneval", "code_seeds")),
        lambda c: qa(c, follow="generic"),
    ),
    "tool_trace_harvester": Persona(
        "extraction", "agent platform", _solo(("clinc", "alpaca")), _tool_harvest, ("tools",)
    ),
    "logprob_harvester": Persona(
        "extraction",
        "analytics API",
        _solo(("alpaca", "t0", "nq", "vicuna")),
        _logprob_session,
        ("logprobs",),
    ),
    "reseller": Persona("extraction", "API reseller", _reseller_setup, _reseller_session),
    "product_mimic": Persona("extraction", "all-in-one assistant", _product_setup, product_session),
    "critique_loop": Persona(
        "extraction",
        "writing coach",
        _solo(("alpaca", "vicuna", "mtbench", "gsm8k")),
        lambda c: qa(c, follow="critique", n_follow=int(c.rng.integers(1, 3))),
        ("followup",),
    ),
    "paraphrase_augmenter": Persona(
        "extraction", "quiz generator", _solo(("gsm8k", "mmlu")), _paraphrase_session
    ),
    "embedding_harvester": Persona(
        "extraction",
        "semantic search index",
        _solo(("nq", "clinc", "banking", "alpaca", "t0", "code_alpaca", "bitext")),
        lambda c: embed(c, "src", (8, 64)),
        ("no_followup",),
    ),
    "sleeper": Persona("extraction", "customer-support widget", _sleeper_setup, _sleeper_session),
}

# Extraction twins of benign kinds: the benign kind's cues, a harvesting purpose.
ATTACK_TWINS: dict[str, Persona] = {
    "batch_labeller_twin": Persona(
        "extraction", "ticket triage job", _label_harvest_setup, _label_harvest, ("no_followup",)
    ),
    "loglik_evaluator_twin": Persona(
        "extraction",
        "log-likelihood eval harness",
        _solo(("t0", "alpaca", "code_alpaca", "gsm8k")),
        lambda c: loglik(c, echo_text=True),
        ("logprobs", "no_followup"),
    ),
    "benchmark_runner_twin": Persona(
        "extraction", "evaluation harness", _bench_harvest_setup, _bench_harvest, ("no_followup",)
    ),
    "tutoring_app_twin": Persona(
        "extraction",
        "homework tutor",
        _tutor_harvest_setup,
        lambda c: qa(c, follow="student", out="cot"),
        ("cot", "followup"),
    ),
    "agent_platform_twin": Persona(
        "extraction",
        "agent platform",
        _agent_harvest_setup,
        lambda c: tool_loop(c, c.state["tools"]),
        ("tools",),
    ),
    "support_bot_twin": Persona(
        "extraction",
        "customer-support widget",
        _solo(("bitext",)),
        lambda c: qa(c, rag=0.3),
        ("system",),
    ),
    "rag_app_twin": Persona("extraction", "knowledge-base search", _solo(("t0",)), _rag_harvest),
    "content_generator_twin": Persona(
        "extraction",
        "SEO content tool",
        _content_harvest_setup,
        lambda c: qa(c, framing=c.state["framing"], out="long"),
    ),
    "coding_assistant_twin": Persona(
        "extraction",
        "IDE plugin",
        _solo(("humaneval", "code_alpaca")),
        lambda c: qa(
            c,
            framing="Here is my code:\n```python\n{x}```\nExplain it and write a better version.",
            follow="generic",
        ),
    ),
    "enterprise_team_twin": Persona(
        "extraction", "internal productivity tool", _office_harvest_setup, office_session
    ),
}
