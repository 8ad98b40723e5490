"""Who the accounts are: the kind mix, campaigns, cohorts, twins, and each account's style."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .data import Pools
from .persona import Persona
from .personas_attack import ATTACK, ATTACK_TWINS, BROAD, REASONING
from .personas_benign import BENIGN
from .personas_twins import BENIGN_TWINS
from .select import refs
from .style import Style, draw_style, require
from .timing import hex_id, ip_pool

KINDS: dict[str, Persona] = {**BENIGN, **ATTACK, **BENIGN_TWINS, **ATTACK_TWINS}
SOLO_ATTACKS = [k for k in ATTACK if k not in ("hydra", "low_and_slow")]
BENIGN_WEIGHTS = {
    "support_bot": 2.0,
    "consumer_chat": 2.0,
    "agent_platform": 1.5,
    "tutoring_app": 1.0,
    "benchmark_runner": 1.0,
    "eval_vendor": 0.7,
    "researcher": 1.0,
    "batch_labeller": 1.0,
    "rag_app": 1.0,
    "multitenant_saas": 0.8,
    "indie_dev": 1.5,
    "enterprise_team": 1.0,
    "content_generator": 0.8,
    "coding_assistant": 1.2,
    "loglik_evaluator": 0.6,
    "embedding_indexer": 0.7,
    "translation_localizer": 0.6,
}


@dataclass
class Plan:
    kind: str
    campaign: str | None = None
    group: str | None = None
    twin_of: int | None = None  # index of the plan whose style this one copies
    shared: dict = field(default_factory=dict)
    style: Style | None = None
    account: str = ""
    keys: list[str] = field(default_factory=list)
    org: str | None = None
    ips: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return KINDS[self.kind].label


def _spread(
    rng: np.random.Generator, kinds: list[str], n: int, weights: list[float] | None = None
) -> list[str]:
    """``n`` kinds, as even as the weights allow (largest remainder, ties broken by rng)."""
    if n <= 0 or not kinds:
        return []
    w = np.array(weights if weights else [1.0] * len(kinds), dtype=float)
    exact = w / w.sum() * n
    base = np.floor(exact).astype(int)
    rest = n - int(base.sum())
    order = np.lexsort((rng.random(len(kinds)), -(exact - base)))
    base[order[:rest]] += 1
    return [k for k, c in zip(kinds, base, strict=True) for _ in range(int(c))]


def allocate(n: int, variant: str, rng: np.random.Generator) -> list[Plan]:
    plans: list[Plan] = []
    n_hydra = max(2, round(0.12 * n)) if n >= 12 else 1
    n_slow = max(2, round(0.064 * n)) if n >= 12 else 1
    n_cohort = max(2, round(0.048 * n)) if n >= 30 else 0
    hydra_id, slow_id, cohort_id = (f"{p}-{hex_id(rng, 6)}" for p in ("hydra", "lowslow", "cohort"))
    plans += [Plan("hydra", campaign=hydra_id) for _ in range(n_hydra)]
    plans += [Plan("low_and_slow", campaign=slow_id) for _ in range(n_slow)]
    plans += [Plan("classroom_cohort", group=cohort_id) for _ in range(n_cohort)]
    n_attack = round(n / 3)
    if variant == "twins":
        m = max(1, round(0.008 * n))
        room = max(0, n - len(plans))
        solo = SOLO_ATTACKS * m
        solo = solo[: room // 2]
        for k in solo:
            plans.append(Plan(k))
            plans.append(Plan(f"{k}_twin", twin_of=len(plans) - 1))
        room = n - len(plans)
        atw = [k for k in ATTACK_TWINS][
            : max(0, min(len(ATTACK_TWINS), room // 2, n_attack - n_hydra - n_slow - len(solo)))
        ]
        for k in atw:
            plans.append(Plan(k.removesuffix("_twin")))
            plans.append(Plan(k, twin_of=len(plans) - 1))
    else:
        k_solo = max(0, min(n - len(plans), n_attack - n_hydra - n_slow))
        plans += [Plan(k) for k in _spread(rng, SOLO_ATTACKS, k_solo)]
    rest = n - len(plans)
    bk = list(BENIGN_WEIGHTS)
    plans += [Plan(k) for k in _spread(rng, bk, rest, [BENIGN_WEIGHTS[k] for k in bk])]
    return plans[:n]


def assign_styles(plans: list[Plan], pools: Pools, rng: np.random.Generator) -> None:
    """Draw every style from the one shared distribution; campaigns, cohorts and twins copy."""
    camp: dict[str, Style] = {}
    waves = rng.uniform(0.0, 0.7, size=4)
    for p in plans:
        persona = KINDS[p.kind]
        if p.twin_of is not None:
            st = plans[p.twin_of].style.copy()  # type: ignore[union-attr]
        elif p.kind == "hydra":
            if p.campaign not in camp:
                # one pipeline, a few worker configurations (each a draw from the shared distribution)
                workers = [draw_style(rng) for _ in range(3)]
                for w in workers:
                    w.ip_mode, w.n_ips = (
                        str(rng.choice(("proxy", "residential"))),
                        int(rng.integers(300, 3000)),
                    )
                camp[p.campaign] = workers[0]  # type: ignore[index]
                camp[p.campaign].extra["workers"] = workers  # type: ignore[index]
            workers = camp[p.campaign].extra["workers"]  # type: ignore[index]
            st = workers[int(rng.integers(len(workers)))].copy()
            st.volume *= float(rng.lognormal(0.0, 0.3))
            st.start_frac = (
                0.0
                if rng.random() < 0.4
                else float(waves[int(rng.integers(4))] + rng.uniform(0, 0.05))
            )
            st.end_frac = float(min(1.0, st.start_frac + rng.uniform(0.15, 0.7)))
        elif p.kind == "classroom_cohort":
            if p.group not in camp:
                base = draw_style(rng)
                base.ip_mode, base.n_ips = "few", int(rng.integers(20, 80))
                base.start_frac = float(rng.uniform(0.0, 0.5))
                base.volume = float(rng.uniform(10, 40))
                camp[p.group] = base  # type: ignore[index]
            st = camp[p.group].copy()  # type: ignore[index]
            own = draw_style(rng)
            st.ua, st.volume = own.ua, st.volume * float(rng.lognormal(0.0, 0.5))
            st.start_frac = min(0.9, st.start_frac + float(rng.uniform(0.0, 0.03)))
        else:
            st = draw_style(rng)
            if p.kind == "low_and_slow":
                st.ip_mode, st.n_ips = str(rng.choice(("single", "few"))), int(rng.integers(1, 4))
        for cue in persona.requires:
            require(st, rng, cue)
        p.style = st
        p.account = f"acct_{hex_id(rng, 8)}"
        p.keys = [f"key_{hex_id(rng, 8)}" for _ in range(st.n_keys)]
        p.org = f"org_{hex_id(rng, 6)}" if st.has_org else None
        if p.kind == "classroom_cohort" and "ips" in camp[p.group].extra:  # type: ignore[index]
            p.ips = camp[p.group].extra["ips"]  # type: ignore[index]
        elif p.kind == "hydra":  # the campaign's proxy pool, shared by every worker
            ex = camp[p.campaign].extra  # type: ignore[index]
            if "ips" not in ex:
                ex["ips"] = ip_pool(rng, st)
            pool_ = ex["ips"]
            p.ips = [pool_[int(j)] for j in rng.integers(len(pool_), size=min(len(pool_), 200))]
        else:
            p.ips = ip_pool(rng, st)
            if p.kind == "classroom_cohort":
                camp[p.group].extra["ips"] = p.ips  # type: ignore[index]
    _shared_selections(plans, pools, rng)


def _shared_selections(plans: list[Plan], pools: Pools, rng: np.random.Generator) -> None:
    groups: dict[str, list[Plan]] = {}
    for p in plans:
        if p.campaign or p.group:
            groups.setdefault(p.campaign or p.group or "", []).append(p)
    for members in groups.values():
        kind = members[0].kind
        if kind == "classroom_cohort":
            items = refs(pools, ("gsm8k", "mtbench", "awesome", "vicuna"))
            pick = rng.choice(len(items), size=int(rng.integers(10, 31)), replace=False)
            shared = {"items": [items[int(j)] for j in pick]}
            for p in members:
                p.shared = shared
            continue
        items = refs(pools, BROAD if kind == "hydra" else REASONING)
        order = rng.permutation(len(items))
        for j, p in enumerate(members):
            p.shared = {
                "items": items,
                "order": order,
                "shard": j,
                "n_shards": len(members),
                "layout": "block" if kind == "hydra" else "stride",
            }


def scale_volumes(plans: list[Plan], days: float, target: float) -> None:
    """One global factor so the expected event count meets the target (label-blind)."""
    small = ("low_and_slow", "classroom_cohort")
    fixed = [p for p in plans if "low_volume" in KINDS[p.kind].requires or p.kind in small]
    free = [p for p in plans if p not in fixed]
    for _ in range(3):
        exp_fixed = sum(p.style.volume * days for p in fixed)  # type: ignore[union-attr]
        exp_free = sum(p.style.volume * days for p in free)  # type: ignore[union-attr]
        f = max(0.05, (target - exp_fixed) / max(exp_free, 1.0))
        cap = 0.05 * target / max(days, 0.01)
        for p in free:
            p.style.volume = min(cap, p.style.volume * f)  # type: ignore[union-attr]
    # twins keep their original's volume exactly
    for p in plans:
        if p.twin_of is not None:
            p.style.volume = plans[p.twin_of].style.volume  # type: ignore[union-attr]
