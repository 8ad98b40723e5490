"""The per-account score: purpose times value, read from percentiles among peers."""

from __future__ import annotations

from traffic import harvest, population, run

from distillguard.detect import behaviour
from distillguard.detect.population import Ranks
from distillguard.detect.scoring import VOLUME, value


def ranks(volume: float, rest: float = 0.6) -> Ranks:
    pcts = tuple(volume if i == VOLUME else rest for i in range(len(behaviour.NAMES)))
    return Ranks("plain", 40, pcts, tuple(0.5 for _ in pcts))


def test_heavy_use_adds_to_a_harvests_value_and_light_use_takes_nothing() -> None:
    assert value(ranks(volume=0.95)) > value(ranks(volume=0.6)) == value(ranks(volume=0.05))
    # Heavy use counts as one more statistic of the mean, not as the whole value.
    assert value(ranks(volume=1.0, rest=0.2)) < 0.5


def test_of_two_harvests_alike_the_heavier_ranks_higher_and_the_lighter_is_not_cleared(
    make_event,
) -> None:
    """The same 240 prompts a day against 24 a day: a harvest is worth its answers, and
    light use is how a network's members hide, so it is no evidence against."""
    events = (
        population(make_event)
        + harvest(make_event, "heavy", 240, 150, seed=1)
        + harvest(make_event, "light", 240, 3600, seed=2)
    )
    by = {a.account: a for a in run(events).results()[0]}
    heavy, light = by["heavy"], by["light"]
    assert heavy.evidence["pct_volume"] > 0.9 > 0.1 > light.evidence["pct_volume"]
    assert heavy.score > light.score and light.flagged
    assert any(r.startswith("heavy use: 240 requests per active day") for r in heavy.reasons)
    assert not any("light use" in r for r in light.reasons), light.reasons
