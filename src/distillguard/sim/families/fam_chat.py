"""Families of single chat accounts: tutoring, disguised, capability, broad, research, support.

Each builder returns (benign, attack) twins drawn from one family's cue rates. The twins
differ in purpose only: where first turns come from (popular and narrow vs a walk over
a selection), follow-ups, tool results and answer length (see `purpose`).
"""

from __future__ import annotations

import random
from dataclasses import replace

from distillguard.sim.families import purpose, texts
from distillguard.sim.families.build import CHAT_DOMAINS, Builder, Pair, benign, harvester
from distillguard.sim.families.chat import ChatPersona, Style, Talk


def tutoring(b: Builder, n: int) -> list[Pair]:
    """Tutoring app (worked explanations, students follow up) vs chain-of-thought harvest."""
    cues = b.cues()
    out: list[Pair] = []
    for sb, sa in b.pairs(cues, (100, 2000), n):
        rb, ra = b.sub(), b.sub()
        sb = replace(sb, system=True, cot="system")  # the app's defining system prompt
        style = b.style(rb, sb, "tutor", system=texts.product_prompt(rb, "tutor"))
        opener = purpose.popular(
            rb, b.pools("math", "knowledge"), size=(30, 1500), fresh=(0.05, 0.4)
        )
        talk = purpose.benign_talk(rb, style, opener, follow=(0.5, 2.5), scale=(0.8, 1.6))
        ben = benign(b, ChatPersona, sb, rb, "tutoring_app", talks=[(1.0, talk)])
        sa = replace(sa, cot=sa.cot or ra.choice(("system", "user")))  # how CoT is harvested
        tutor_like = texts.product_prompt(ra, "tutor") if sa.system and ra.random() < 0.5 else None
        st_a = b.style(ra, sa, "tutor", system=tutor_like)
        sel = purpose.broad_selection(ra, b.pools("math", "knowledge", "instruct"), 2)
        att = harvester(b, ra, sa, st_a, sel, b.pools("math", "knowledge"), "cot_harvest")
        out.append((ben, att))
    return out


def disguised(b: Builder, n: int) -> list[Pair]:
    """Chat apps vs accounts posing as chat apps whose first turns walk an instruction set."""
    cues = b.cues(system=1.0)
    out: list[Pair] = []
    for sb, sa in b.pairs(cues, (100, 1500), n):
        rb, ra = b.sub(), b.sub()
        domain = rb.choice(CHAT_DOMAINS)
        style = b.style(rb, sb, domain, system=texts.product_prompt(rb, domain))
        opener = purpose.popular(rb, b.pools("chat", "knowledge"), fresh=(0.1, 0.6))
        talk = purpose.benign_talk(rb, style, opener, follow=(0.4, 2.5))
        ben = benign(b, ChatPersona, sb, rb, "chat_app", talks=[(1.0, talk)])
        domain = ra.choice(CHAT_DOMAINS)
        st_a = b.style(ra, sa, domain, system=texts.product_prompt(ra, domain))
        sel = b.pools("instruct")
        # "some follow-ups": generic or half-real
        fake = {"follow_mean": ra.uniform(0.1, 0.6), "follow_real": ra.uniform(0.1, 0.6)}
        att = harvester(b, ra, sa, st_a, sel, b.pools("chat"), "posing_chat_app", tune=fake)
        out.append((ben, att))
    return out


def capability(b: Builder, n: int) -> list[Pair]:
    """A narrow product (coding assistant, maths helper) vs a harvest of that one capability."""
    cues = b.cues()
    out: list[Pair] = []
    for sb, sa in b.pairs(cues, (200, 3000), n):
        rb, ra = b.sub(), b.sub()
        cap = rb.choice(("code", "math"))  # both twins serve / harvest the same capability
        domain = "coding" if cap == "code" else "tutor"
        lengths = "code" if cap == "code" else "conv"
        style = b.style(rb, sb, domain)
        opener = purpose.popular(rb, b.pools(cap), size=(50, 2000))
        talk = purpose.benign_talk(rb, style, opener, follow=(0.3, 2.0))
        talk.lengths = lengths
        ben = benign(b, ChatPersona, sb, rb, f"{cap}_assistant", talks=[(1.0, talk)])

        st_a = b.style(ra, sa, domain)
        att = harvester(
            b,
            ra,
            sa,
            st_a,
            b.pools(cap),
            b.pools(cap),
            "capability_harvest",
            tune={"lengths": lengths},
        )
        out.append((ben, att))
    return out


