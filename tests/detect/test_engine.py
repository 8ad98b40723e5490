from __future__ import annotations

import random
from collections.abc import Callable

import orjson

from distillguard.detect.engine import Analyzer, AnalyzerConfig
from distillguard.events import Event

BASE_TEMPLATES = [
    "Question: why does {} happen?\nAnswer:",
    "Instruction: summarise {} for a student.\nOutput:",
    "Solve the following problem: {} apples",
    "Translate into French and explain your choices: {}",
    "Premise: {} is true.\nHypothesis: it is false.\nLabel:",
    "Write a short story about {}",
    "Given the passage: {}\nQuestion: what is it about?",
    "Context: {}\nClaim: this is right.\nVerdict:",
]


# A harvest covers many tasks and formats: 8 scaffolds x 40 openers = 320 templates.
OPENERS = [
    "please",
    "task",
    "now",
    "next",
    "quickly",
    "carefully",
    "kindly",
    "then",
    "first",
    "also",
    "alpha",
    "beta",
    "gamma",
    "delta",
    "red",
    "blue",
    "green",
    "amber",
    "north",
    "south",
    "east",
    "west",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "oak",
    "pine",
    "elm",
    "ash",
    "fir",
    "yew",
]
TEMPLATES = [f"{o} {t}" if ":" not in t.split()[0] else t for o in OPENERS for t in BASE_TEMPLATES]


def cot_harvest(
    make_event: Callable[..., Event],
    account: str,
    t0: float,
    n: int,
    gap: float,
    ip: str = "203.0.113.5",
    seed: int = 0,
) -> list[Event]:
    rng = random.Random(seed)
    return [
        make_event(
            t0 + i * gap,
            account=account,
            system="You are an AI assistant. Think step-by-step and justify your steps.",
            user=rng.choice(TEMPLATES).format(rng.random()),
            completion_tokens=700,
            ip=ip,
        )
        for i in range(n)
    ]


def support_chat(
    make_event: Callable[..., Event], account: str, t0: float, n: int, gap: float, seed: int = 1
) -> list[Event]:
    rng = random.Random(seed)
    return [
        make_event(
            t0 + i * gap,
            account=account,
            system="You are the Acme bank assistant.",
            user=f"my card {rng.randrange(9999)} was charged twice, what now?",
            history=rng.choice([0, 1, 3]),
            completion_tokens=60,
            ip=f"192.0.2.{rng.randrange(250)}",
        )
        for i in range(n)
    ]


def run(events: list[Event], config: AnalyzerConfig | None = None) -> Analyzer:
    analyzer = Analyzer(config)
    for ev in sorted(events, key=lambda e: e.ts):
        analyzer.process(ev)
    return analyzer


def test_flags_harvester_not_support_bot_with_reasons(make_event) -> None:
    t0 = 1.8e9
    events = cot_harvest(make_event, "harvester", t0, 400, 30) + support_chat(
        make_event, "bank", t0, 2000, 6
    )
    accounts, _ = run(events).results()
    by = {a.account: a for a in accounts}
    assert by["harvester"].flagged and by["harvester"].first_flag_index is not None
    assert by["harvester"].first_flag_index <= 200
    assert any("step-by-step" in r for r in by["harvester"].reasons)
    assert not by["bank"].flagged
    assert by["bank"].score < by["harvester"].score


def test_decisions_use_no_look_ahead(make_event) -> None:
    """The score after event i is the same whether or not later events exist."""
    t0 = 1.8e9
    events = sorted(
        cot_harvest(make_event, "h", t0, 150, 20) + support_chat(make_event, "b", t0, 300, 10),
        key=lambda e: e.ts,
    )
    full = Analyzer()
    scores_full = [full.process(e) for e in events]
    cut = 200
    part = Analyzer()
    scores_part = [part.process(e) for e in events[:cut]]
    assert scores_part == scores_full[:cut]


def test_hydra_members_are_caught_through_their_campaign(make_event) -> None:
    """Twelve low-volume accounts sharing a template and an address range form a campaign."""
    t0 = 1.8e9
    events: list[Event] = []
    for m in range(12):
        events += cot_harvest(
            make_event, f"hydra{m:02d}", t0 + m * 7, 40, 900, ip=f"203.0.113.{m + 10}", seed=m
        )
    for b in range(6):
        events += support_chat(make_event, f"bank{b}", t0, 300, 80, seed=100 + b)
    analyzer = run(events, AnalyzerConfig(link_every_s=1800))
    accounts, campaigns = analyzer.results()
    hydra = [a for a in accounts if a.account.startswith("hydra")]
    hydra_names = {a.account for a in hydra}
    assert hydra_names in [set(c.members) for c in campaigns]
    for c in campaigns:  # the banks share a prompt and a network: an org, linked but benign
        assert set(c.members) == hydra_names or not set(c.members) & hydra_names
    assert all(a.flagged for a in hydra)
    alone = Analyzer(AnalyzerConfig(linking=False))
    for ev in sorted(events, key=lambda e: e.ts):
        alone.process(ev)
    solo = [a for a in alone.results()[0] if a.account.startswith("hydra")]
    assert sum(a.flagged for a in solo) < len(solo)
    assert not any(a.flagged for a in accounts if a.account.startswith("bank"))


def test_a_restored_analyzer_goes_on_as_if_never_stopped(make_event) -> None:
    """State saved in pieces (only what changed), through JSON, resumes with the same scores."""
    t0 = 1.8e9
    events: list[Event] = []
    for m in range(8):
        events += cot_harvest(
            make_event, f"hydra{m}", t0 + m * 7, 40, 900, ip=f"203.0.113.{m + 10}", seed=m
        )
    events += support_chat(make_event, "bank", t0, 300, 80)
    events.sort(key=lambda e: e.ts)
    config = AnalyzerConfig(link_every_s=1800)
    whole = Analyzer(config)
    expected = [whole.process(e) for e in events]

    saved: dict[str, bytes] = {}
    first = Analyzer(config)
    got = []
    for i, e in enumerate(events):
        got.append(first.process(e))
        if i % 97 == 0:  # periodic saves of what changed, as the gateway does
            saved.update({a: orjson.dumps(s) for a, s in first.take_changes().items()})
        if i == len(events) // 2:
            break
    saved.update({a: orjson.dumps(s) for a, s in first.take_changes().items()})
    assert first.take_changes() == {}  # nothing changed since

    second = Analyzer(config)
    second.restore({a: orjson.loads(b) for a, b in saved.items()})
    got += [second.process(e) for e in events[len(events) // 2 + 1 :]]
    assert got == expected
    assert second.results() == whole.results()
    assert any(c.members for c in second.results()[1])  # the campaign survived too
