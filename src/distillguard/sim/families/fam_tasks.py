"""Families of task-shaped traffic: agents, evaluation, grading, batch, probing.

Here the benign side's defining behaviour looks like extraction at a glance (tool loops,
benchmark prompts with step-by-step suffixes and logprobs, rubric grading, one template
with ever-new payloads, logit_bias), so the cue is switched on for both twins and only
the purpose differs.
"""

from __future__ import annotations

import random
from dataclasses import replace

from distillguard.sim.families import purpose, texts
from distillguard.sim.families import tools as toolbox
from distillguard.sim.families.agent import AgentPersona, AgentPlan, task_pool
from distillguard.sim.families.batch import (
    HARVEST_TEMPLATES,
    VOCAB,
    ClassifierPersona,
    LabelPersona,
    SweepPersona,
    label_task,
)
from distillguard.sim.families.build import Builder, Pair, attack, benign, harvester
from distillguard.sim.families.chat import ChatPersona, Style, Talk
from distillguard.sim.families.evals import FORMATS, EvalRunner, JudgePersona, run_configs
from distillguard.sim.families.pickers import Popular, Walk, pick_pools, weights
from distillguard.sim.families.sources import Item, Pool
from distillguard.sim.families.surface import MODELS, Surface, loguniform

AGENT_DOMAINS = ("general", "coding", "data", "support", "office", "travel")


def agent_style(b: Builder, rng: random.Random, s: Surface, domain: str) -> Style:
    """An agent's style: its surface's, with tools of its domain on every request."""
    defs = toolbox.definitions(rng, [domain, "general"], max(s.tools, rng.randint(2, 8)))
    return replace(b.style(rng, s, domain), tools=defs, tools_share=1.0)


def platform_plan(b: Builder, rng: random.Random, s: Surface) -> AgentPlan:
    """A hosted agent platform's tasks: its users', run to the end with real results."""
    domain = rng.choice(AGENT_DOMAINS)
    tasks = task_pool(rng, domain, int(loguniform(rng, 50, 800)))
    extra = b.pools("code" if domain == "coding" else "chat")
    opener = Popular(
        [tasks, *extra],
        [1.0] + [rng.uniform(0.0, 0.3) / len(extra)] * len(extra),
        rng,
        size=int(loguniform(rng, 30, 1500)),
        zipf_s=rng.uniform(0.5, 1.2),
        fresh=rng.uniform(0.1, 0.6),
    )
    return AgentPlan(
        style=agent_style(b, rng, s, domain),
        opener=opener,
        steps_mean=rng.uniform(1.0, 5.0),
        loop=rng.uniform(0.9, 1.0),
        canned=rng.uniform(0.0, 0.05),
        answer_scale=loguniform(rng, 0.5, 1.5),
        follow_mean=rng.uniform(0.1, 1.2),
        gap_s=loguniform(rng, 10.0, 120.0),
    )


def trace_plan(b: Builder, rng: random.Random, s: Surface, st: float) -> AgentPlan:
    """An agentic-trace harvest: instruction sets as tasks, calls taken, results faked."""
    domain = rng.choice(AGENT_DOMAINS)
    sel = b.pools("instruct", "code")
    cover = (1.0 - st) * rng.uniform(0.0, 0.4)
    w = weights(rng, len(sel))
    tasks = task_pool(rng, domain, 400)
    opener = Walk([*sel, tasks], [*w, cover / (1.0 - cover) * sum(w) + 1e-6], rng)
    return AgentPlan(
        style=agent_style(b, rng, s, domain),
        opener=opener,
        steps_mean=rng.uniform(0.5, 3.0),
        loop=rng.uniform(0.0, 0.9) * (1.0 - 0.7 * st),
        canned=st * rng.uniform(0.3, 1.0),
        answer_scale=loguniform(rng, 0.8, 1.6) * (1.0 + st * rng.uniform(0.5, 3.0)),
        follow_mean=(1.0 - st) * rng.uniform(0.0, 0.4),
        gap_s=loguniform(rng, 1.0, 60.0),
    )


def agents(b: Builder, n: int) -> list[Pair]:
    """Hosted agent platform vs agentic-trace harvester; tools on both."""
    cues = b.cues(tools=1.0)
    out: list[Pair] = []
    for sb, sa in b.pairs(cues, (200, 3000), n):
        rb, ra = b.sub(), b.sub()
        ben = benign(b, AgentPersona, sb, rb, "agent_platform", plan=platform_plan(b, rb, sb))
        st = purpose.strength(ra)
        att = attack(b, AgentPersona, sa, ra, "agent_trace_harvest", plan=trace_plan(b, ra, sa, st))
        att.strength = st
        out.append((ben, att))
    return out


