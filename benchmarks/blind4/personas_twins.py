"""Benign twins of the solo extraction kinds: same cues, volume and follow-up rate (the style is
copied), a customer's purpose (its own narrow, repeating slice; follow-ups that read the answer)."""

from __future__ import annotations

from .engine import Conv, Ctx
from .engines import classify, judge, qa, tool_loop
from .persona import Persona, by_tag, mmlu_subjects, popular
from .personas_attack import _product_setup, product_session
from .personas_benign import (
    BENIGN,
    CHAT_POOLS,
    code_session,
    index_session,
    office_session,
)
from .select import Source, perturb_gsm8k, shuffle_mc

IDEAS = ("Give me {n} ideas for {x}", "List {n} ways to approach this: {x}")
MODERATION = ["safe", "spam", "harassment", "self-harm", "fraud", "other"]


def _library_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = popular(ctx, ("awesome", "alpaca"), (40, 400), 1.0)


def _library_session(ctx: Ctx) -> None:
    """A prompt marketplace: users run popular community prompts, some via the legacy endpoint."""
    r = ctx.rng
    u = r.random()
    if u < 0.25:
        _, it = ctx.state["src"].next(r)
        ctx.complete(it.prompt, "short", it.ref, gap="user")
    elif u < 0.6:
        _, it = ctx.state["src"].next(r)
        conv = Conv(ctx.system(None))
        conv.user(
            IDEAS[int(r.integers(2))]
            .replace("{n}", str(10 * int(r.integers(1, 3))))
            .replace("{x}", it.prompt.splitlines()[0][:200])
        )
        ctx.ask(conv, "tasks", None)
    else:
        qa(ctx)


def _curriculum_setup(ctx: Ctx, shared: dict) -> None:
    if ctx.rng.random() < 0.6:
        ctx.state["src"] = popular(ctx, ("gsm8k",), (30, 150), 0.9)
    else:
        ctx.state["src"] = popular(
            ctx, ("mmlu",), (40, 200), 0.9, tags=mmlu_subjects(ctx, 2, 4, "high_school")
        )


def _grader_setup(ctx: Ctx, shared: dict) -> None:
    """An ed-tech grader: a fixed set of assignment questions, one rubric, many student answers."""
    ctx.state["src"] = popular(ctx, ("mtbench", "vicuna", "gsm8k"), (8, 40), 0.6)
    ctx.state["form"] = (int(ctx.rng.integers(0, 2)),)


def _repo_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["repo"] = popular(ctx, ("humaneval", "code_seeds"), (5, 25), 0.8)


def _moderation_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = popular(ctx, ("clinc", "banking", "nq"), (500, 4000), 0.9)


def _router_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = popular(ctx, CHAT_POOLS + ("bitext",), (300, 3000), 0.9)


def _writer_setup(ctx: Ctx, shared: dict) -> None:
    BENIGN["enterprise_team"].setup(ctx, shared)


REVISIONS = (
    "make it shorter",
    "more formal please",
    "can you make the second paragraph punchier?",
    "now a version for customers, not staff",
    "fix the tone, it sounds rude",
    "add a sentence about the deadline",
)


def _writer_session(ctx: Ctx) -> None:
    """A writing assistant: a draft, then the user's own revision requests."""
    r = ctx.rng
    _, it = ctx.state["src"].next(r)
    t = ctx.state["tpl"]
    conv = Conv(ctx.system(None))
    text, cot = ctx.wrap(t[int(r.integers(len(t)))].replace("{x}", it.prompt))
    conv.user(text)
    ctx.ask(conv, "chat", it.ref, cot=cot)
    for _ in range(int(r.integers(1, 3))):
        conv.user(REVISIONS[int(r.integers(len(REVISIONS)))])
        ctx.ask(conv, "chat", None)


