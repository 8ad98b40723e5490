"""What the policy says about one account now, and the record of a change of level.

An `Effect` is a tier's parameter rules tightened by the actions of every level up to the
account's own (a level applies the actions of the levels below it too). A `Decision` is
that effect with the level, the shadow flag and the reasons: frozen and precomputed, so
the gateway's hot path reads it with one dict lookup. A `Transition` is emitted when an
account's level changes; the store turns it into a case and an audit-log entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from distillguard.policy.attributes import AccountAttributes, Verification
from distillguard.policy.model import BASE_LEVEL, Exposure, Level, TierRules

_EXPOSURE_RANK = {"full": 0, "summary": 1, "none": 2}


@dataclass(frozen=True, slots=True)
class Effect:
    """Everything a request or response may be changed by; the defaults change nothing."""

    logprobs: bool = True
    top_logprobs_max: int | None = None
    logit_bias: bool = True
    n_max: int | None = None
    max_tokens_max: int | None = None
    reasoning: Exposure = "full"
    watermark: bool = False
    throttle: float = 1.0  # factor on the tier's rate limits
    require_verification: Verification | None = None
    suspend: bool = False

    @property
    def is_open(self) -> bool:
        return self is OPEN or self == OPEN


OPEN = Effect()


@dataclass(frozen=True, slots=True)
class Denial:
    """Why a request is refused: an OpenAI error `code` and a message the customer can act on."""

    code: str
    message: str
    status: int = 403


@dataclass(frozen=True, slots=True)
class Decision:
    tier: str
    level: str  # BASE_LEVEL ("none") or a level's name
    rank: int  # 0 for the base level, i for the i-th level of the ladder
    effect: Effect
    shadow: bool  # decide and record only: the gateway changes nothing
    denial: Denial | None = None
    reasons: tuple[str, ...] = ()
    since: float | None = None  # stream time the account entered the level
    # Whether a request or an answer may change at all; precomputed for the hot path.
    changes_anything: bool = field(init=False, compare=False)

    def __post_init__(self) -> None:
        changes = self.denial is not None or not self.effect.is_open
        object.__setattr__(self, "changes_anything", changes)


@dataclass(frozen=True, slots=True)
class Transition:
    """An account moved from one level to another (or would have, in shadow mode)."""

    account: str
    from_level: str
    to_level: str
    from_rank: int
    to_rank: int
    risk: float
    campaign_risk: float | None
    reasons: tuple[str, ...]
    at: float  # stream time (the event's ts), never the wall clock
    shadow: bool
    tier: str
    case: bool = False  # an escalation into a level whose `case = true`: open a review case

    @property
    def escalation(self) -> bool:
        return self.to_rank > self.from_rank


def _tighter(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else min(a, b)


def compose(rules: TierRules, ladder: Sequence[Level], rank: int) -> Effect:
    """The tier's rules tightened by the actions of levels 1..rank of `ladder`."""
    logprobs, top, bias = rules.logprobs, rules.top_logprobs_max, rules.logit_bias
    n, max_tokens, reasoning = rules.n_max, rules.max_tokens_max, rules.reasoning
    watermark, throttle = False, 1.0
    verify: Verification | None = None
    suspend = False
    for level in ladder[:rank]:
        a = level.actions
        logprobs = logprobs and not a.strip_logprobs
        top = _tighter(top, a.cap_top_logprobs)
        bias = bias and not a.strip_logit_bias
        n = _tighter(n, a.cap_n)
        max_tokens = _tighter(max_tokens, a.cap_max_tokens)
        if a.reasoning is not None and _EXPOSURE_RANK[a.reasoning] > _EXPOSURE_RANK[reasoning]:
            reasoning = a.reasoning
        watermark = watermark or a.watermark
        throttle = min(throttle, a.throttle or 1.0)
        verify = _stricter_verification(verify, a.require_verification)
        suspend = suspend or a.suspend
    e = Effect(logprobs, top, bias, n, max_tokens, reasoning, watermark, throttle, verify, suspend)
    return OPEN if e == OPEN else e  # so that `is_open` is an identity test on the hot path


def _stricter_verification(a: Verification | None, b: Verification | None) -> Verification | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if AccountAttributes(verification=a).verified_at_least(b) else b


def denial_for(effect: Effect, attrs: AccountAttributes, level: str) -> Denial | None:
    """The refusal an account at `effect` gets, given what it has verified."""
    if effect.suspend:
        return Denial(
            "account_suspended",
            f"This account is suspended (enforcement level '{level}'). Contact support to "
            "have the decision reviewed.",
        )
    need = effect.require_verification
    if need is not None and not attrs.verified_at_least(need):
        return Denial(
            "verification_required",
            f"This account must complete {need} verification before it can send more "
            f"requests (enforcement level '{level}'; it is verified: {attrs.verification}).",
        )
    return None


def base_name(rank: int, ladder: Sequence[Level]) -> str:
    return BASE_LEVEL if rank == 0 else ladder[rank - 1].name
