"""The enforcer: levels move with risk, attributes and volume; never flap; decisions are cheap."""

from __future__ import annotations

from collections.abc import Callable

from distillguard.policy import AccountAttributes, Enforcer, Policy, default_policy

VERIFIED = AccountAttributes(verification="id")
H = 3600.0


def test_an_unseen_account_gets_its_tiers_base_decision(policy_of: Callable[..., Policy]) -> None:
    e = Enforcer(policy_of(tiers={"free": {"logprobs": False}}))
    d = e.decision("acct_new", "free")
    assert (d.level, d.rank, d.effect.logprobs, d.denial) == ("none", 0, False, None)
    assert e.decision("acct_other", "free") is d  # shared, precomputed
    assert e.decision("acct_new").effect.logprobs  # the default tier allows logprobs
    assert len(e) == 0  # reading decisions keeps no state


def test_escalation_is_immediate_and_cumulative(policy_of: Callable[..., Policy]) -> None:
    e = Enforcer(policy_of())
    assert e.observe("a", 0.1, now=0.0, attrs=VERIFIED) is None
    t = e.observe("a", 0.65, now=10.0, attrs=VERIFIED, evidence=("cot cues in 80% [cot 0.9]",))
    assert t is not None
    assert (t.from_level, t.to_level, t.from_rank, t.to_rank) == ("none", "withhold", 0, 3)
    assert (t.risk, t.at, t.shadow, t.tier, t.escalation) == (0.65, 10.0, False, "standard", True)
    assert not t.case  # withhold opens no case of its own (restrict's flag is for entering it)
    assert t.reasons == ("level 'withhold': risk 0.65 >= 0.60", "cot cues in 80% [cot 0.9]")
    d = e.decision("a")
    # withhold's own action plus those of watch and restrict below it
    eff = d.effect
    assert eff.reasoning == "none" and eff.watermark and not eff.logit_bias
    assert (eff.logprobs, eff.n_max, eff.max_tokens_max) == (False, 1, 256)
    assert d.reasons == t.reasons and d.since == 10.0


def test_a_level_asking_for_own_risk_is_not_reached_on_a_campaign_s_alone(
    policy_of: Callable[..., Policy],
) -> None:
    ladder = [
        {"name": "restrict", "when": {"min_risk": 0.4}, "actions": {"strip_logprobs": True}},
        {
            "name": "verify",
            "when": {"min_risk": 0.8, "min_own_risk": 0.3},
            "actions": {"require_verification": "id"},
        },
    ]
    e = Enforcer(policy_of(levels=ladder))
    # A member its campaign lifts to 0.9 while its own behaviour scores 0.1.
    t = e.observe("m", 0.9, now=0.0, campaign_risk=0.9, attrs=VERIFIED, own_risk=0.1)
    assert t is not None and t.to_level == "restrict"
    assert e.observe("m", None, now=10.0, campaign_risk=0.9, attrs=VERIFIED) is None  # kept
    t = e.observe("m", 0.9, now=20.0, campaign_risk=0.9, attrs=VERIFIED, own_risk=0.35)
    assert t is not None and t.to_level == "verify"
    assert t.reasons[0] == "level 'verify': risk 0.90 >= 0.80, own risk 0.35 >= 0.30"
    # A caller that never says the own risk: the risk stands in for it.
    t = Enforcer(policy_of(levels=ladder)).observe("x", 0.9, now=0.0, attrs=VERIFIED)
    assert t is not None and t.to_level == "verify"


def test_entering_a_case_level_asks_for_review(policy_of: Callable[..., Policy]) -> None:
    e = Enforcer(policy_of())
    watch = e.observe("a", 0.25, now=0.0, attrs=VERIFIED)
    restrict = e.observe("a", 0.45, now=1.0, attrs=VERIFIED)
    assert watch is not None and not watch.case
    assert restrict is not None and restrict.case


def test_an_unscored_request_keeps_the_last_risk(policy_of: Callable[..., Policy]) -> None:
    e = Enforcer(policy_of(cooldown_s=0))
    e.observe("a", 0.45, now=0.0, attrs=VERIFIED)
    assert e.observe("a", None, now=10.0, attrs=VERIFIED) is None
    assert e.decision("a").level == "restrict"