def broad(b: Builder, n: int) -> list[Pair]:
    """Consumer chat or RAG app vs broad harvester (walks data sets, never follows up)."""
    cues = b.cues()
    out: list[Pair] = []
    for sb, sa in b.pairs(cues, (1000, 6000), n):
        rb, ra = b.sub(), b.sub()
        domain = rb.choice(CHAT_DOMAINS)
        style = b.style(rb, sb, domain)
        if rb.random() < 0.5:
            opener = purpose.popular(
                rb, b.pools("chat", "knowledge", "instruct"), size=(500, 5000), fresh=(0.2, 0.7)
            )
            talk = purpose.benign_talk(rb, style, opener, follow=(0.3, 2.0))
            kind = "consumer_chat"
        else:
            talk = _rag_talk(b, rb, style)
            kind = "rag_app"
        ben = benign(b, ChatPersona, sb, rb, kind, talks=[(1.0, talk)])
        all_roles = ("instruct", "chat", "bench", "knowledge", "code", "math", "support")
        sel = purpose.broad_selection(ra, b.pools(*all_roles), 3)

        # Never a follow-up; some harvest reading comprehension with passages.
        docs = purpose.walk(ra, b.pools("docs")) if ra.random() < 0.3 else None
        never = {"follow_mean": 0.0, "context": docs}
        st_a = b.style(ra, sa, ra.choice(CHAT_DOMAINS))
        att = harvester(b, ra, sa, st_a, sel, b.pools("chat"), "broad_harvest", tune=never)
        out.append((ben, att))
    return out


def _rag_talk(b: Builder, rng: random.Random, style: Style) -> Talk:
    """Long retrieved context, short answers, popular questions."""
    questions = purpose.popular(rng, b.pools("support", "knowledge", "chat"), size=(50, 2000))
    talk = purpose.benign_talk(rng, style, questions, follow=(0.1, 1.0), scale=(0.2, 0.7))
    talk.context = purpose.popular(rng, b.pools("docs"), size=(50, 2000), fresh=(0.0, 0.3))
    talk.context_k = (1, rng.randint(2, 5))
    talk.short_ask = rng.uniform(0.1, 0.5)
    return talk


def research(b: Builder, n: int) -> list[Pair]:
    """Researcher (single-shot, varied, re-runs prompts) vs small broad harvester."""
    cues = b.cues()
    out: list[Pair] = []
    for sb, sa in b.pairs(cues, (20, 400), n):
        rb, ra = b.sub(), b.sub()
        if rb.random() < 0.5:  # sweeping sampling settings is part of the job
            sb = replace(sb, temp_varies=True)
        style = b.style(rb, sb, "research")
        roles = ("chat", "instruct", "bench", "knowledge", "code")
        sel = purpose.broad_selection(rb, b.pools(*roles), 2)
        opener = purpose.popular(rb, sel, size=(10, 300), zipf=(0.8, 1.5), fresh=(0.2, 0.6))
        talk = purpose.benign_talk(rb, style, opener, follow=(0.0, 0.3))
        ben = benign(b, ChatPersona, sb, rb, "researcher", talks=[(1.0, talk)])
        st_a = b.style(ra, sa, "research")
        sel_a = purpose.broad_selection(ra, b.pools(*roles), 3)
        att = harvester(b, ra, sa, st_a, sel_a, sel_a, "small_broad_harvest")
        out.append((ben, att))
    return out


def support(b: Builder, n: int) -> list[Pair]:
    """Support bot (FAQ repeats, follow-ups, help-centre context) vs support-data harvest."""
    cues = b.cues(system=1.0)
    out: list[Pair] = []
    for sb, sa in b.pairs(cues, (200, 2000), n):
        rb, ra = b.sub(), b.sub()
        style = b.style(rb, sb, "support", system=texts.product_prompt(rb, "support"))
        opener = purpose.popular(rb, b.pools("support"), size=(20, 500), zipf=(0.8, 1.4))
        talk = purpose.benign_talk(rb, style, opener, follow=(0.5, 2.5))
        if rb.random() < 0.4:
            talk.context = purpose.popular(rb, b.pools("docs"), size=(20, 300))
        ben = benign(b, ChatPersona, sb, rb, "support_bot", talks=[(1.0, talk)])
        st_a = b.style(ra, sa, "support", system=texts.product_prompt(ra, "support"))
        pools = b.pools("support")
        att = harvester(b, ra, sa, st_a, pools, pools, "support_harvest")
        out.append((ben, att))
    return out
