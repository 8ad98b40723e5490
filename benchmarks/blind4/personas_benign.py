"""Benign customers.  Their prompts come from a product's own narrow, repeating slice of a pool
(``popular``), or from a job whose data is the customer's own (labelling, indexing, benchmarks)."""

from __future__ import annotations

from .engine import Conv, Ctx
from .engines import bench, bench_configs, classify, embed, judge, loglik, qa, tool_loop
from .persona import Persona, by_tag, mmlu_subjects, ordered, popular, subset, walk
from .select import Source
from .text import TOOL_NAMES

CHAT_POOLS = ("nq", "clinc", "vicuna", "mtbench", "awesome")
LANGS = (
    "German",
    "French",
    "Spanish",
    "Japanese",
    "Portuguese (Brazil)",
    "Korean",
    "Italian",
    "Dutch",
    "Polish",
    "Turkish",
    "Simplified Chinese",
    "Arabic",
)
OFFICE = (
    "Summarize the following for a busy executive in five bullet points:\n\n{x}",
    "Draft a polite reply to this message:\n\n{x}",
    "Rewrite this to sound more professional:\n\n{x}",
    "Extract the action items, owners and deadlines from these notes:\n\n{x}",
    "Turn this into a short internal announcement:\n\n{x}",
)
CODE_ASKS = (
    "Why does this fail on an empty input?",
    "Write pytest unit tests for this.",
    "Refactor this to be more readable.",
    "Add type hints and a docstring.",
    "What is the time complexity?",
    "Port this to TypeScript.",
)
DEV_EDITS = (
    "{x}",
    "{x}\nAnswer in JSON.",
    "{x} Be concise.",
    "IMPORTANT: follow the format.\n{x}",
    "{x}\n\nUse markdown headings.",
    "{x} (v2)",
)


def _support_setup(ctx: Ctx, shared: dict) -> None:
    name = str(ctx.rng.choice(("bitext", "banking", "clinc")))
    tags = subset(ctx, sorted({it.tag for it in getattr(ctx.pools, name) if it.tag}), 8, 40)
    ctx.state["src"] = popular(ctx, (name,), (60, 600), 1.1, tags=tags)
    ctx.state["by_tag"] = by_tag(it for it in getattr(ctx.pools, name) if it.tag in tags)


def _chat_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = popular(ctx, CHAT_POOLS, (300, 3000), float(ctx.rng.uniform(0.7, 1.1)))


def _agent_setup(ctx: Ctx, shared: dict) -> None:
    k = int(ctx.rng.integers(3, 9))
    ctx.state["tools"] = [
        TOOL_NAMES[int(i)] for i in ctx.rng.choice(len(TOOL_NAMES), k, replace=False)
    ]
    ctx.state["src"] = popular(ctx, ("clinc",), (100, 800))


def _tutor_setup(ctx: Ctx, shared: dict) -> None:
    if ctx.rng.random() < 0.6:
        ctx.state["src"] = popular(ctx, ("gsm8k",), (30, 150), 0.9)
    else:
        subj = mmlu_subjects(ctx, 2, 4, "high_school")
        ctx.state["src"] = popular(ctx, ("mmlu",), (40, 200), 0.9, tags=subj)


def _bench_setup(ctx: Ctx, shared: dict, many: bool = False) -> None:
    r = ctx.rng
    names = sorted(
        subset(
            ctx,
            ["gsm8k", "mmlu", "humaneval", "mtbench", "vicuna"],
            2 if many else 1,
            5 if many else 3,
        )
    )
    items = []
    for n in names:
        tags = mmlu_subjects(ctx, 3, 10) if n == "mmlu" else None
        items.extend(ordered(ctx, (n,), tags=tags).items)
    ctx.state["src"] = Source(ctx.pools, r, items, "ordered")
    ctx.state["configs"] = bench_configs(ctx, 0.4)
    ctx.state["cot_suffix"] = ctx.style.cot_phrase
    ctx.state["raw_code"] = bool(r.random() < 0.5)
    ctx.state["judge_src"] = ordered(ctx, ("mtbench", "vicuna"))


