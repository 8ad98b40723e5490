"""Graduated enforcement: a policy of tiers and a ladder of responses, applied per account.

    policy = load_policy("examples/policy.toml")       # or default_policy()
    enforcer = Enforcer(policy)
    decision = enforcer.decision(account, tier)          # hot path: a dict lookup
    out = apply_request(body, decision, endpoint)        # strip, cap, or refuse
    answer = apply_response(upstream_body, decision)     # reasoning withheld or cut short
    rewriter = StreamRewriter(decision)                  # the same for a stream, chunk by chunk
    score = analyzer.process(event)                      # detect.engine.Score
    risk = score.reading                                 # held risk; None between scorings
    transition = enforcer.observe(account, risk, now=ts, campaign_risk=score.campaign_risk, ...)

Pure and synchronous: no I/O beyond reading the policy file, no clock (time is the event's
ts). Imports `events` and `detect` only; the gateway and the store build on it.
"""

from distillguard.policy.apply import (
    Change,
    ChangeKind,
    Outcome,
    apply_request,
    apply_response,
)
from distillguard.policy.attributes import (
    ORG_TYPES,
    VERIFICATION_ORDER,
    AccountAttributes,
    OrgType,
    Verification,
)
from distillguard.policy.decision import Decision, Denial, Effect, Transition
from distillguard.policy.enforcer import Enforcer
from distillguard.policy.model import (
    BASE_LEVEL,
    Actions,
    Condition,
    Level,
    Override,
    Policy,
    TierRules,
    default_policy,
    load_policy,
    parse_policy,
)
from distillguard.policy.stream import StreamRewriter

__all__ = [
    "BASE_LEVEL",
    "ORG_TYPES",
    "VERIFICATION_ORDER",
    "AccountAttributes",
    "Actions",
    "Change",
    "ChangeKind",
    "Condition",
    "Decision",
    "Denial",
    "Effect",
    "Enforcer",
    "Level",
    "OrgType",
    "Outcome",
    "Override",
    "Policy",
    "StreamRewriter",
    "TierRules",
    "Transition",
    "Verification",
    "apply_request",
    "apply_response",
    "default_policy",
    "load_policy",
    "parse_policy",
]