def _suite(rng: random.Random, pools: list[Pool], size: int) -> list[Item]:
    """A fixed benchmark subset: the first items of each (run-shuffled) pool."""
    per = max(1, size // len(pools))
    return [it for p in pools for it in p.items[:per]]


def _eval_system(rng: random.Random, s: Surface) -> str | None:
    """A harness's system prompt, if any; step-by-step phrasing goes there when the
    surface puts it there (as a chat persona's style does)."""
    system = rng.choice(texts.GENERIC_SYSTEM) if s.system else None
    if s.cot == "system":
        cot = rng.choice(texts.COT_SYSTEM)
        system = f"{system} {cot}" if system else cot
    return system


def evaluation(b: Builder, n: int) -> list[Pair]:
    """Benchmark runner / eval vendor (re-runs suites) vs one-shot benchmark harvest."""
    cues = b.cues(logprobs=b.rng.uniform(0.1, 0.4), cot=b.rng.uniform(0.3, 0.7))
    out: list[Pair] = []
    for sb, sa in b.pairs(cues, (300, 5000), n):
        rb, ra = b.sub(), b.sub()
        vendor = rb.random() < 0.5
        pools = pick_pools(rb, b.pools("bench"), 1, 3 if vendor else 2)
        # A suite small enough for about five runs in the account's part of the trace.
        budget = sb.per_day * b.ctx.volume * b.ctx.days * (1 - sb.active_from) / 5
        suite = _suite(rb, pools, int(max(5, min(loguniform(rb, 20, 1500), budget))))
        extra = [m for m in MODELS if m not in sb.models]
        rb.shuffle(extra)
        lp = sb.logprobs if sb.logprobs > 0 else (1 if sb.logprobs else 0)
        ben = benign(
            b,
            EvalRunner,
            sb,
            rb,
            "eval_vendor" if vendor else "benchmark_runner",
            suite=suite,
            configs=run_configs(rb, sb.models, extra, bool(sb.cot), lp),
            rps=loguniform(rb, 0.5, 20.0),
            fmt=rb.choice(FORMATS) if sb.template else "{x}",
            system=_eval_system(rb, sb),
            shuffle=rb.random() < 0.3,
            tools=toolbox.definitions(rb, ["general", "data"], sb.tools) if sb.tools else None,
        )
        st_a = b.style(ra, sa, "research")
        sel = purpose.broad_selection(ra, b.pools("bench", "instruct"), 2)
        att = harvester(b, ra, sa, st_a, sel, b.pools("bench"), "benchmark_harvest")
        out.append((ben, att))
    return out


def grading(b: Builder, n: int) -> list[Pair]:
    """LLM-as-judge vendor (short verdicts, many candidates a question) vs rubric harvest."""
    cues = b.cues()
    out: list[Pair] = []
    for sb, sa in b.pairs(cues, (200, 3000), n):
        rb, ra = b.sub(), b.sub()
        qs = pick_pools(rb, b.pools("bench", "chat"), 1, 2)
        opener = purpose.popular(rb, qs, size=(30, 800), zipf=(0.0, 0.4), fresh=(0.0, 0.1))
        talk = purpose.benign_talk(rb, b.style(rb, sb, "research"), opener, follow=(0.0, 0.05))
        ben = benign(
            b, JudgePersona, sb, rb, "judge_vendor", talks=[(1.0, talk)],
            verdicts=True, improve=rb.uniform(0.0, 0.1), weak=rb.uniform(0.0, 0.1),
        )  # fmt: skip
        sel = purpose.broad_selection(ra, b.pools("instruct", "chat", "bench"), 2)
        att = harvester(
            b, ra, sa, b.style(ra, sa, "research"), sel, qs, "rubric_harvest",
            cls=JudgePersona, verdicts=False,
            improve=ra.uniform(0.3, 1.0), weak=ra.uniform(0.3, 1.0),
        )  # fmt: skip
        out.append((ben, att))
    return out


def batch(b: Builder, n: int) -> list[Pair]:
    """Batch labeller (template, new payloads, labels, flat, temperature 0) vs template harvest."""
    cues = b.cues(template=1.0, cot=0.0)
    payload_roles = ("support", "chat", "knowledge")
    out: list[Pair] = []
    for sb, sa in b.pairs(cues, (500, 5000), n):
        rb, ra = b.sub(), b.sub()
        sb = replace(
            sb, temperature=0.0, temp_varies=False, shape="flat", n=1,
            max_param="max_tokens", max_tokens=rb.choice((1, 2, 5, 10, 16, 20, 32)),
        )  # fmt: skip
        task, labels = label_task(rb)
        style = replace(b.style(rb, sb, "data"), template=task)
        pools = pick_pools(rb, b.pools(*payload_roles), 1, 3)
        opener = purpose.popular(rb, pools, size=(20, 200), zipf=(0.3, 0.6), fresh=(0.9, 1.0))
        talk = Talk(style, opener)
        ben = benign(b, LabelPersona, sb, rb, "batch_labeller", talks=[(1.0, talk)], labels=labels)
        out.append((ben, _template_harvest(b, ra, sa)))
    return out


def _template_harvest(b: Builder, rng: random.Random, s: Surface) -> ChatPersona:
    sel = purpose.broad_selection(rng, b.pools("support", "chat", "instruct", "knowledge"), 1)
    walk = purpose.walk(rng, sel)  # one walk behind every template: no payload twice
    st = purpose.strength(rng)
    talks = []
    for tmpl in rng.sample(HARVEST_TEMPLATES, rng.choice((1, 1, 2, 3))):
        style = replace(b.style(rng, s, "data"), template=tmpl)
        t = purpose.harvest_talk(rng, style, walk, st)
        t.follow_mean = 0.0
        talks.append((rng.random() + 0.2, t))
    p = attack(b, ChatPersona, s, rng, "template_harvest", talks=talks)
    p.strength = st
    assert isinstance(p, ChatPersona)
    return p


LABEL_SETS = (
    (" yes", " no"),
    ("A", "B", "C"),
    ("A", "B", "C", "D"),
    (" safe", " unsafe"),
    ("1", "2", "3", "4", "5"),
)


def _classifier_system(labels: tuple[str, ...]) -> str:
    return "Classify the user's message. Answer with exactly one of: " + ", ".join(
        x.strip() for x in labels
    )


def probing(b: Builder, n: int) -> list[Pair]:
    """Classifier app (fixed logit_bias set, logprobs) vs logit-bias sweep / logprob harvest."""
    cues = b.cues(logprobs=b.rng.uniform(0.3, 0.8), cot=0.0)
    out: list[Pair] = []
    for sb, sa in b.pairs(cues, (200, 3000), n):
        rb, ra = b.sub(), b.sub()
        labels = rb.choice(LABEL_SETS)
        style = b.style(rb, sb, "data", system=_classifier_system(labels))
        opener = purpose.popular(rb, b.pools("support", "chat"), size=(50, 3000))
        ben = benign(
            b, ClassifierPersona, sb, rb, "logit_classifier", talks=[(1.0, Talk(style, opener))],
            labels=labels, token_ids=rb.sample(range(100, VOCAB), len(labels)),
            bias=100.0 if rb.random() < 0.7 else rb.uniform(5.0, 50.0),
        )  # fmt: skip
        out.append((ben, _probe_attack(b, ra, sa)))
    return out


def _probe_attack(b: Builder, rng: random.Random, s: Surface) -> ChatPersona:
    st = purpose.strength(rng)
    if rng.random() < 0.5:  # a sweep probes a few prompts across the whole vocabulary
        system = _classifier_system(rng.choice(LABEL_SETS)) if rng.random() < 0.5 else None
        style = b.style(rng, s, "data", system=system)
        pools = b.pools("support", "chat", "instruct")
        opener = purpose.popular(rng, pools, size=(1, 40), zipf=(0.0, 0.5), fresh=(0.0, 0.3))
        p = attack(
            b, SweepPersona, s, rng, "logit_sweep", talks=[(1.0, Talk(style, opener))],
            labels=("",), window=int(loguniform(rng, 1, 300)),
            bias=rng.choice((100.0, -100.0, 50.0)),
        )  # fmt: skip
        p.strength = st
        assert isinstance(p, ChatPersona)
        return p
    s = replace(s, logprobs=rng.choice((5, 10, 20)))
    style = b.style(rng, s, "data")
    h = harvester(b, rng, s, style, b.pools("instruct", "chat"), b.pools("chat"), "logprob_harvest")
    assert isinstance(h, ChatPersona)
    return h