def _robust_setup(ctx: Ctx, shared: dict) -> None:
    """A robustness study: a fixed subset, a fixed set of perturbation seeds, re-run as a grid."""
    r = ctx.rng
    base = popular(ctx, ("gsm8k", "mmlu"), (30, 100), 0.0)
    items = [base.items[int(i)] for i in base.idx]
    ctx.state["src"] = Source(ctx.pools, r, items * int(r.integers(3, 6)), "ordered")
    ctx.state["variant_seed"] = int(r.integers(1 << 30))


def _robust_session(ctx: Ctx) -> None:
    import numpy as np

    s = ctx.state["src"]
    pos = s.pos
    name, it = s.next(ctx.rng)
    vr = np.random.default_rng([ctx.state["variant_seed"], pos])  # same variant on every pass
    body = perturb_gsm8k(vr, it.prompt) if name == "gsm8k" else shuffle_mc(vr, it.prompt)
    conv = Conv(ctx.system(None))
    text, cot = ctx.wrap(body)
    conv.user(text)
    ctx.ask(conv, "cot" if cot or name == "gsm8k" else "short", it.ref, gap="pipe")


def _launch_setup(ctx: Ctx, shared: dict) -> None:
    before = str(ctx.rng.choice(("support_bot", "consumer_chat")))
    BENIGN[before].setup(ctx, shared)
    ctx.state["before"] = ctx.state.pop("src")
    _curriculum_setup(ctx, shared)
    ctx.state["after"] = ctx.state.pop("src")
    ctx.state["switch"] = float(ctx.rng.uniform(0.3, 0.7))


def _launch_session(ctx: Ctx) -> None:
    if ctx.state["now_frac"] < ctx.state["switch"]:
        qa(ctx, "before")
    else:
        qa(ctx, "after", follow="student")


def _support_mix_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = popular(ctx, ("bitext",), (80, 500), 1.1)
    ctx.state["by_tag"] = by_tag(ctx.pools.bitext)


BENIGN_TWINS: dict[str, Persona] = {
    "chat_app_impostor_twin": Persona(
        "benign", "mobile chat app", BENIGN["consumer_chat"].setup, lambda c: qa(c), ("system",)
    ),
    "instruction_harvester_twin": Persona(
        "benign", "prompt marketplace", _library_setup, _library_session
    ),
    "cot_harvester_twin": Persona(
        "benign",
        "homework tutor",
        _curriculum_setup,
        lambda c: qa(c, out="cot", follow="student"),
        ("cot",),
    ),
    "rubric_harvester_twin": Persona(
        "benign",
        "grading service",
        _grader_setup,
        lambda c: judge(c, "src", c.state["form"]),
        ("no_followup",),
    ),
    "code_harvester_twin": Persona("benign", "IDE plugin", _repo_setup, code_session),
    "tool_trace_harvester_twin": Persona(
        "benign",
        "agent platform",
        BENIGN["agent_platform"].setup,
        lambda c: tool_loop(c, c.state["tools"]),
        ("tools",),
    ),
    "logprob_harvester_twin": Persona(
        "benign",
        "trust-and-safety filter",
        _moderation_setup,
        lambda c: classify(c, MODERATION, task="user message"),
        ("logprobs",),
    ),
    "reseller_twin": Persona("benign", "API router", _router_setup, lambda c: qa(c)),
    "product_mimic_twin": Persona(
        "benign",
        "all-in-one assistant",
        lambda c, s: _product_setup(c, s, "popular"),
        product_session,
    ),
    "critique_loop_twin": Persona(
        "benign", "writing coach", _writer_setup, _writer_session, ("followup",)
    ),
    "paraphrase_augmenter_twin": Persona(
        "benign", "robustness study", _robust_setup, _robust_session
    ),
    "embedding_harvester_twin": Persona(
        "benign",
        "semantic search index",
        BENIGN["embedding_indexer"].setup,
        index_session,
        ("no_followup",),
    ),
    "sleeper_twin": Persona("benign", "customer-support widget", _launch_setup, _launch_session),
}
_UNUSED = (office_session, _support_mix_setup)
