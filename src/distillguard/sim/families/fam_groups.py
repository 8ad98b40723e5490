"""Families of many parties: reseller, hydra, low-and-slow.

- reseller: a multi-tenant SaaS on one key (its tenants' system prompts and users) vs a
  reseller proxy that serves real customers the same way and mixes an extraction stream in.
- hydra: an enterprise with many accounts in one org (teams with their own uses) vs a
  cluster of accounts sharing a harvesting scaffold and one walk. Both groups share
  subnets, often a client version and sometimes a common system-prompt prefix, drawn by
  the same code; member surfaces are couplings of one group surface on both sides.
- lowslow: small independent accounts vs a network of small accounts, each with its own
  subnet, system prompt and framing, that together walk one selection: no prompt twice
  across the network.
"""

from __future__ import annotations

import random
from dataclasses import replace

from distillguard.sim.families import purpose, texts
from distillguard.sim.families.agent import AgentPersona
from distillguard.sim.families.build import CHAT_DOMAINS, Builder, Pair, attack, benign
from distillguard.sim.families.chat import ChatPersona, Style, Talk
from distillguard.sim.families.fam_tasks import platform_plan
from distillguard.sim.families.network import Shared
from distillguard.sim.families.persona import Persona
from distillguard.sim.families.pickers import Walk, pick_pools
from distillguard.sim.families.surface import CueRates, Surface, couple, draw, loguniform, pair

ROLES_OF = {"support": ("support",), "coding": ("code",), "tutor": ("math", "knowledge")}
ALL_ROLES = ("instruct", "chat", "bench", "knowledge", "code", "math", "support")


def _product_talk(
    b: Builder, rng: random.Random, s: Surface, domain: str, prefix: str = "", force: bool = True
) -> Talk:
    """One product's users: its system prompt (forced, or as the surface says) and
    popular prompts of its domain."""
    system = prefix + texts.product_prompt(rng, domain) if force or s.system else None
    style = b.style(rng, s, domain, system=system)
    opener = purpose.popular(rng, b.pools(*ROLES_OF.get(domain, ("chat", "knowledge"))))
    return purpose.benign_talk(rng, style, opener)


def _tenants(b: Builder, rng: random.Random, cues: CueRates, k: int) -> list[tuple[float, Talk]]:
    out: list[tuple[float, Talk]] = []
    skew = rng.uniform(0.6, 1.3)
    for i in range(k):
        s = draw(rng, cues, (1.0, 2.0))  # only the tenant's wording is read from it
        domain = rng.choice((*CHAT_DOMAINS, "support", "coding", "tutor"))
        out.append((1.0 / (i + 1) ** skew, _product_talk(b, rng, s, domain)))
    return out


def reseller(b: Builder, n: int) -> list[Pair]:
    """Multi-tenant SaaS on one key vs reseller proxy mixing an extraction stream in."""
    cues = b.cues()
    out: list[Pair] = []
    for sb, sa in b.pairs(cues, (1000, 6000), n):
        rb, ra = b.sub(), b.sub()
        talks = _tenants(b, rb, cues, int(loguniform(rb, 5, 150)))
        ben = benign(b, ChatPersona, sb, rb, "multitenant_saas", talks=talks, keys=1)
        tenants = _tenants(b, ra, cues, int(loguniform(ra, 5, 150)))
        st = purpose.strength(ra)
        share = ra.uniform(0.05, 0.6)
        borrowed = ra.choice(tenants)[1].style if ra.random() < 0.5 else b.style(ra, sa, "general")
        sel = purpose.broad_selection(ra, b.pools("instruct", "chat", "bench", "code"), 2)
        harvest = purpose.harvest_talk(ra, borrowed, purpose.walk(ra, sel), st)
        total = sum(w for w, _t in tenants)
        mix = [(w / total * (1 - share), t) for w, t in tenants] + [(share, harvest)]
        att = attack(b, ChatPersona, sa, ra, "reseller_proxy", talks=mix, keys=1)
        att.strength = st
        out.append((ben, att))
    return out


