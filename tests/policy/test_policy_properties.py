"""The policy parser on arbitrary TOML: a valid policy, or a `PolicyError` naming a key.

Documents are drawn near the real format (its keys, tables and arrays of tables, values of
every TOML type, plausible enum words) so the checks past the first level are reached too,
then written out as TOML by a small writer (headers to a drawn depth, inline below it).
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distillguard.errors import DistillguardError, PolicyError
from distillguard.policy import Actions, Condition, Level, Override, Policy, TierRules
from distillguard.policy.model import loads_policy

KNOWN = sorted(
    {k for m in (Policy, TierRules, Level, Condition, Actions, Override) for k in m.model_fields}
)
WORDS = ["shadow", "enforce", "none", "email", "id", "business", "summary", "full", "watch"]

keys = st.one_of(
    st.sampled_from(KNOWN),
    st.text(alphabet="abcxyz_-.1 \"'é", min_size=0, max_size=6),
)
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=-2, max_value=30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-0.5, max_value=1.5),
    st.sampled_from(WORDS),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=6),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=6,
)
tables = st.dictionaries(keys, values, max_size=4)


def near(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a value the key takes, sometimes any scalar: errors deep in a valid document."""
    # Not one_of(valid, scalars): that flattens `scalars` into its seven branches.
    return st.sampled_from([valid, valid, valid, scalars]).flatmap(lambda pick: pick)


NAMES = ["none", "watch", "restrict", "", "x"]
share = st.floats(min_value=0.0, max_value=1.0)
conditions = st.fixed_dictionaries(
    {},
    optional={
        "min_risk": near(share),
        "min_campaign_risk": near(share),
        "min_own_risk": near(share),
        "campaign_member": near(st.booleans()),
        "verification": near(st.lists(st.sampled_from(["none", "email", "id", "x"]))),
        "org_type": near(st.lists(st.sampled_from(["education", "unknown"]), min_size=1)),
        "min_requests": near(st.integers(min_value=0, max_value=500)),
        "tiers": near(st.lists(st.sampled_from(["free", "standard"]))),
    },
) | st.dictionaries(keys, values, max_size=3)
actions = st.fixed_dictionaries(
    {},
    optional={
        "throttle": near(share),
        "watermark": near(st.booleans()),
        "cap_n": near(st.integers(min_value=0, max_value=3)),
        "reasoning": near(st.sampled_from(["summary", "none", "full"])),
        "require_verification": near(st.sampled_from(["none", "id", "retina"])),
    },
) | st.dictionaries(st.sampled_from(sorted(Actions.model_fields)) | keys, scalars, max_size=3)
levels = st.fixed_dictionaries(
    {"name": near(st.sampled_from(NAMES) | st.text(max_size=4))},
    optional={
        "when": near(conditions | st.lists(conditions, max_size=3)),
        "actions": near(actions),
        "case": near(st.booleans()),
        "cooldown_s": near(st.floats(min_value=0, max_value=1e6)),
        "description": scalars,
        "bogus": scalars,
    },
)
tier_rules = (
    st.fixed_dictionaries(
        {},
        optional={
            "mode": near(st.sampled_from(["shadow", "enforce"])),
            "n_max": near(st.integers(min_value=0, max_value=4)),
            "reasoning": near(st.sampled_from(["summary", "none", "full"])),
            "levels": near(st.lists(levels, max_size=2)),
        },
    )
    | tables
)
overrides = (
    st.fixed_dictionaries(
        {}, optional={k: near(st.sampled_from(NAMES)) for k in ("pin", "min_level", "max_level")}
    )
    | tables
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "mode": near(st.sampled_from(["shadow", "enforce"])),
        "hysteresis": near(st.floats(min_value=0.0, max_value=0.5)),
        "cooldown_s": near(st.floats(min_value=0.0, max_value=1e6)),
        "allowlist": near(st.lists(st.text(max_size=4), max_size=2)),
        "levels": near(st.lists(levels, max_size=3)),
        "tiers": near(st.dictionaries(st.sampled_from(["free", "a.b"]), tier_rules, max_size=2)),
        "overrides": near(st.dictionaries(keys, overrides, max_size=2)),
    },
).flatmap(lambda fixed: st.one_of(st.just({}), tables).map(lambda extra: {**extra, **fixed}))


def toml_string(text: str) -> str:
    # JSON's escapes are TOML basic-string escapes; TOML also wants DEL escaped, JSON does not.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)  # repr(inf) is TOML's inf
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_document(doc: dict[str, Any], inline_from: int) -> str:
    """TOML for `doc`: tables above depth `inline_from` get headers, the rest is inline."""
    lines: list[str] = []

    def table(path: list[str], body: dict[str, Any], array: bool) -> None:
        if path:
            name = ".".join(toml_key(p) for p in path)
            lines.append(f"[[{name}]]" if array else f"[{name}]")
        deep = len(path) + 1 >= inline_from
        subtables = {} if deep else {k: v for k, v in body.items() if isinstance(v, dict)}
        arrays = {} if deep else {k: v for k, v in body.items() if _array_of_tables(v)}
        for k, v in body.items():
            if k not in subtables and k not in arrays:
                lines.append(f"{toml_key(k)} = {toml_value(v)}")
        for k, v in subtables.items():
            table([*path, k], v, array=False)
        for k, v in arrays.items():
            for element in v:
                table([*path, k], element, array=True)

    table([], doc, array=False)
    return "\n".join(lines) + "\n"


def _array_of_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents, inline_from=st.integers(min_value=1, max_value=4))
def test_a_policy_or_a_policy_error_naming_a_key(doc: dict[str, Any], inline_from: int) -> None:
    text = toml_document(doc, inline_from)
    tomllib.loads(text)  # the writer's own check: the document is TOML
    try:
        policy = loads_policy(text, "p.toml")
    except PolicyError as err:
        message = str(err)
        assert isinstance(err, DistillguardError)
        assert err.key and f"'{err.key}'" in message, message
        top = [toml_key(k) for k in doc]
        named = [k for k in top if err.key == k or err.key.startswith((f"{k}.", f"{k}["))]
        assert err.key == "(policy)" or named, (err.key, sorted(doc))
        where = re.match(r"policy p\.toml(?::(\d+))?: ", message)
        assert where, message
        if where[1] is not None:
            assert 1 <= int(where[1]) <= len(text.splitlines()), message
    else:
        assert isinstance(policy, Policy)