def _eval_session(ctx: Ctx) -> None:
    if ctx.rng.random() < 0.3:
        judge(ctx, "judge_src", (0, 2))
    else:
        bench(ctx)


def _research_setup(ctx: Ctx, shared: dict) -> None:
    names = tuple(
        sorted(subset(ctx, ["nq", "gsm8k", "mmlu", "vicuna", "alpaca", "t0", "mtbench"], 1, 3))
    )
    ctx.state["src"] = popular(ctx, names, (10, 60), 0.4)


def _label_setup(ctx: Ctx, shared: dict) -> None:
    name = str(ctx.rng.choice(("banking", "clinc", "bitext")))
    tags = sorted({it.tag for it in getattr(ctx.pools, name) if it.tag})
    if len(tags) > 60:
        tags = sorted(subset(ctx, tags, 20, 40))
    ctx.state["labels"] = tags
    ctx.state["src"] = walk(ctx, (name,), tags=set(tags))


def _rag_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = popular(
        ctx, (str(ctx.rng.choice(("nq", "bitext", "banking"))),), (200, 2000)
    )


def _tenant_setup(ctx: Ctx, shared: dict) -> None:
    r = ctx.rng
    k = int(r.integers(8, 60))
    ctx.state["tenants"] = [
        ctx.pools.awesome[int(i)].prompt for i in r.integers(len(ctx.pools.awesome), size=k)
    ]
    for i in range(k):
        ctx.state[f"t{i}"] = popular(ctx, (CHAT_POOLS[i % len(CHAT_POOLS)],), (20, 300))


def _tenant_session(ctx: Ctx) -> None:
    k = len(ctx.state["tenants"])
    i = min(k - 1, int(ctx.rng.zipf(1.5)) - 1)
    qa(ctx, f"t{i}", system=ctx.state["tenants"][i])


def _indie_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = popular(ctx, ("awesome", "alpaca", "code_seeds"), (1, 5), 0.8)


def _indie_session(ctx: Ctx) -> None:
    qa(ctx, framing=DEV_EDITS[int(ctx.rng.integers(len(DEV_EDITS)))])


def _office_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = walk(ctx, ("bitext", "t0"))
    ctx.state["tpl"] = [OFFICE[int(i)] for i in ctx.rng.choice(len(OFFICE), 3, replace=False)]


def office_session(ctx: Ctx) -> None:
    t = ctx.state["tpl"]
    qa(ctx, framing=t[min(len(t) - 1, int(ctx.rng.zipf(2.0)) - 1)], out="chat")


def _content_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = walk(ctx, ("nq",))
    kind = str(
        ctx.rng.choice(("blog post", "FAQ entry", "product page section", "newsletter blurb"))
    )
    words = int(ctx.rng.choice((150, 300, 600, 1000)))
    ctx.state["framing"] = f"Write a {words}-word SEO-friendly {kind} that answers: {{x}}"


def _content_session(ctx: Ctx) -> None:
    qa(ctx, framing=ctx.state["framing"], out="long")


def _code_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["repo"] = popular(ctx, ("humaneval",), (5, 20), 0.8)


