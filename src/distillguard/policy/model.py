"""The enforcement policy: tiers of allowed parameters and a ladder of responses, from TOML.

    policy = load_policy("examples/policy.toml")

A policy has a global `mode` (shadow: decide and record, change nothing; enforce), per-tier
parameter rules (`[tiers.NAME]`, each may set its own `mode` and its own ladder), a ladder of
levels (`[[levels]]`, mildest first; each has `when` conditions and `actions`, and a level
applies the actions of every level below it too), stability settings (`hysteresis`,
`cooldown_s`), per-account `[overrides.ACCOUNT]` and an `allowlist`. examples/policy.toml
explains every key. A bad file raises `PolicyError` naming the file and line, the key and
the value.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from distillguard.errors import InputNotFoundError, PolicyError
from distillguard.policy.attributes import OrgType, Verification
from distillguard.policy.toml_lines import key_line

Mode = Literal["shadow", "enforce"]
Exposure = Literal["full", "summary", "none"]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
BASE_LEVEL = "none"  # the name of "no level": what every account starts at


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """All of the given tests must hold (a test left out always holds)."""

    min_risk: Share | None = None  # the account's risk, its campaign's included
    min_campaign_risk: Share | None = None  # only accounts linked into a campaign pass
    # The account's own risk, its campaign's left out (`Score.own_held`): a level that asks
    # for it is not reached on a campaign's risk alone.
    min_own_risk: Share | None = None
    campaign_member: bool | None = None
    verification: tuple[Verification, ...] | None = None
    org_type: tuple[OrgType, ...] | None = None
    affiliated_developer: bool | None = None
    min_requests_per_day: Annotated[int, Field(ge=1)] | None = None  # over the last 24 h
    min_requests: Annotated[int, Field(ge=1)] | None = None  # seen since the account began
    tiers: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Condition:
        if not self.model_fields_set:
            raise ValueError("a condition with no test matches every account; give at least one")
        return self


class Actions(_Strict):
    """What a level does. The set is closed: an unknown action is an error."""

    observe: bool = False  # nothing but a record; a level of only this watches
    throttle: Annotated[float, Field(gt=0.0, le=1.0)] | None = None  # x the tier's rate limits
    strip_logprobs: bool = False
    cap_top_logprobs: Annotated[int, Field(ge=0, le=20)] | None = None
    strip_logit_bias: bool = False
    cap_n: Annotated[int, Field(ge=1)] | None = None
    cap_max_tokens: Annotated[int, Field(ge=1)] | None = None
    reasoning: Literal["summary", "none"] | None = None
    watermark: bool = False  # where the upstream supports it
    require_verification: Verification | None = None  # refuse until verified at least this
    suspend: bool = False

    @field_validator("require_verification")
    @classmethod
    def _real_requirement(cls, v: Verification | None) -> Verification | None:
        if v == "none":
            raise ValueError("'none' requires nothing; name email, phone, id or business")
        return v


class Level(_Strict):
    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    # Any one of the conditions enters the level. TOML: one table, or an array of tables.
    when: tuple[Condition, ...]
    actions: Actions = Actions(observe=True)
    case: bool = False  # entering the level opens a case for a person to review
    cooldown_s: Annotated[float, Field(ge=0.0)] | None = None  # None: the policy's cooldown_s
    # Seconds of stream time `when` must hold without a break before an account is raised
    # to this level (0: at once). Evidence that comes and goes then never refuses anyone.
    hold_s: Annotated[float, Field(ge=0.0)] = 0.0

    @field_validator("when", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, Mapping) else v

    @field_validator("when")
    @classmethod
    def _some(cls, v: tuple[Condition, ...]) -> tuple[Condition, ...]:
        if not v:
            raise ValueError("give at least one condition, or the level can never be entered")
        return v


class TierRules(_Strict):
    """What a tier may ask for at any level; `None` caps nothing."""

    mode: Mode | None = None  # this tier's own shadow/enforce; None: the global mode
    logprobs: bool = True
    top_logprobs_max: Annotated[int, Field(ge=0, le=20)] | None = None
    logit_bias: bool = True
    n_max: Annotated[int, Field(ge=1)] | None = None
    max_tokens_max: Annotated[int, Field(ge=1)] | None = None
    reasoning: Exposure = "full"
    levels: tuple[Level, ...] | None = None  # replaces the global ladder for this tier


class Override(_Strict):
    """One account's exceptions, by level name (`none` is the base level)."""

    pin: str | None = None  # always this level, whatever the risk
    min_level: str | None = None
    max_level: str | None = None
    mode: Mode | None = None
    note: str = ""


