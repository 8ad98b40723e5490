from __future__ import annotations

from collections.abc import Callable

from distillguard.detect.features import extract
from distillguard.detect.profile import AccountProfile
from distillguard.detect.scoring import coordinated_risk, member_risk, risk
from distillguard.events import Event

OPENERS = ["why", "how", "when", "where", "which", "who", "what", "whether"]


def account(
    make_event: Callable[..., Event], n: int, cot_every: int, templates: int = 8
) -> AccountProfile:
    profile = AccountProfile()
    for i in range(n):
        tail = " Explain your reasoning step by step." if i % cot_every == 0 else ""
        user = f"{OPENERS[i % templates]} is topic {i} so{tail}"
        profile.observe(extract(make_event(1.8e9 + 60 * i, user=user)))
    return profile


def test_hydra_member_inherits_campaign_risk(make_event) -> None:
    member = account(make_event, 20, cot_every=1)  # every prompt asks for reasoning
    assert risk(member.detectors) < 0.35
    assert member_risk(member.detectors, campaign=0.95) == 0.95


def test_linked_colleague_does_not_inherit(make_event) -> None:
    colleague = account(make_event, 20, cot_every=4)  # a quarter of prompts, like a researcher
    own = risk(colleague.detectors)
    assert member_risk(colleague.detectors, campaign=0.95) == own


def test_single_template_evaluation_run_does_not_inherit(make_event) -> None:
    runner = account(make_event, 20, cot_every=1, templates=1)  # one few-shot CoT template
    assert member_risk(runner.detectors, campaign=0.95) == risk(runner.detectors)


def test_coordinated_risk_counts_members_that_show_purpose(make_event) -> None:
    hydra = [account(make_event, 120, cot_every=1).detectors for _ in range(8)]
    lab = [account(make_event, 120, cot_every=4).detectors for _ in range(8)]
    assert coordinated_risk(hydra) > 0.9
    assert coordinated_risk(lab) == 0.0
    assert coordinated_risk([]) == 0.0
