"""Shared machinery of the family builders: seeded generators, surfaces, dressing.

A family builder gets a `Builder` and a number of twin pairs, and returns that many
(benign, attack) persona pairs. The builder hands out independent generators (so a
family's content does not shift when another family changes), draws the family's cue
rates once, and dresses each persona in an identity drawn from its surface.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from distillguard.sim.families import purpose
from distillguard.sim.families.chat import ChatPersona, Style, style_for
from distillguard.sim.families.network import Dresser, Shared
from distillguard.sim.families.persona import Ctx, Persona
from distillguard.sim.families.sources import Pool
from distillguard.sim.families.surface import CueRates, Surface, pair

Pair = tuple[Persona, Persona]
CHAT_DOMAINS = (
    "general",
    "writing",
    "shopping",
    "travel",
    "health",
    "finance",
    "research",
    "legal",
)


@dataclass(slots=True)
class Builder:
    ctx: Ctx
    rng: random.Random
    dresser: Dresser
    family: str = ""

    def sub(self) -> random.Random:
        """An independent generator for one persona or one structure."""
        return random.Random(self.rng.getrandbits(64))

    def cues(self, **over: Any) -> CueRates:
        """The family's cue rates (one draw a run), with defining cues fixed."""
        return replace(CueRates.draw(self.rng), **over)

    def pairs(
        self, cues: CueRates, per_day: tuple[float, float], n: int
    ) -> list[tuple[Surface, Surface]]:
        return [pair(self.rng, cues, per_day) for _ in range(n)]

    def pools(self, *roles: str) -> list[Pool]:
        return self.ctx.pools.roles(*roles)

    def style(
        self, rng: random.Random, s: Surface, domain: str, system: str | None = None
    ) -> Style:
        return style_for(rng, s, self.ctx.personas, domain, system=system)

    def make(
        self,
        cls: Callable[..., Persona],
        s: Surface,
        rng: random.Random,
        label: str,
        kind: str,
        *,
        shared: Shared | None = None,
        keys: int | None = None,
        **kw: Any,
    ) -> Persona:
        """A persona of this family, dressed in an identity drawn from its surface."""
        account = self.dresser.account(s, shared, keys=keys)
        return cls(self.ctx, rng, s, account, label=label, family=self.family, kind=kind, **kw)

    def campaign(self) -> str:
        return self.dresser.hexid("camp", 4)


def benign(
    b: Builder, cls: Callable[..., Persona], s: Surface, rng: random.Random, kind: str, **kw: Any
) -> Persona:
    return b.make(cls, s, rng, "benign", kind, **kw)


def attack(
    b: Builder, cls: Callable[..., Persona], s: Surface, rng: random.Random, kind: str, **kw: Any
) -> Persona:
    return b.make(cls, s, rng, "extraction", kind, **kw)


def harvester(
    b: Builder,
    rng: random.Random,
    s: Surface,
    style: Style,
    selection: list[Pool],
    cover: list[Pool],
    kind: str,
    *,
    cls: Callable[..., Persona] = ChatPersona,
    tune: dict[str, Any] | None = None,
    **kw: Any,
) -> Persona:
    """An attack chat persona: a harvest walk over `selection`, maybe mixed with cover.

    `tune` sets attributes of the harvest talk (a family's own twist on it).
    """
    st = purpose.strength(rng)
    harvest = purpose.harvest_talk(rng, style, purpose.walk(rng, selection), st)
    for name, value in (tune or {}).items():  # a family's own twist on the harvest
        setattr(harvest, name, value)
    mild = purpose.benign_talk(rng, style, purpose.popular(rng, cover))
    p = attack(b, cls, s, rng, kind, talks=purpose.harvest_mix(rng, harvest, mild, st), **kw)
    p.strength = st
    return p
