"""Accounts, their label-blind surface cues, and the address space they call from."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from . import catalog as C
from .timing import draw_rhythm

BENIGN_W = {
    "support_bot": 10,
    "consumer_chat": 10,
    "agent_platform": 6,
    "tutoring": 5,
    "benchmark_runner": 6,
    "eval_vendor": 3,
    "researcher": 6,
    "batch_labeller": 5,
    "rag_app": 6,
    "multitenant_saas": 4,
    "indie_dev": 14,
    "enterprise_team": 7,
    "content_generator": 4,
    "coding_assistant": 6,
    "loglik_evaluator": 3,
}
# solo attacks per 250 accounts; campaigns are shares of all accounts
SOLO_PER_250 = {
    "chat_poser": 4,
    "broad_harvester": 3,
    "cot_harvester": 4,
    "rubric_harvester": 3,
    "code_harvester": 3,
    "tooltrace_harvester": 3,
    "logprob_harvester": 3,
    "reseller": 2,
}
HYDRA_SHARE, LOWSLOW_SHARE = 0.088, 0.152
TWIN_AS = {
    "chat_poser": ["consumer_chat"],
    "broad_harvester": ["content_generator", "eval_vendor", "researcher"],
    "cot_harvester": ["tutoring", "benchmark_runner"],
    "rubric_harvester": ["eval_vendor"],
    "code_harvester": ["coding_assistant"],
    "tooltrace_harvester": ["agent_platform"],
    "logprob_harvester": ["loglik_evaluator"],
    "reseller": ["multitenant_saas"],
}
# events per account-day, drawn log-uniform in the range
VOLUME = {
    "support_bot": (80, 1200),
    "consumer_chat": (100, 1500),
    "agent_platform": (150, 1500),
    "tutoring": (50, 800),
    "benchmark_runner": (300, 2500),
    "eval_vendor": (800, 3000),
    "researcher": (20, 400),
    "batch_labeller": (500, 3000),
    "rag_app": (100, 1200),
    "multitenant_saas": (800, 3000),
    "indie_dev": (5, 60),
    "enterprise_team": (50, 800),
    "content_generator": (100, 1200),
    "coding_assistant": (150, 1500),
    "loglik_evaluator": (500, 3000),
    "hydra": (150, 450),
    "lowslow": (10, 60),
    "chat_poser": (200, 1000),
    "broad_harvester": (1500, 4000),
    "cot_harvester": (300, 1500),
    "rubric_harvester": (200, 1000),
    "code_harvester": (300, 1500),
    "tooltrace_harvester": (300, 1200),
    "logprob_harvester": (800, 3000),
    "reseller": (1000, 3000),
}
VOLUME_SCALE = 0.75


def _hex(rng, n: int) -> str:
    return "".join("0123456789abcdef"[int(x)] for x in rng.integers(0, 16, n))


class Net:
    """Address space: data-centre subnets, residential addresses and shared proxy pools."""

    def __init__(self, rng):
        self.rng = rng
        self.proxy_pools = [[self.residential() for _ in range(k)] for k in (3000, 2000, 1200)]
        self.vpn_exits = [
            self.datacentre_subnet() + str(int(rng.integers(2, 250))) for _ in range(150)
        ]

    def datacentre_subnet(self) -> str:
        a, lo, hi = C.DC_PREFIX[int(self.rng.integers(0, len(C.DC_PREFIX)))]
        return f"{a}.{int(self.rng.integers(lo, hi + 1))}.{int(self.rng.integers(0, 256))}."

    def residential(self) -> str:
        r = self.rng
        if r.random() < 0.08:
            p = C.V6_PREFIX[int(r.integers(0, len(C.V6_PREFIX)))]
            return f"{p}:{_hex(r, 4)}:{_hex(r, 4)}::{_hex(r, 3)}"
        a = C.RES_FIRST[int(r.integers(0, len(C.RES_FIRST)))]
        return f"{a}.{int(r.integers(0, 256))}.{int(r.integers(0, 256))}.{int(r.integers(1, 255))}"

    def own_ips(self, mode: str) -> list[str]:
        r = self.rng
        if mode == "single":
            sub = (
                self.datacentre_subnet()
                if r.random() < 0.8
                else self.residential().rsplit(".", 1)[0] + "."
            )
            return [sub + str(int(r.integers(2, 250))) for _ in range(int(r.integers(1, 3)))]
        if mode == "few":
            subs = [self.datacentre_subnet() for _ in range(int(r.integers(1, 4)))]
            return [
                subs[int(r.integers(0, len(subs)))] + str(int(r.integers(2, 250)))
                for _ in range(int(r.integers(3, 11)))
            ]
        return [self.residential() for _ in range(int(r.integers(20, 80)))]  # returning users


def draw_cues(rng) -> dict:
    """Surface cues with probabilities that never look at the label."""
    c: dict = {}
    c["stream"] = bool(rng.random() < 0.35)
    c["temperature"] = [None, 0.0, 0.2, 0.5, 0.7, 1.0][
        int(rng.choice(6, p=[0.3, 0.15, 0.1, 0.1, 0.2, 0.15]))
    ]
    c["top_p"] = float(rng.choice([0.9, 0.95])) if rng.random() < 0.1 else None
    c["max_tokens"] = (
        None
        if rng.random() < 0.4
        else int(
            rng.choice(
                [256, 512, 800, 1024, 1500, 2048, 4096, 8192],
                p=[0.08, 0.16, 0.06, 0.24, 0.08, 0.2, 0.13, 0.05],
            )
        )
    )
    c["max_key"] = "max_completion_tokens" if rng.random() < 0.2 else "max_tokens"
    c["seed"] = bool(rng.random() < 0.08)
    c["json"] = bool(rng.random() < 0.08)
    c["n"] = int(rng.integers(2, 5)) if rng.random() < 0.03 else None
    c["system_p"] = float(rng.choice([0.0, 0.5, 1.0], p=[0.25, 0.1, 0.65]))
    c["cot"] = (
        C.COT_PHRASES[int(rng.integers(0, len(C.COT_PHRASES)))] if rng.random() < 0.15 else None
    )
    c["cot_place"] = ["suffix", "system", "prefix"][int(rng.choice(3, p=[0.6, 0.3, 0.1]))]
    c["tools"] = None
    if rng.random() < 0.12:
        k = int(rng.integers(1, 9))
        c["tools"] = [
            C.TOOLS[i]["function"]["name"] for i in rng.choice(len(C.TOOLS), k, replace=False)
        ]
    c["tool_choice"] = ["auto", None, "required"][int(rng.choice(3, p=[0.5, 0.45, 0.05]))]
    c["ip_mode"] = ["single", "few", "client", "proxy"][
        int(rng.choice(4, p=[0.42, 0.33, 0.17, 0.08]))
    ]
    c["proxy_pool"] = int(rng.integers(0, 3))
    c["ua"] = (
        C.CLIENT_UAS[int(rng.integers(0, len(C.CLIENT_UAS)))]
        if c["ip_mode"] == "client" and rng.random() < 0.6
        else C.UAS[int(rng.choice(len(C.UAS), p=np.array(C.UA_W) / sum(C.UA_W)))]
    )
    c["ua2"] = C.UAS[int(rng.integers(0, len(C.UAS)))] if rng.random() < 0.15 else None
    c["rhythm"] = draw_rhythm(rng)
    c["tz"] = float(
        C.TIMEZONES[int(rng.choice(len(C.TIMEZONES), p=np.array(C.TZ_W) / sum(C.TZ_W)))]
    )
    c["followup"] = float(rng.choice([0.0, 0.05, 0.15, 0.3, 0.5], p=[0.3, 0.2, 0.2, 0.2, 0.1]))
    c["resend"] = float(rng.choice([0.0, 0.01, 0.03, 0.08], p=[0.4, 0.3, 0.2, 0.1]))
    c["errors"] = float(rng.choice([0.002, 0.01, 0.03], p=[0.6, 0.3, 0.1]))
    m = int(rng.choice(len(C.MODELS), p=C.MODEL_W))
    c["models"] = [C.MODELS[m]] + ([C.MODELS[(m + 1) % 4]] if rng.random() < 0.15 else [])
    c["effort"] = str(rng.choice(["low", "medium", "high"])) if rng.random() < 0.5 else None
    c["logprobs"] = int(rng.choice([1, 5, 20])) if rng.random() < 0.03 else None
    c["embed_p"] = 0.15 if rng.random() < 0.08 else 0.0
    c["start"] = float(rng.uniform(0.05, 0.7)) if rng.random() < 0.12 else 0.0
    c["stop"] = float(rng.uniform(0.75, 0.98)) if rng.random() < 0.05 else 1.0
    c["user_field"] = bool(rng.random() < 0.2)
    return c


@dataclass
class Account:
    id: str
    label: str
    kind: str
    persona: str
    campaign: str | None
    org: str
    keys: list[str]
    cues: dict
    volume: float
    rng: np.random.Generator
    ips: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def label_row(self) -> dict:
        return {
            "account": self.id,
            "label": self.label,
            "kind": self.kind,
            "campaign": self.campaign,
        }


FOLLOW = {
    "support_bot": 0.35,
    "consumer_chat": 0.45,
    "tutoring": 0.5,
    "rag_app": 0.15,
    "multitenant_saas": 0.3,
    "enterprise_team": 0.25,
    "content_generator": 0.1,
    "coding_assistant": 0.4,
    "hydra": 0.0,
    "lowslow": 0.02,
    "chat_poser": 0.12,
    "broad_harvester": 0.02,
    "cot_harvester": 0.03,
    "code_harvester": 0.05,
    "reseller": 0.3,
}
NO_FOLLOW = {
    "benchmark_runner",
    "eval_vendor",
    "batch_labeller",
    "loglik_evaluator",
    "rubric_harvester",
    "logprob_harvester",
    "agent_platform",
    "tooltrace_harvester",
}


def persona_cues(persona: str, label: str, c: dict, rng, variant: str) -> float:
    """Cues a persona cannot do without (each has a counterpart on the other side); returns the
    follow-up rate."""
    if persona in ("agent_platform", "tooltrace_harvester"):
        k = int(rng.integers(4, 13))
        c["tools"] = [
            C.TOOLS[i]["function"]["name"] for i in rng.choice(len(C.TOOLS), k, replace=False)
        ]
    elif persona == "support_bot" and c["tools"]:
        c["tools"] = list(C.SUPPORT_TOOLS[: int(rng.integers(2, 5))])
    if persona in ("loglik_evaluator", "logprob_harvester"):
        c["logprobs"] = (
            int(rng.choice([5, 10, 20]))
            if persona == "loglik_evaluator"
            else int(rng.choice([5, 20, 20]))
        )
        c["max_tokens"] = int(rng.choice([1, 1, 5, 16]))
        c["max_key"], c["json"], c["n"] = "max_tokens", False, None
    if persona == "batch_labeller" and rng.random() < 0.6:
        c["max_tokens"], c["max_key"] = int(rng.choice([10, 16, 32])), "max_tokens"
    if persona == "cot_harvester" and not c["cot"]:
        c["cot"] = C.COT_PHRASES[int(rng.integers(0, len(C.COT_PHRASES)))]
    if persona == "benchmark_runner" and not c["cot"] and rng.random() < 0.5:
        c["cot"], c["cot_place"] = C.COT_PHRASES[int(rng.integers(0, len(C.COT_PHRASES)))], "suffix"
    if persona in ("tutoring", "chat_poser"):
        c["system_p"] = 1.0
    if persona == "lowslow":
        c["ip_mode"] = "single"
    fu = FOLLOW.get(persona, c["followup"])
    if persona in NO_FOLLOW:
        fu = 0.0
    if label == "extraction" and variant == "twins":
        fu = max(fu, float(rng.choice([0.05, 0.1, 0.2, 0.3])))
        if persona in ("rubric_harvester", "logprob_harvester", "tooltrace_harvester"):
            fu = 0.05
        c["resend"] = max(c["resend"], 0.02)
    return fu


def _volume(rng, persona: str) -> float:
    lo, hi = VOLUME[persona]
    lo, hi = lo * VOLUME_SCALE, hi * VOLUME_SCALE
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _alloc(total: int, weights: dict) -> list[str]:
    keys = list(weights)
    w = np.array([weights[k] for k in keys], dtype=float)
    raw = w / w.sum() * total
    n = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - n))[: total - n.sum()]:
        n[i] += 1
    return [k for k, c in zip(keys, n) for _ in range(c)]


def build(
    seed_seq: np.random.SeedSequence, n_accounts: int, variant: str
) -> tuple[list[Account], Net]:
    rng = np.random.default_rng(seed_seq.spawn(1)[0])
    net = Net(rng)
    scale = n_accounts / 250
    solos = [k for k, c in SOLO_PER_250.items() for _ in range(max(1, round(c * scale)))]
    n_hydra = max(3, round(HYDRA_SHARE * n_accounts))
    n_low = max(4, round(LOWSLOW_SHARE * n_accounts))
    n_benign = max(1, n_accounts - n_hydra - n_low - len(solos))
    plan: list[tuple[str, str, str | None, int | None]] = []  # label, persona, campaign, twin idx
    hydra_c, low_c = "hydra-" + _hex(rng, 6), "lowslow-" + _hex(rng, 6)
    plan += [("extraction", "hydra", hydra_c, None)] * n_hydra
    plan += [("extraction", "lowslow", low_c, None)] * n_low
    solo_start = len(plan)
    plan += [("extraction", k, None, None) for k in solos]
    twins: list[tuple[str, str, str | None, int | None]] = []
    if variant == "twins":
        seen: dict[str, int] = {}
        for j, k in enumerate(solos):
            opts = TWIN_AS[k]
            twins.append(("benign", opts[seen.get(k, 0) % len(opts)], None, solo_start + j))
            seen[k] = seen.get(k, 0) + 1
    plan += twins[:n_benign]
    plan += [("benign", p, None, None) for p in _alloc(n_benign - len(twins[:n_benign]), BENIGN_W)]
    seeds = seed_seq.spawn(len(plan))
    accounts: list[Account] = []
    orgs: dict[str, str] = {}
    for i, (label, persona, camp, twin) in enumerate(plan):
        arng = np.random.default_rng(seeds[i])
        cues = draw_cues(arng)
        vol = _volume(arng, persona)
        kind = persona
        fu = persona_cues(persona, label, cues, arng, variant)
        if twin is not None:
            src = accounts[twin]
            cues = copy.deepcopy(src.cues)
            vol = src.volume * float(arng.uniform(0.8, 1.25))
            kind = persona + "_twin"
            fu = src.extra["fu"]
        org = "org_" + _hex(arng, 10)
        if persona == "enterprise_team":  # teams of one company share an org and its egress
            slot = f"ent{int(arng.integers(0, max(1, round(3 * scale))))}"
            org = orgs.setdefault(slot, org)
        nkeys = (
            int(arng.integers(2, 6))
            if persona in ("multitenant_saas", "eval_vendor", "enterprise_team", "reseller")
            else 1
        )
        if arng.random() < 0.1:
            nkeys += 1  # a rotated key
        a = Account(
            id="acct_" + _hex(arng, 8),
            label=label,
            kind=kind,
            persona=persona,
            campaign=camp,
            org=org,
            keys=["key_" + _hex(arng, 10) for _ in range(nkeys)],
            cues=cues,
            volume=vol,
            rng=arng,
        )
        a.extra["fu"] = fu
        if twin is not None:
            a.extra["twin_of"] = accounts[twin].id
        if persona == "enterprise_team":
            a.extra["org_slot"] = slot
        accounts.append(a)
    # network
    ent_ips: dict[str, list[str]] = {}
    for a in accounts:
        mode = a.cues["ip_mode"]
        if a.persona == "enterprise_team":
            a.ips = ent_ips.setdefault(a.extra["org_slot"], net.own_ips("few"))
            a.cues["ip_mode"] = "few"
        elif mode != "proxy":
            a.ips = net.own_ips(mode)
    return accounts, net
