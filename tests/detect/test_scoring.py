from __future__ import annotations

from collections.abc import Callable

from distillguard.detect.features import extract
from distillguard.detect.profile import AccountProfile
from distillguard.detect.scoring import member_risk, risk
from distillguard.events import Event


def account(make_event: Callable[..., Event], n: int, cot_every: int) -> AccountProfile:
    profile = AccountProfile()
    for i in range(n):
        tail = " Explain your reasoning step by step." if i % cot_every == 0 else ""
        profile.observe(extract(make_event(1.8e9 + 60 * i, user=f"topic {i} question{tail}")))
    return profile


def test_hydra_member_inherits_campaign_risk(make_event) -> None:
    member = account(make_event, 20, cot_every=1)  # every prompt asks for reasoning
    assert risk(member.detectors) < 0.35
    assert member_risk(member.detectors, campaign=0.95) == 0.95


def test_linked_colleague_does_not_inherit(make_event) -> None:
    colleague = account(make_event, 20, cot_every=4)  # a quarter of prompts, like a researcher
    own = risk(colleague.detectors)
    assert member_risk(colleague.detectors, campaign=0.95) == own