def test_hysteresis_and_cooldown_stop_flapping(policy_of: Callable[..., Policy]) -> None:
    e = Enforcer(policy_of())  # restrict at 0.4, hysteresis 0.05, cooldown 600 s
    assert e.observe("a", 0.41, now=0.0, attrs=VERIFIED) is not None
    # Below the entry threshold but within the hysteresis, long after the cooldown: stays.
    for i in range(1, 50):
        assert e.observe("a", 0.36 + (i % 3) / 100, now=i * 60.0, attrs=VERIFIED) is None
    assert e.decision("a").level == "restrict"
    # Clearly below, but not yet for a whole cooldown: stays.
    e2 = Enforcer(policy_of())
    e2.observe("b", 0.41, now=0.0, attrs=VERIFIED)
    assert e2.observe("b", 0.1, now=599.0, attrs=VERIFIED) is None
    t = e2.observe("b", 0.1, now=600.0, attrs=VERIFIED)
    assert t is not None and (t.from_level, t.to_level) == ("restrict", "none")
    assert not t.case and not t.escalation
    assert t.reasons[0] == "has not met level 'restrict' (less the hysteresis) for 600 s"


def test_evidence_that_comes_and_goes_holds_the_level(policy_of: Callable[..., Policy]) -> None:
    """A campaign member's risk drops whenever a re-linking misses it; it must not step down."""
    e = Enforcer(policy_of())  # cooldown 600 s
    e.observe("a", 0.45, now=0.0, attrs=VERIFIED)
    for i in range(1, 100):
        risk = 0.45 if i % 5 == 0 else 0.0  # back above every 500 s, quiet in between
        assert e.observe("a", risk, now=i * 100.0, attrs=VERIFIED) is None
    t = e.observe("a", 0.0, now=99 * 100.0 + 600.0, attrs=VERIFIED)
    assert t is not None and t.to_level == "none"


def test_a_level_may_have_its_own_cooldown(policy_of: Callable[..., Policy]) -> None:
    ladder = [{"name": "hold", "when": {"min_risk": 0.5}, "cooldown_s": 86_400}]
    e = Enforcer(policy_of(levels=ladder))
    e.observe("a", 0.6, now=0.0)
    assert e.observe("a", 0.0, now=86_399.0) is None
    assert e.observe("a", 0.0, now=86_400.0) is not None


def test_a_level_with_a_hold_waits_until_its_condition_held_that_long(
    policy_of: Callable[..., Policy],
) -> None:
    """A refusal on evidence that comes and goes (a campaign that links for an hour, a
    first pass that looks like a harvest until it re-runs) must not reach the customer."""
    ladder = [
        {"name": "restrict", "when": {"min_risk": 0.4}, "actions": {"cap_n": 1}},
        {
            "name": "refuse",
            "when": {"min_risk": 0.8},
            "hold_s": H,
            "actions": {"require_verification": "id"},
        },
    ]
    e = Enforcer(policy_of(levels=ladder))
    t = e.observe("a", 0.9, now=0.0)
    assert t is not None and t.to_level == "restrict"  # the lower level at once
    assert e.observe("a", 0.9, now=1800.0) is None
    assert e.observe("a", 0.5, now=1801.0) is None  # a break: the hold starts again
    assert e.observe("a", 0.9, now=1802.0) is None
    assert e.observe("a", 0.9, now=1802.0 + H - 1) is None
    assert e.decision("a").denial is None
    t = e.observe("a", 0.9, now=1802.0 + H)
    assert t is not None and (t.from_level, t.to_level) == ("restrict", "refuse")
    assert t.reasons == ("level 'refuse': risk 0.90 >= 0.80, held for 3,600 s",)
    assert e.decision("a").denial is not None