class Policy(_Strict):
    version: Literal[1] = 1
    mode: Mode = "shadow"
    default_tier: str = "standard"  # for accounts whose tier is not known
    hysteresis: Annotated[float, Field(ge=0.0, le=0.5)] = 0.05
    volume_hysteresis: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.2
    cooldown_s: Annotated[float, Field(ge=0.0)] = 3600.0
    summary_chars: Annotated[int, Field(ge=0, le=2000)] = 200
    max_accounts: Annotated[int, Field(ge=1)] = 1_000_000
    allowlist: tuple[str, ...] = ()
    tiers: dict[str, TierRules] = Field(default_factory=dict)
    levels: tuple[Level, ...] = ()
    overrides: dict[str, Override] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _names(self) -> Policy:
        ladders: list[tuple[tuple[str, ...], tuple[Level, ...]]] = [(("levels",), self.levels)]
        ladders += [(("tiers", t, "levels"), r.levels) for t, r in self.tiers.items() if r.levels]
        for where, ladder in ladders:
            seen: set[str] = set()
            for i, level in enumerate(ladder):
                if level.name == BASE_LEVEL or level.name in seen:
                    what = "reserved for the base level" if level.name == BASE_LEVEL else "taken"
                    raise _Keyed((*where, i, "name"), level.name, f"the name is {what}")
                seen.add(level.name)
        for account, o in self.overrides.items():
            for key in ("pin", "min_level", "max_level"):
                name = getattr(o, key)
                if name is not None and not self._known_everywhere(name):
                    raise _Keyed(
                        ("overrides", account, key),
                        name,
                        f"is not a level of every ladder: "
                        f"use one of {[BASE_LEVEL, *(lv.name for lv in self.levels)]}",
                    )
        return self

    def ladders(self) -> list[tuple[str, tuple[Level, ...]]]:
        out = [("levels", self.levels)]
        out += [(f"tiers.{t}.levels", r.levels) for t, r in self.tiers.items() if r.levels]
        return out

    def _known_everywhere(self, name: str) -> bool:
        return name == BASE_LEVEL or all(
            any(lv.name == name for lv in ladder) for _, ladder in self.ladders()
        )

    def rules(self, tier: str) -> TierRules:
        """The parameter rules of `tier`: its own table, else the default tier's, else none."""
        return self.tiers.get(tier) or self.tiers.get(self.default_tier) or _OPEN

    def ladder(self, tier: str) -> tuple[Level, ...]:
        own = self.tiers.get(tier)
        return own.levels if own is not None and own.levels is not None else self.levels

    def shadow(self, tier: str, account: str | None = None) -> bool:
        o = self.overrides.get(account) if account is not None else None
        mode = (o.mode if o else None) or self.rules(tier).mode or self.mode
        return mode == "shadow"


_OPEN = TierRules()


class _Keyed(ValueError):
    """A check across several keys, naming the one to fix by its path (keys and indexes)."""

    def __init__(self, loc: tuple[int | str, ...], value: object, problem: str) -> None:
        super().__init__(problem)
        self.loc, self.value, self.problem = loc, value, problem


def parse_policy(
    data: Mapping[str, Any], source: str = "(policy)", text: str | None = None
) -> Policy:
    """The policy in `data`; with the TOML `text` it came from, errors give the key's line."""
    try:
        return Policy.model_validate(dict(data))
    except ValidationError as err:
        raise _policy_error(err, source, text) from None


def loads_policy(text: str, source: str = "(policy)") -> Policy:
    """The policy in the TOML `text`; `PolicyError` names source:line, key and value if bad."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        # tomllib's message ends with "(at line L, column C)".
        name = Path(source).name
        raise PolicyError(source, "(file)", name, f"is not valid TOML: {err}") from None
    return parse_policy(data, source, text)


def load_policy(path: str | Path) -> Policy:
    """The policy in the TOML file `path`; `PolicyError` names file:line, key and value if bad."""
    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError(str(p), "policy file")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise PolicyError(str(p), "(file)", p.name, f"cannot be read as UTF-8: {err}") from None
    return loads_policy(text, str(p))


def default_policy() -> Policy:
    """The policy a new install runs (examples/policy.toml, in shadow mode)."""
    text = resources.files("distillguard.policy").joinpath("default.toml").read_text("utf-8")
    return loads_policy(text, "(built-in default policy)")


def _policy_error(err: ValidationError, source: str, text: str | None) -> PolicyError:
    first = err.errors()[0]
    loc = first["loc"]
    value = first.get("input")
    problem = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        problem = "is not a key the policy knows (check its spelling and section)"
    elif first["type"] == "missing":
        problem, value = "is required", None
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, _Keyed):
        loc, value, problem = cause.loc, cause.value, cause.problem
    more = err.error_count() - 1
    if more:
        problem += f" (and {more} more problem{'s' if more > 1 else ''})"
    line = key_line(text, loc) if text is not None else None
    where = source if line is None else f"{source}:{line}"
    return PolicyError(where, _dotted(loc) or "(policy)", value, problem)


def _dotted(loc: tuple[int | str, ...]) -> str:
    """`levels[0].when`; a key that is empty or holds a dot or space is quoted as in TOML."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        name = part if _BARE.fullmatch(part) else json.dumps(part, ensure_ascii=False)
        out += f".{name}" if out else name
    return out


_BARE = re.compile(r"[A-Za-z0-9_-]+")
