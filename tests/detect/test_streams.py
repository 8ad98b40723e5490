from __future__ import annotations

import random
from collections.abc import Callable

from distillguard.detect.detectors import StreamsDetector
from distillguard.detect.features import extract
from distillguard.detect.profile import AccountProfile
from distillguard.events import Event

WORDS = [
    "river",
    "market",
    "planet",
    "engine",
    "poem",
    "theorem",
    "garden",
    "protein",
    "router",
    "glacier",
    "violin",
    "tariff",
    "enzyme",
    "sonnet",
    "lattice",
    "harbor",
    "comet",
    "ledger",
    "prism",
    "falcon",
    "mosaic",
    "quartz",
    "tundra",
    "cipher",
    "orchid",
    "vector",
    "canyon",
    "meadow",
    "beacon",
]


def reseller(
    make_event: Callable[..., Event], harvest_share: float, n: int = 6000
) -> StreamsDetector:
    rng = random.Random(7)
    profile = AccountProfile()
    for i in range(n):
        if rng.random() < harvest_share:
            topic = " ".join(rng.sample(WORDS, 3))
            ev = make_event(
                1.8e9 + i,
                user=f"{rng.choice(WORDS)} {rng.choice(WORDS)}: describe {topic} {i}",
                completion_tokens=900,
            )
        else:
            ev = make_event(
                1.8e9 + i,
                system=f"You are the assistant of shop {rng.randrange(6)}.",
                user=f"where is my order {rng.randrange(10**6)}?",
                history=rng.choice([0, 1, 2]),
                completion_tokens=60,
            )
        profile.observe(extract(ev))
    return next(d for d in profile.detectors if isinstance(d, StreamsDetector))


def test_finds_a_harvest_stream_inside_customer_traffic(make_event) -> None:
    d = reseller(make_event, harvest_share=0.2)
    assert d.score() > 0.5
    assert "harvest inside mixed traffic" in d.explain().reason


def test_customer_traffic_alone_has_no_hidden_stream(make_event) -> None:
    assert reseller(make_event, harvest_share=0.0).score() == 0.0


def test_a_pure_harvester_is_left_to_the_account_level_detectors(make_event) -> None:
    assert reseller(make_event, harvest_share=1.0).score() == 0.0