def test_a_hold_does_not_carry_over_to_another_tiers_ladder(
    policy_of: Callable[..., Policy],
) -> None:
    """Rank 1 of the free tier's ladder is not rank 1 of the default one: a tier change
    starts every hold again."""
    free = [
        {"name": "refuse", "when": {"min_risk": 0.8}, "hold_s": H, "actions": {"suspend": True}}
    ]
    default = [{"name": "slow", "when": {"min_risk": 0.8}, "hold_s": H, "actions": {"cap_n": 1}}]
    e = Enforcer(policy_of(levels=default, tiers={"free": {"levels": free}}))
    assert e.observe("a", 0.9, now=0.0) is None  # on the default tier: slow, held from 0
    assert e.observe("a", 0.9, now=H - 10, tier="free") is None  # moved to free: held anew
    assert e.observe("a", 0.9, now=H, tier="free") is None
    t = e.observe("a", 0.9, now=2 * H - 10, tier="free")
    assert t is not None and t.to_level == "refuse"


def test_a_step_down_stops_at_the_highest_level_still_held(
    policy_of: Callable[..., Policy],
) -> None:
    e = Enforcer(policy_of())
    e.observe("a", 0.85, now=0.0, attrs=VERIFIED)
    assert e.decision("a").level == "verify"
    t = e.observe("a", 0.37, now=H, attrs=VERIFIED)  # within hysteresis of restrict (0.4)
    assert t is not None and (t.from_level, t.to_level) == ("verify", "restrict")


def test_verification_is_required_until_done(policy_of: Callable[..., Policy]) -> None:
    e = Enforcer(policy_of())
    e.observe("a", 0.85, now=0.0)
    d = e.decision("a")
    assert d.level == "verify"
    assert d.denial is not None and d.denial.code == "verification_required"
    assert "id verification" in d.denial.message and d.denial.status == 403
    e.update_account("a", now=5.0, attrs=VERIFIED)
    assert e.decision("a").level == "verify" and e.decision("a").denial is None
    e.observe("a", 0.85, now=6.0)  # no attributes given: what the store said holds
    assert e.decision("a").denial is None


def test_attributes_and_volume_enter_levels(policy_of: Callable[..., Policy]) -> None:
    e = Enforcer(policy_of())
    # An affiliated developer at risk 0.6 is suspended; another account only withheld.
    e.observe("dev", 0.6, now=0.0, attrs=AccountAttributes("id", "research", True))
    assert e.decision("dev").level == "suspend"
    assert e.decision("dev").denial is not None
    e.observe("other", 0.6, now=0.0, attrs=VERIFIED)
    assert e.decision("other").level == "withhold"
    # Unverified and 100 requests within 24 hours: watch; verified: not.
    for i in range(100):
        e.observe("busy", 0.0, now=i * 60.0)
        e.observe("busy_verified", 0.0, now=i * 60.0, attrs=VERIFIED)
    assert e.decision("busy").level == "watch"
    assert e.decision("busy_verified").level == "none"


def test_requests_per_day_counts_only_the_last_24_hours(policy_of: Callable[..., Policy]) -> None:
    e = Enforcer(policy_of(cooldown_s=0, volume_hysteresis=0.0))
    for i in range(99):
        e.observe("a", 0.0, now=i * 10.0)
    assert e.decision("a").level == "none"
    # A day later the first 99 have left the window: one more is not 100.
    assert e.observe("a", 0.0, now=25 * H) is None
    assert e.decision("a").level == "none"
    for i in range(99):
        e.observe("a", 0.0, now=25 * H + i)
    assert e.decision("a").level == "watch"
    t = e.observe("a", 0.0, now=60 * H)
    assert t is not None and t.to_level == "none"


def test_allowlist_and_overrides(policy_of: Callable[..., Policy]) -> None:
    policy = policy_of(
        allowlist=["friend"],
        overrides={
            "partner": {"max_level": "watch", "note": "contract 12"},
            "suspect": {"min_level": "restrict"},
            "pinned": {"pin": "withhold"},
            "tryout": {"mode": "shadow"},
        },
    )
    e = Enforcer(policy)
    assert e.observe("friend", 1.0, now=0.0) is None
    assert e.decision("friend").level == "none"
    e.observe("partner", 1.0, now=0.0)
    assert e.decision("partner").level == "watch"
    assert "contract 12" in e.decision("partner").reasons[0]
    # Overrides hold from the first request, before detection has seen the account.
    assert e.decision("suspect").level == "restrict"
    assert e.decision("pinned").level == "withhold"
    e.observe("pinned", 1.0, now=0.0)
    assert e.decision("pinned").level == "withhold"
    t = e.observe("tryout", 0.5, now=0.0)
    assert t is not None and t.shadow and e.decision("tryout").shadow
    assert not e.decision("partner").shadow