def _cluster_sizes(rng: random.Random, n: int) -> list[int]:
    if n < 10:
        return [n]
    first = rng.randint(n // 3, n - n // 3)
    return [first, n - first]


def _members(rng: random.Random, base: Surface, cues: CueRates, k: int) -> list[Surface]:
    """Member surfaces: each a coupling of the group's surface; some groups join in a wave."""
    wave = rng.uniform(0.05, 0.6) if rng.random() < 0.5 else None
    out: list[Surface] = []
    for _ in range(k):
        s = couple(rng, base, draw(rng, cues, (20.0, 400.0)))
        if wave is not None:
            s = replace(s, active_from=min(0.9, wave + rng.uniform(0.0, 0.15)))
        out.append(s)
    return out


def hydra(b: Builder, n: int) -> list[Pair]:
    """Enterprise teams in one org vs a hydra cluster sharing a harvesting scaffold."""
    cues = b.cues()
    out: list[Pair] = []
    for size in _cluster_sizes(b.rng, n):
        gb, ga = pair(b.rng, cues, (20.0, 400.0))
        rb, ra = b.sub(), b.sub()
        bens = _enterprise(b, rb, _members(rb, gb, cues, size), gb)
        atts = _cluster(b, ra, _members(ra, ga, cues, size), ga)
        out += list(zip(bens, atts, strict=True))
    return out


def _enterprise(
    b: Builder, rng: random.Random, members: list[Surface], base: Surface
) -> list[Persona]:
    shared = b.dresser.group(base, org=True)
    company = rng.choice(texts.COMPANIES)
    prefix = (
        f"You are the internal assistant of {company} employees. " if rng.random() < 0.5 else ""
    )
    out: list[Persona] = []
    for s in members:
        r = b.sub()
        team = r.choice(("chat", "support", "coding", "rag", "agent"))
        if team == "agent":
            out.append(
                benign(
                    b,
                    AgentPersona,
                    s,
                    r,
                    "enterprise_team",
                    shared=shared,
                    plan=platform_plan(b, r, s),
                )
            )
            continue
        domain = {"chat": r.choice(CHAT_DOMAINS), "rag": "research"}.get(team, team)
        talk = _product_talk(b, r, s, domain, prefix, force=False)
        if team == "rag":
            talk.context = purpose.popular(r, b.pools("docs"), size=(20, 500))
            talk.answer_scale *= 0.5
        out.append(
            benign(b, ChatPersona, s, r, "enterprise_team", shared=shared, talks=[(1.0, talk)])
        )
    return out


def _cluster(
    b: Builder, rng: random.Random, members: list[Surface], base: Surface
) -> list[Persona]:
    shared = b.dresser.group(base, org=rng.random() < 0.35)
    prefix = (
        f"You are the assistant of {rng.choice(texts.COMPANIES)}. " if rng.random() < 0.5 else ""
    )
    scaffold = b.style(rng, base, "general")
    if prefix and scaffold.system:  # as an enterprise's teams may share a prefix
        scaffold = replace(scaffold, system=prefix + scaffold.system)
    walker = purpose.walk(rng, purpose.broad_selection(rng, b.pools(*ALL_ROLES), 3))
    st, same, camp = purpose.strength(rng), rng.uniform(0.5, 1.0), b.campaign()
    out: list[Persona] = []
    for s in members:
        r = b.sub()
        style = scaffold if r.random() < same else b.style(r, s, "general")
        out.append(_node(b, r, s, style, walker, st, camp, "hydra_member", shared))
        out[-1].cap = int(s.per_day * b.ctx.volume * r.uniform(1.0, 1.5)) + 1
    return out


def _node(
    b: Builder,
    rng: random.Random,
    s: Surface,
    style: Style,
    walker: Walk,
    st: float,
    camp: str,
    kind: str,
    shared: Shared | None = None,
    cover: bool = True,
) -> Persona:
    """One member of a coordinated operation: its share of the common walk, maybe cover."""
    jitter = min(1.0, max(0.0, st + rng.uniform(-0.15, 0.15)))
    harvest = purpose.harvest_talk(rng, style, walker, jitter)
    talks = [(1.0, harvest)]
    if cover:
        mild = purpose.benign_talk(rng, style, purpose.popular(rng, b.pools("chat")))
        talks = purpose.harvest_mix(rng, harvest, mild, jitter)
    p = attack(b, ChatPersona, s, rng, kind, shared=shared, talks=talks)
    p.campaign, p.strength = camp, jitter
    return p


def _small(rng: random.Random, s: Surface) -> Surface:
    """Own subnet, few addresses, usually a framing of its own (both sides alike)."""
    net = s.net if s.net != "cloud" else rng.choice(("own", "residential"))
    return replace(s, net=net, subnets=1, ips=rng.randint(1, 3), template=rng.random() < 0.8)


def lowslow(b: Builder, n: int) -> list[Pair]:
    """Small independent accounts vs a low-and-slow network walking one selection."""
    cues = b.cues(system=1.0)
    rn = b.sub()
    walker = purpose.walk(rn, purpose.broad_selection(rn, b.pools(*ALL_ROLES), 3))
    st, camp = purpose.strength(rn), b.campaign()
    out: list[Pair] = []
    for sb, sa in b.pairs(cues, (10.0, 60.0), n):
        rb, ra = b.sub(), b.sub()
        sb, sa = _small(rb, sb), _small(ra, sa)
        domain = rb.choice((*CHAT_DOMAINS, "coding", "tutor", "support"))
        style = b.style(rb, sb, domain)
        pools = pick_pools(rb, b.pools(*ROLES_OF.get(domain, ("chat", "knowledge"))), 1, 2)
        talk = purpose.benign_talk(rb, style, purpose.popular(rb, pools, size=(10, 300)))
        ben = benign(b, ChatPersona, sb, rb, "small_app", talks=[(1.0, talk)])
        st_a = b.style(ra, sa, ra.choice((*CHAT_DOMAINS, "coding", "tutor", "support")))
        # No cover traffic: across the network, no prompt is sent twice.
        out.append((ben, _node(b, ra, sa, st_a, walker, st, camp, "lowslow_node", cover=False)))
    return out
