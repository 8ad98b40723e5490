"""Every rule of the scorer against its benign twin: same surface, another purpose.

Each twin shares the harvest's loud traits (long answers at the cap, new prompts, tools,
worked explanations) and differs in what the traffic is for; each must come out clean,
with the reason on its account.
"""

from __future__ import annotations

import pytest
from traffic import (
    agent,
    agent_harvest,
    evaluation,
    harvest,
    labeller,
    network,
    population,
    run,
    tutoring,
)

from distillguard.detect.engine import AnalyzerConfig

TWINS = {
    "evaluation": (evaluation, "re-sends earlier prompts"),
    "tutoring": (tutoring, "conversations go on"),
    "agent": (agent, "conversations go on"),
    "labeller": (labeller, "short answers"),
}


@pytest.mark.parametrize("name", sorted(TWINS))
def test_benign_twin_is_clean_and_says_why(make_event, name: str) -> None:
    make, words = TWINS[name]
    events = (
        population(make_event)
        + make(make_event, "twin", 300, 100, seed=5)
        + harvest(make_event, "harvester", 300, 100)
    )
    by = {a.account: a for a in run(events).results()[0]}
    assert by["harvester"].flagged, by["harvester"].reasons
    twin = by["twin"]
    assert not twin.flagged and twin.score < by["harvester"].score / 2
    assert any(words in r for r in twin.reasons), twin.reasons


def test_tool_use_alone_is_no_evidence(make_event) -> None:
    """A harvest that also sends tool definitions is ranked among tool users and caught."""
    tools = [{"type": "function", "function": {"name": "f"}}]
    events = population(make_event) + harvest(make_event, "harvester", 300, 100, tools=tools)
    for k in range(22):
        events += agent(make_event, f"agent{k}", 120, 300, seed=k, answer=600)
    by = {a.account: a for a in run(events).results()[0]}
    assert by["harvester"].flagged
    assert any("tools peers" in r for r in by["harvester"].reasons), by["harvester"].reasons
    assert not any(by[f"agent{k}"].flagged for k in range(22))


def test_tool_loops_do_not_hide_a_harvest(make_event) -> None:
    """Tool results are the agent's turns, not a person's: a harvest that loops every task
    on its tools is still single-shot new prompts, and its platform twins stay clean."""
    events = population(make_event) + agent_harvest(make_event, "looper", 300, 100)
    for k in range(22):
        events += agent(make_event, f"agent{k}", 120, 300, seed=k, answer=600)
    by = {a.account: a for a in run(events).results()[0]}
    assert by["looper"].flagged, by["looper"].reasons
    assert not any(by[f"agent{k}"].flagged for k in range(22))


def test_membership_never_lifts_an_account_without_evidence_of_its_own(make_event) -> None:
    """A support bot on the hydra's network and client stays clean inside its campaign."""
    events = population(make_event, n=60, gap=1000) + network(make_event)
    events += [
        make_event(e.ts + 1, account="bystander", user=e.request.last_user, ip="10.0.0.9")
        for e in population(make_event, accounts=3, n=60, gap=1000)
        if e.account == "peer01"
    ]
    accounts, _ = run(events, AnalyzerConfig(link_every_s=1800)).results()
    by = {a.account: a for a in accounts}
    assert by["net00"].flagged
    assert not by["bystander"].flagged


def test_scripted_follow_ups_do_not_pass_for_a_conversation(make_event) -> None:
    """The red team's evasion: half the harvest sent as 'Go on' continuations."""
    from distillguard.events import parse_event

    faked = []
    for i, ev in enumerate(harvest(make_event, "faker", 300, 100, seed=3)):
        if i % 2:
            raw = dict(ev.raw)
            raw["request"] = dict(raw["request"])
            first = raw["request"]["messages"][-1]
            raw["request"]["messages"] = [
                first,
                {"role": "assistant", "content": "..."},
                {"role": "user", "content": "Go on, in more detail."},
            ]
            ev = parse_event(raw)
        faked.append(ev)
    events = population(make_event) + faked + tutoring(make_event, "tutor", 300, 100, seed=4)
    by = {a.account: a for a in run(events).results()[0]}
    assert by["faker"].flagged, by["faker"].reasons
    assert not by["tutor"].flagged


def test_a_little_cover_traffic_does_not_hide_a_harvest(make_event) -> None:
    """A harvest that re-sends one prompt in eight and dresses one in ten as a follow-up:
    the purpose shares move by a few points, not from the top of the peers to the bottom.
    Its twin, an evaluation that re-runs every question, stays clean."""
    from distillguard.events import parse_event

    covered = []
    for i, ev in enumerate(harvest(make_event, "covered", 300, 100, seed=3)):
        raw = dict(ev.raw)
        raw["request"] = dict(raw["request"])
        if i % 8 == 7:  # an earlier prompt again, as it was sent
            raw["request"]["messages"] = covered[i - 5].raw["request"]["messages"]
        elif i % 10 == 9:
            first = raw["request"]["messages"][-1]
            raw["request"]["messages"] = [
                {"role": "user", "content": f"earlier question {i}"},
                {"role": "assistant", "content": "an answer"},
                first,
            ]
        covered.append(parse_event(raw))
    events = population(make_event) + covered + evaluation(make_event, "evals", 300, 100, seed=4)
    by = {a.account: a for a in run(events).results()[0]}
    assert by["covered"].flagged, by["covered"].reasons
    assert not by["evals"].flagged
    assert any("re-sends earlier prompts" in r for r in by["evals"].reasons), by["evals"].reasons


def test_a_dozen_requests_at_the_top_of_the_peers_are_held_back(make_event) -> None:
    """A harvest's shape on a dozen requests (a content generator's afternoon) is held
    back by how little it rests on; the same shape on hundreds is flagged."""
    events = (
        population(make_event)
        + harvest(make_event, "harvester", 300, 100)
        + harvest(make_event, "small", 12, 100)
    )
    by = {a.account: a for a in run(events).results()[0]}
    assert by["harvester"].flagged, by["harvester"].reasons
    small = by["small"]
    assert not small.flagged and small.score < by["harvester"].score / 2
    assert any("few requests to judge by: 12" in r for r in small.reasons), small.reasons