def code_session(ctx: Ctx) -> None:
    r = ctx.rng
    _, it = ctx.state["repo"].next(r)
    src = it.prompt + (it.ref or "")
    if r.random() < 0.3:
        cut = int(r.integers(len(it.prompt) // 2, len(src)))
        ctx.complete(src[:cut], "complete", src[cut:], extra={"suffix": src[cut:][:400]})
        return
    ask = CODE_ASKS[int(r.integers(len(CODE_ASKS)))]
    conv = Conv(ctx.system(None))
    text, cot = ctx.wrap(f"Here is my code:\n```python\n{src}```\n{ask}", False)
    conv.user(text)
    ans = ctx.ask(conv, "code", it.ref, cot=cot)
    while ctx.rng.random() < ctx.style.followup_p:
        conv.user(
            f'Now I get: Traceback (most recent call last):\n  File "main.py", line '
            f"{int(r.integers(3, 90))}\nTypeError: {ans[:40].strip()!r}"
        )
        ans = ctx.ask(conv, "code", None)


def _loglik_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = ordered(ctx, ("mmlu",), tags=mmlu_subjects(ctx, 5, 15))


def _cohort_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = Source(
        ctx.pools, ctx.rng, shared["items"], "popular", size=len(shared["items"]), zipf_a=0.3
    )


def _index_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = walk(ctx, ("bitext", "t0", "nq"))
    ctx.state["q"] = popular(ctx, ("nq", "banking"), (200, 2000))


def index_session(ctx: Ctx) -> None:
    if ctx.rng.random() < 0.8:
        embed(ctx, "src", (4, 32))
    else:
        embed(ctx, "q", (1, 1))


def _l10n_setup(ctx: Ctx, shared: dict) -> None:
    ctx.state["src"] = walk(ctx, ("bitext", "clinc"), limit=2500)
    ctx.state["langs"] = sorted(subset(ctx, list(LANGS), 3, 8))


def _l10n_session(ctx: Ctx) -> None:
    lang = ctx.state["langs"][int(ctx.rng.integers(len(ctx.state["langs"])))]
    qa(
        ctx,
        framing=f"Translate into {lang}. Keep placeholders like {{{{Order Number}}}} unchanged. "
        f"Return only the translation.\n\n{{x}}",
        out="short",
        n_follow=0,
    )


BENIGN: dict[str, Persona] = {
    "support_bot": Persona(
        "benign",
        "customer-support widget",
        _support_setup,
        lambda c: qa(c, follow="same_tag", rag=0.3),
        ("system",),
    ),
    "consumer_chat": Persona("benign", "mobile chat app", _chat_setup, lambda c: qa(c)),
    "agent_platform": Persona(
        "benign",
        "agent platform",
        _agent_setup,
        lambda c: tool_loop(c, c.state["tools"]),
        ("tools",),
    ),
    "tutoring_app": Persona(
        "benign",
        "homework tutor",
        _tutor_setup,
        lambda c: qa(c, follow="student", out="cot"),
        ("cot", "followup"),
    ),
    "benchmark_runner": Persona(
        "benign", "evaluation harness", _bench_setup, bench, ("no_followup",)
    ),
    "eval_vendor": Persona(
        "benign",
        "model evaluation service",
        lambda c, s: _bench_setup(c, s, True),
        _eval_session,
        ("no_followup",),
    ),
    "researcher": Persona("benign", "research notebook", _research_setup, lambda c: qa(c)),
    "batch_labeller": Persona(
        "benign",
        "ticket triage job",
        _label_setup,
        lambda c: classify(c, c.state["labels"]),
        ("no_followup",),
    ),
    "rag_app": Persona("benign", "knowledge-base search", _rag_setup, lambda c: qa(c, rag=1.0)),
    "multitenant_saas": Persona("benign", "assistant-builder SaaS", _tenant_setup, _tenant_session),
    "indie_dev": Persona("benign", "side project", _indie_setup, _indie_session, ("low_volume",)),
    "enterprise_team": Persona(
        "benign", "internal productivity tool", _office_setup, office_session
    ),
    "content_generator": Persona("benign", "SEO content tool", _content_setup, _content_session),
    "coding_assistant": Persona("benign", "IDE plugin", _code_setup, code_session),
    "loglik_evaluator": Persona(
        "benign", "log-likelihood eval harness", _loglik_setup, loglik, ("logprobs", "no_followup")
    ),
    "classroom_cohort": Persona("benign", "university course", _cohort_setup, lambda c: qa(c)),
    "embedding_indexer": Persona(
        "benign", "semantic search index", _index_setup, index_session, ("no_followup",)
    ),
    "translation_localizer": Persona(
        "benign", "localisation pipeline", _l10n_setup, _l10n_session, ("no_followup",)
    ),
}
