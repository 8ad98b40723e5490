"""Prompt sources, split by whole data set, and the roles personas draw them by.

A *source* is one public data set from `shared/data` (or its built-in stand-in), or a
view derived from one (MMLU's mathematics subjects, the passages inside T0 prompts, the
Bitext answers as help-centre documents). A derived view belongs to the split of the data
set it comes from, so `tune` and `test` never share a text: a detector tuned on `tune`
families meets new data sets in `test`.

Personas ask for a *role* (instruction sets, chat questions, support queries, code,
maths, benchmarks, knowledge questions, documents, persona system prompts) and get the
sources of that role in the run's split. Every role has at least one source on each side,
so every family runs on either split.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from distillguard.sim.prompts import PromptBank

# Data set -> split. Halves were chosen so that each role keeps a source on each side and
# the large pools (clinc, banking, mmlu) do not all land on one side.
SPLIT_OF: dict[str, str] = {
    "alpaca": "tune",
    "code": "tune",
    "gsm8k": "tune",
    "mt_bench": "tune",
    "nq": "tune",
    "bitext": "tune",
    "roles": "tune",
    "t0": "test",
    "mmlu": "test",
    "humaneval": "test",
    "vicuna": "test",
    "clinc": "test",
    "banking": "test",
    "orca": "test",
}
# Derived views: name -> the data set they are cut from. `mmlu_math` repeats items of
# MMLU, so a selection holding both keeps MMLU alone (see `Pools.roles`).
DERIVED: dict[str, str] = {
    "mmlu_math": "mmlu",
    "t0_passages": "t0",
    "bitext_docs": "bitext",
}
ROLES: dict[str, tuple[str, ...]] = {
    "instruct": ("alpaca", "code", "t0"),
    "chat": ("nq", "mt_bench", "alpaca", "clinc", "vicuna"),
    "support": ("bitext", "banking"),
    "code": ("code", "humaneval"),
    "math": ("gsm8k", "mmlu_math"),
    "bench": ("gsm8k", "mt_bench", "mmlu", "humaneval", "vicuna"),
    "knowledge": ("nq", "gsm8k", "mmlu"),
    "docs": ("bitext_docs", "t0_passages"),
    "personas": ("roles", "orca"),
}
SUBSETS = {"mmlu_math": "mmlu"}
MATH_SUBJECTS = ("algebra", "mathematics", "statistics", "physics", "econometrics")


@dataclass(frozen=True, slots=True)
class Item:
    """One prompt: its text, the data set's answer if any, and a scripted second turn."""

    text: str
    ref: str = ""
    turn2: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class Pool:
    name: str
    split: str
    items: tuple[Item, ...]


def split_of(source: str) -> str:
    return SPLIT_OF[DERIVED.get(source, source)]


def sources_in(split: str) -> tuple[str, ...]:
    """Every source name (data sets and derived views) a run of `split` may read."""
    names = (*SPLIT_OF, *DERIVED)
    return tuple(n for n in names if split == "all" or split_of(n) == split)


def _mmlu_text(q: str, choices: tuple[str, ...]) -> str:
    letters = "ABCD"
    return q + "\n" + "\n".join(f"{letters[i]}. {c}" for i, c in enumerate(choices))


def _items(bank: PromptBank, name: str) -> list[Item]:
    """The items of one source, built from the bank's pool of that name."""
    if name == "mmlu" or name == "mmlu_math":
        rows: Any = bank.mmlu
        if name == "mmlu_math":
            rows = [r for r in rows if any(s in r[0] for s in MATH_SUBJECTS)] or rows
        return [Item(_mmlu_text(q, ch), "ABCD"[a % 4], source=name) for _s, q, ch, a in rows]
    if name == "t0_passages":
        return [Item(p, source=name) for p in bank.passages]
    if name == "bitext_docs":
        return [Item(r, source=name) for _q, _i, r in bank.bitext if len(r) > 80]
    table: dict[str, Any] = {
        "alpaca": lambda: [Item(_join(i, x), o) for i, x, o in bank.alpaca],
        "code": lambda: [Item(_join(i, x), o) for i, x, o in bank.code],
        "t0": lambda: [Item(p, c) for p, c in bank.t0],
        "gsm8k": lambda: [Item(q, a) for q, a in bank.gsm8k],
        "mt_bench": lambda: [Item(t1, "", t2) for _c, t1, t2 in bank.mt_bench],
        "nq": lambda: [Item(q, a) for q, a in bank.nq],
        "bitext": lambda: [Item(q, r) for q, _i, r in bank.bitext],
        "banking": lambda: [Item(q, i) for q, i in bank.banking],
        "clinc": lambda: [Item(q) for q in bank.clinc],
        "vicuna": lambda: [Item(q) for q in bank.vicuna],
        "humaneval": lambda: [Item(p) for _t, p in bank.humaneval],
        "roles": lambda: [Item(p, a) for a, p in bank.roles],
        "orca": lambda: [Item(m) for m in bank.orca],
    }
    return [Item(it.text, it.ref, it.turn2, name) for it in table[name]()]


def _texts(bank: PromptBank, split: str) -> set[str]:
    return {it.text for name in sources_in(split) for it in _items(bank, name)}


def _unique(items: Iterable[Item]) -> list[Item]:
    """The first item of each text, in order."""
    seen: set[str] = set()
    out = []
    for it in items:
        if it.text not in seen:
            seen.add(it.text)
            out.append(it)
    return out


def _join(instruction: str, given: str) -> str:
    return f"{instruction}\n\n{given}" if given else instruction


class Pools:
    """The sources of one split, each shuffled once per run (so walks look random)."""

    def __init__(self, bank: PromptBank, split: str, rng: random.Random) -> None:
        self.split = split
        self.by_name: dict[str, Pool] = {}
        # A few texts sit in two data sets (MT-Bench took questions from Vicuna, Banking77
        # and Bitext share short queries); such a text belongs to the tune side alone.
        # Within a split, too, a text belongs to the first source that has it, so that a
        # walk over several sources sends no text twice.
        other_side = _texts(bank, "tune") if split == "test" else set()
        taken = set(other_side)
        for name in sources_in(split):
            skip = other_side if name in SUBSETS else taken  # a subset view repeats its set
            items = _unique(
                it for it in _items(bank, name) if it.text.strip() and it.text not in skip
            )
            if name not in SUBSETS:
                taken |= {it.text for it in items}
            rng.shuffle(items)
            if items:
                self.by_name[name] = Pool(name, split_of(name), tuple(items))

    def role(self, role: str) -> list[Pool]:
        pools = [self.by_name[n] for n in ROLES[role] if n in self.by_name]
        if not pools:  # only when a data set is empty: any source of the split stands in
            pools = list(self.by_name.values())[:1]
        return pools

    def roles(self, *names: str) -> list[Pool]:
        """The pools of several roles, each source once (a subset view never beside its
        whole data set)."""
        out: dict[str, Pool] = {}
        for r in names:
            for p in self.role(r):
                out.setdefault(p.name, p)
        return [p for n, p in out.items() if SUBSETS.get(n) not in out]
