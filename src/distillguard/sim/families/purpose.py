"""What the traffic is for: the label-dependent half of a persona, drawn per account.

Benign talks return to popular prompts (Zipf working sets), follow up on answers, answer
tool calls with results and take answers at ordinary length. Harvest talks walk a
selection without repeats, take no follow-up (or a faked, generic one), ignore tool calls
and ask for long answers. How strongly an attack shows each of these is its `strength`,
drawn uniformly: a strength near 0 is a subtle attack (ordinary lengths, some faked
follow-ups, benign cover traffic mixed in), near 1 a blatant one. Every range here
overlaps the benign one somewhere, so no single trait separates the labels.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from distillguard.sim.families.chat import Style, Talk
from distillguard.sim.families.pickers import Picker, Popular, Walk, pick_pools, weights
from distillguard.sim.families.sources import Pool
from distillguard.sim.families.surface import loguniform


def popular(
    rng: random.Random,
    pools: Sequence[Pool],
    *,
    size: tuple[float, float] = (30, 3000),
    zipf: tuple[float, float] = (0.5, 1.2),
    fresh: tuple[float, float] = (0.05, 0.6),
) -> Popular:
    """A benign opener: a working set of popular prompts plus some new ones."""
    return Popular(
        pools,
        weights(rng, len(pools)),
        rng,
        size=int(loguniform(rng, *size)),
        zipf_s=rng.uniform(*zipf),
        fresh=rng.uniform(*fresh),
    )


def walk(rng: random.Random, pools: Sequence[Pool]) -> Walk:
    """A harvest opener: every prompt of the selection once, in random order."""
    return Walk(pools, weights(rng, len(pools)), rng)


def benign_talk(
    rng: random.Random,
    style: Style,
    opener: Picker,
    *,
    follow: tuple[float, float] = (0.2, 2.0),
    scale: tuple[float, float] = (0.5, 1.5),
    gap: tuple[float, float] = (10.0, 150.0),
) -> Talk:
    """Real users: follow-ups that engage with the answer, tool calls answered."""
    return Talk(
        style=style,
        opener=opener,
        answer_scale=loguniform(rng, *scale),
        follow_mean=rng.uniform(*follow),
        follow_real=rng.uniform(0.6, 0.95),
        gap_s=loguniform(rng, *gap),
        long_ask=rng.uniform(0.0, 0.12),
        short_ask=rng.uniform(0.0, 0.15),
        answers_tools=rng.uniform(0.85, 1.0),
    )


def harvest_talk(
    rng: random.Random,
    style: Style,
    opener: Picker,
    strength: float,
    *,
    scale: tuple[float, float] = (0.8, 1.6),
) -> Talk:
    """A harvest stream; `strength` in [0, 1] sets how plainly it shows."""
    return Talk(
        style=style,
        opener=opener,
        answer_scale=loguniform(rng, *scale) * (1.0 + strength * rng.uniform(0.5, 3.0)),
        follow_mean=(1.0 - strength) * rng.uniform(0.0, 0.5),
        follow_real=rng.uniform(0.0, 0.4),
        gap_s=loguniform(rng, 1.0, 60.0),
        long_ask=strength * rng.uniform(0.2, 0.9),
        short_ask=0.0,
        answers_tools=(1.0 - strength) * rng.uniform(0.0, 0.6),
        # Scripts send prompts in bursts, which clusters their requests in time about as
        # much as a user's follow-ups cluster a conversation's.
        batch_mean=rng.uniform(0.0, 2.0) if rng.random() < 0.7 else 0.0,
        batch_gap=loguniform(rng, 0.3, 30.0),
    )


def cover_share(rng: random.Random, strength: float) -> float:
    """Share of an attack's sessions that are benign-looking cover (partial mixing)."""
    return (1.0 - strength) * rng.uniform(0.0, 0.5) if rng.random() < 0.6 else 0.0


def harvest_mix(
    rng: random.Random,
    harvest: Talk,
    cover: Talk,
    strength: float,
) -> list[tuple[float, Talk]]:
    """The attack's talks: the harvest, plus cover traffic when it mixes some in."""
    c = cover_share(rng, strength)
    return [(1.0 - c, harvest), (c, cover)] if c > 0 else [(1.0, harvest)]


def broad_selection(rng: random.Random, pools: Sequence[Pool], lo: int = 3) -> list[Pool]:
    """A harvester's broad selection: several sources across roles."""
    return pick_pools(rng, pools, lo, len(pools))


def strength(rng: random.Random) -> float:
    return rng.random()