def test_per_tier_ladder_and_mode(policy_of: Callable[..., Policy]) -> None:
    policy = policy_of(
        tiers={
            "enterprise": {
                "mode": "shadow",
                "levels": [
                    {"name": "watch", "when": {"min_risk": 0.5}},
                    {"name": "restrict", "when": {"min_risk": 0.9}},
                    {"name": "withhold", "when": {"min_risk": 0.99}},
                    {"name": "verify", "when": {"min_risk": 0.99}},
                    {"name": "suspend", "when": {"min_risk": 0.999}},
                ],
            }
        }
    )
    e = Enforcer(policy)
    t = e.observe("big", 0.6, now=0.0, tier="enterprise", attrs=VERIFIED)
    assert t is not None and t.to_level == "watch" and t.shadow
    d = e.decision("big", "enterprise")
    assert d.effect.is_open  # the enterprise ladder's watch only observes


def test_shadow_mode_decides_the_same_but_says_so(policy_of: Callable[..., Policy]) -> None:
    shadow, enforce = Enforcer(policy_of(mode="shadow")), Enforcer(policy_of())
    for e in (shadow, enforce):
        e.observe("a", 0.85, now=0.0)
    s, f = shadow.decision("a"), enforce.decision("a")
    assert s.shadow and not f.shadow
    assert (s.level, s.effect, s.denial) == (f.level, f.effect, f.denial)


def test_state_is_bounded(policy_of: Callable[..., Policy]) -> None:
    e = Enforcer(policy_of(max_accounts=3))
    for i, account in enumerate(("a", "b", "c", "d")):
        e.observe(account, 0.5, now=float(i))
    assert len(e) == 3 and e.evicted == 1
    assert e.decision("a").level == "none"  # forgotten first: least recently observed
    assert {a for a, _ in e.escalated()} == {"b", "c", "d"}


def test_restore_puts_back_a_saved_level(policy_of: Callable[..., Policy]) -> None:
    e = Enforcer(policy_of())
    d = e.restore("a", "verify", since=100.0, reasons=("saved",))
    assert (d.level, d.since, d.reasons) == ("verify", 100.0, ("saved",))
    assert e.decision("a") is d
    # It steps down only after the cooldown counted from when it was entered.
    assert e.observe("a", 0.0, now=650.0, attrs=VERIFIED) is None
    t = e.observe("a", 0.0, now=700.0, attrs=VERIFIED)
    assert t is not None and (t.from_level, t.to_level) == ("verify", "none")


def test_the_shipped_ladder_needs_a_history_before_it_takes_anything() -> None:
    """policy/default.toml: an unverified account keeps logit_bias; its own risk restricts
    only from its 300th request, while a campaign's risk restricts a member at once and
    refusal still waits for the member's own history, and for its evidence to hold."""
    e = Enforcer(default_policy())
    e.observe("young", 0.1, now=0.0)
    probation = e.decision("young")
    assert probation.level == "probation" and probation.effect.logit_bias
    assert probation.effect.watermark and probation.denial is None
    for i in range(1, 299):  # a young account's high risk: watched, nothing taken away
        e.observe("young", 0.8, now=float(i))
    assert e.decision("young").level == "watch"
    e.observe("young", 0.8, now=299.0)  # its 300th request: restricted, not refused yet
    grown = e.decision("young")
    assert grown.level == "withhold" and grown.denial is None
    assert not grown.effect.logit_bias and not grown.effect.logprobs
    e.observe("young", 0.8, now=299.0 + 2 * H)  # refused once the evidence held two hours
    assert e.decision("young").denial is not None
    e.observe("member", 0.8, now=0.0, campaign_risk=0.7)
    member = e.decision("member")
    assert member.level == "restrict" and member.denial is None
