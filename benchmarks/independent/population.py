"""Who the customers are: persona counts and volumes, clusters, and the twins variant.

Volumes are calls a day (median, lognormal sigma); per_start converts them to conversation or
job starts for personas whose start makes several calls. Counts are for ~250 accounts and scale
with --accounts (at least one of each persona; clusters keep a floor).

In the twins variant every non-cluster attacker gets a benign twin of the persona that would
plausibly look like it (TWIN), with a copy of its cue vector (volume, timing and its ServeGen
shape, address mode, account age, model, caps, temperature, CoT phrasing, template, tools count,
system-prompt style); the twins replace generic benign accounts so the total stays put. The
benign enterprise cluster takes the hydra's shape (no shared org field, young, same volume), and
attackers set camo (see extraction.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from arrivals import DAY_S
from benign import APPS
from convo import toolset
from cues import brand, draw_cues, draw_ips, product_prompt, subnet
from extraction import EXTRACTION
from wire import Account, Cues
from workloads import WORKLOADS
from world import World


def _tools(rng, c: Cues, w: World) -> None:  # an agent has tools, however else it calls
    if not c.tools or len(c.tools) < 3:
        c.tools = toolset(rng, int(rng.integers(4, 15)))


def _labeller(rng, c: Cues, w: World) -> None:  # a classifier wants short, repeatable answers
    c.max_tokens = [8, 16, 32, 64, None][int(rng.integers(5))]
    c.temperature = [0.0, None][int(rng.integers(2))]
    c.n, c.stream = 1, False
    c.timing = ["flat", "jobs", "servegen"][int(rng.integers(3))]


def _single(rng, c: Cues, w: World) -> None:  # one-token logprob calls: no n, no streaming
    c.n, c.stream = 1, False


def _many_ips(rng, c: Cues, w: World) -> None:  # forwards its end users' traffic
    c.ip_mode, c.ips = "many", draw_ips(rng, "many")


def _product(rng, c: Cues, w: World) -> None:  # presents itself as an app
    if c.sys_style not in ("product", "role"):
        c.system, c.sys_style = product_prompt(rng), "product"


def _cot(rng, c: Cues, w: World) -> None:  # asks for reasoning, one way or another
    if c.cot == "none":
        c.cot = "suffix"


def _human(rng, c: Cues, w: World) -> None:  # a small account on a home connection
    c.ip_mode, c.ips = "residential", draw_ips(rng, "residential")
    c.timing = ["diurnal", "business"][int(rng.integers(2))]
    c.volume = float(rng.uniform(10, 60))
    if c.system is None:
        c.system, c.sys_style = w.src["roles"][int(rng.integers(len(w.src["roles"])))], "role"


@dataclass(frozen=True)
class Persona:
    label: str
    app: tuple[Callable, Callable]
    count: int
    volume: tuple[float, float]
    per_start: float = 1.0
    fix: Callable | None = None
    twin: str | None = None


B, X = "benign", "extraction"
PERSONAS: dict[str, Persona] = {
    "support_bot": Persona(B, APPS["support"], 12, (300, 1.0), 2.9),
    "consumer_chat": Persona(B, APPS["chat"], 10, (400, 1.0), 1.8),
    "agent_platform": Persona(B, APPS["agent"], 12, (300, 0.9), 5.0, _tools),
    "tutoring_app": Persona(B, APPS["tutor"], 6, (200, 0.8), 1.9),
    "benchmark_runner": Persona(B, WORKLOADS["runner"], 6, (800, 0.6), 250.0),
    "eval_vendor": Persona(B, WORKLOADS["vendor"], 3, (700, 0.6), 205.0),
    "batch_labeller": Persona(B, WORKLOADS["labeller"], 5, (1800, 0.5), 1.0, _labeller),
    "researcher": Persona(B, WORKLOADS["research"], 12, (80, 0.9), 1.8),
    "rag_app": Persona(B, APPS["rag"], 10, (150, 0.9), 1.3),
    "multitenant_saas": Persona(B, APPS["saas"], 4, (1200, 0.5), 2.5, _many_ips),
    "content_generator": Persona(B, WORKLOADS["content"], 3, (500, 0.6)),
    "coding_assistant": Persona(B, APPS["coding"], 8, (250, 0.8), 2.2),
    "loglik_evaluator": Persona(B, WORKLOADS["loglik"], 3, (800, 0.5), 200.0, _single),
    "broad_harvester": Persona(X, EXTRACTION["broad"], 3, (2200, 0.4), twin="content_generator"),
    "cot_harvester": Persona(X, EXTRACTION["cot"], 2, (1100, 0.4), 1.0, _cot, "tutoring_app"),
    "code_harvester": Persona(X, EXTRACTION["code"], 1, (1100, 0.4), twin="coding_assistant"),
    "math_harvester": Persona(X, EXTRACTION["math"], 1, (1100, 0.4), twin="tutoring_app"),
    "rubric_harvester": Persona(X, EXTRACTION["rubric"], 1, (700, 0.4), twin="eval_vendor"),
    "agent_harvester": Persona(
        X, EXTRACTION["agent"], 2, (1200, 0.4), 2.2, _tools, "agent_platform"
    ),
    "chat_app_poser": Persona(
        X, EXTRACTION["poser"], 2, (1200, 0.4), 1.8, _product, "consumer_chat"
    ),
    "reseller": Persona(
        X, EXTRACTION["reseller"], 1, (2500, 0.3), 1.8, _many_ips, "multitenant_saas"
    ),
    "logit_prober": Persona(
        X, EXTRACTION["prober"], 1, (1500, 0.4), 1.0, _single, "loglik_evaluator"
    ),
}
# Clusters: (label, count, volume, app or None for a shared campaign walk).
CLUSTERS = {
    "hydra_cluster": (X, 22, (350, 0.5)),
    "low_and_slow": (X, 50, None),
    "enterprise_team": (B, 20, (50, 0.6)),
    "indie_developer": (B, 48, None),
}
BASE_TOTAL = sum(p.count for p in PERSONAS.values()) + sum(c[1] for c in CLUSTERS.values())
TEAMS = ["sales", "legal", "finance", "support", "data", "platform", "design"]
DONORS = [
    "researcher",
    "support_bot",
    "rag_app",
    "agent_platform",
    "consumer_chat",
    "coding_assistant",
]


@dataclass
class Job:
    account: Account
    setup: Callable | None
    conv: Callable | None
    per_start: float = 1.0


def _account(
    w: World, rng, kind: str, label: str, cues: Cues, campaign: str | None = None
) -> Account:
    a = Account(
        f"acct_{int(rng.integers(1 << 40)):010x}",
        label,
        kind,
        campaign,
        cues,
        np.random.default_rng(int(rng.integers(1 << 62))),
    )
    if cues.young:
        a.start_s = float(rng.uniform(0.0, 0.75 * w.days * DAY_S))
    return a


def _lognormal(rng, vol: tuple[float, float]) -> float:
    return float(rng.lognormal(np.log(vol[0]), vol[1]))


def _twin(w: World, rng, attacker: Account, kind: str) -> Account:
    c = copy.deepcopy(attacker.cues)
    c.ips = draw_ips(rng, c.ip_mode)
    c.keys = [f"key_{int(rng.integers(1 << 32)):08x}"]
    if c.sys_style in ("role", "product"):
        c.system = (
            product_prompt(rng)
            if c.sys_style == "product"
            else w.src["roles"][int(rng.integers(len(w.src["roles"])))]
        )
        if c.cot == "system":
            c.system += "\n\n" + c.cot_text
    if c.tools:
        c.tools = toolset(rng, len(c.tools))
    twin = _account(w, rng, kind, B, c)
    twin.start_s = attacker.start_s
    return twin


def _cluster(w: World, rng, kind: str, n: int, twins: bool) -> list[Account]:
    """One operator (or one company): shared scaffolding, a few address ranges, young accounts."""
    label, _, volume = CLUSTERS[kind]
    hydra = kind == "hydra_cluster"
    if twins and not hydra:
        volume = CLUSTERS["hydra_cluster"][2]
    scaffold = draw_cues(rng, w.pools, 0.0)
    if not hydra and not twins:
        scaffold.timing = "business"
    nets = [subnet(rng, False) for _ in range(int(rng.integers(2, 4)))]
    tail = scaffold.system or "Answer helpfully and in detail."
    org = None if hydra or twins else f"org_{int(rng.integers(1 << 24)):06x}"
    members = []
    for _ in range(n):
        c = copy.deepcopy(scaffold)
        c.ips = [
            f"{nets[int(rng.integers(len(nets)))]}.{int(rng.integers(2, 255))}"
            for _ in range(int(rng.integers(1, 4)))
        ]
        c.ip_mode, c.org, c.volume = "few", org, _lognormal(rng, volume)
        c.keys = [f"key_{int(rng.integers(1 << 32)):08x}"]
        who = f"the {brand(rng)} app" if hydra else f"the {rng.choice(TEAMS)} team"
        c.system = f"You are the assistant for {who}. {tail}"
        c.young = hydra or twins or bool(rng.random() < 0.5)
        a = _account(w, rng, kind, label, c, "hydra-1" if hydra else None)
        if c.young:
            a.start_s = float(rng.uniform(0.02, 0.65) * w.days * DAY_S)
        members.append(a)
    return members


def _network(w: World, rng, kind: str, n: int) -> list[Account]:
    """Many small accounts, each with its own address, system prompt and framing."""
    label = CLUSTERS[kind][0]
    out = []
    for _ in range(n):
        c = draw_cues(rng, w.pools, 0.0)
        _human(rng, c, w)
        out.append(_account(w, rng, kind, label, c, "lowslow-1" if label == X else None))
    return out


def build(
    w: World, rng: np.random.Generator, n_accounts: int, twins: bool
) -> tuple[list[Job], dict[str, list[Account]]]:
    """Jobs for every account, and the accounts of each campaign that walks one shared queue."""
    scale = n_accounts / BASE_TOTAL
    counts = {k: max(1, round(p.count * scale)) for k, p in PERSONAS.items()}
    jobs: list[Job] = []
    attackers: list[Account] = []
    for kind, p in PERSONAS.items():
        for _ in range(counts[kind]):
            c = draw_cues(rng, w.pools, _lognormal(rng, p.volume))
            if p.fix:
                p.fix(rng, c, w)
            a = _account(w, rng, kind, p.label, c)
            a.camo = twins and p.label == X
            jobs.append(Job(a, *p.app, p.per_start))
            if p.label == X:
                attackers.append(a)
    if twins:
        for i, attacker in enumerate(attackers):
            kind = PERSONAS[attacker.kind].twin or "researcher"
            same = [j for j in jobs if j.account.kind == DONORS[i % len(DONORS)]]
            if len(same) > 1:  # a twin takes the place of a generic benign account
                jobs.remove(same[-1])
            jobs.append(
                Job(_twin(w, rng, attacker, kind), *PERSONAS[kind].app, PERSONAS[kind].per_start)
            )
    size = {
        k: max(v, round(CLUSTERS[k][1] * scale))
        for k, v in {
            "hydra_cluster": 4,
            "low_and_slow": 6,
            "enterprise_team": 4,
            "indie_developer": 6,
        }.items()
    }
    hydra = _cluster(w, rng, "hydra_cluster", size["hydra_cluster"], twins)
    for a in _cluster(
        w, rng, "enterprise_team", size["hydra_cluster" if twins else "enterprise_team"], twins
    ):
        jobs.append(Job(a, *APPS["office"], 1.9))
    lowslow = _network(w, rng, "low_and_slow", size["low_and_slow"])
    for a in _network(
        w, rng, "indie_developer", size["low_and_slow" if twins else "indie_developer"]
    ):
        jobs.append(Job(a, *APPS["indie"], 1.4))
    for a in hydra + lowslow:
        a.camo = twins
    return jobs, {"hydra-1": hydra, "lowslow-1": lowslow}
