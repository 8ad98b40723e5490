"""The logit-bias probe against its benign twin: a classifier's fixed label set."""

from __future__ import annotations

import random
from collections.abc import Callable

from distillguard.detect.detectors import ProbeDetector
from distillguard.detect.features import extract
from distillguard.detect.profile import AccountProfile
from distillguard.events import Event


def _probe(events: list[Event]) -> ProbeDetector:
    profile, probe = AccountProfile(), ProbeDetector()
    for ev in events:
        probe.update(profile.observe(extract(ev, phrasing=True)))
    return probe


def _biased(make_event: Callable[..., Event], bias_of: Callable[[int], dict[str, int]]) -> list:
    return [
        make_event(1.8e9 + i, user=f"message {i}", logit_bias=bias_of(i), max_tokens=1)
        for i in range(300)
    ]


def test_a_sweep_of_ever_new_ids_is_evidence(make_event) -> None:
    window = 5
    probe = _probe(_biased(make_event, lambda i: {str(i * window + k): 100 for k in range(window)}))
    assert probe.score() > 0.9
    assert "at most 5 in one request" in probe.explain().reason


def test_a_classifier_biasing_one_label_set_is_not(make_event) -> None:
    labels = {str(t): 100 for t in random.Random(3).sample(range(1000, 90000), 77)}
    probe = _probe(_biased(make_event, lambda i: labels))
    assert probe.ids.count() > 40  # many distinct ids: the old rule scored this 0.4 or more
    assert probe.score() == 0.0


def test_a_few_label_sets_stay_below_a_sweep(make_event) -> None:
    rng = random.Random(4)
    sets = [{str(t): 100 for t in rng.sample(range(1000, 90000), 12)} for _ in range(3)]
    few = _probe(_biased(make_event, lambda i: sets[i % 3]))
    assert few.score() < 0.3


def test_a_label_set_sent_in_any_order_is_still_one_set(make_event) -> None:
    rng = random.Random(5)
    labels = [str(t) for t in rng.sample(range(1000, 90000), 150)]

    def shuffled(i: int) -> dict[str, int]:
        order = list(labels)
        random.Random(i).shuffle(order)
        return dict.fromkeys(order, 100)

    assert _probe(_biased(make_event, shuffled)).score() == 0.0


def test_state_round_trip_keeps_the_widest_set_and_reads_old_states(make_event) -> None:
    window = 3  # a sweep, so the score the state must carry is not 0
    probe = _probe(_biased(make_event, lambda i: {str(i * window + k): 5 for k in range(window)}))
    assert probe.score() > 0.5
    again = ProbeDetector()
    again.load_state(probe.to_state())
    assert (again.widest, again.score()) == (window, probe.score())
    old = probe.to_state()
    del old["widest"]
    before = ProbeDetector()
    before.load_state(old)
    assert before.widest == 0 and before.score() >= probe.score()  # as the old rule scored
