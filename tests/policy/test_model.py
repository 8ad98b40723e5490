"""The policy file: the example loads, and each kind of mistake is named by file, key, value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from distillguard.errors import InputNotFoundError, PolicyError
from distillguard.policy import (
    Actions,
    Condition,
    Level,
    Override,
    Policy,
    TierRules,
    default_policy,
    load_policy,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "policy.toml"
PACKAGED = ROOT / "src" / "distillguard" / "policy" / "default.toml"


def test_example_is_the_packaged_default_and_shadow() -> None:
    assert EXAMPLE.read_bytes() == PACKAGED.read_bytes(), (
        "examples/policy.toml and src/distillguard/policy/default.toml must stay identical: "
        "copy the example over the packaged default"
    )
    policy = default_policy()
    assert policy == load_policy(EXAMPLE)
    assert policy.mode == "shadow"
    names = [lv.name for lv in policy.levels]
    assert names == ["probation", "watch", "restrict", "withhold", "verify", "suspend"]


@pytest.mark.parametrize("model", [Policy, TierRules, Level, Condition, Actions, Override])
def test_every_setting_appears_in_the_example(model: type[BaseModel]) -> None:
    text = EXAMPLE.read_text()
    for key in model.model_fields:
        assert re.search(rf"\b{key}\b", text), f"{model.__name__}.{key} is not in the example"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    return path


LEVEL = '[[levels]]\nname = "watch"\nwhen = {{ min_risk = 0.2 }}\nactions = {{ {actions} }}\n'


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ('mode = "loud"\n', "mode", "loud"),
        ("colldown_s = 5\n", "colldown_s", 5),
        (LEVEL.format(actions="cap_n = 0"), "levels[0].actions.cap_n", 0),
        (LEVEL.format(actions="launch = true"), "levels[0].actions.launch", True),
        (LEVEL.format(actions='reasoning = "some"'), "levels[0].actions.reasoning", "some"),
        (LEVEL.format(actions="throttle = 2.0"), "levels[0].actions.throttle", 2.0),
        (
            '[[levels]]\nname = "x"\nwhen = { verification = ["passport"] }\n',
            "levels[0].when[0].verification[0]",
            "passport",
        ),
        ('[tiers.free]\nreasoning = "half"\n', "tiers.free.reasoning", "half"),
        ('[[levels]]\nname = "none"\nwhen = { min_risk = 0.1 }\n', "levels[0].name", "none"),
        ('[overrides.acct_1]\npin = "jail"\n', "overrides.acct_1.pin", "jail"),
    ],
)
def test_a_bad_setting_names_file_key_and_value(
    tmp_path: Path, text: str, key: str, value: object
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    err = info.value
    assert (err.key, err.value) == (key, value)
    assert str(path) in str(err) and key in str(err)


def test_duplicate_level_names_are_refused(tmp_path: Path) -> None:
    two = LEVEL.format(actions="watermark = true") * 2
    with pytest.raises(PolicyError, match=r"'levels\[1\]\.name' = 'watch': the name is taken"):
        load_policy(write(tmp_path, two))


def test_a_condition_without_tests_is_refused(tmp_path: Path) -> None:
    text = '[[levels]]\nname = "all"\nwhen = {}\n'
    with pytest.raises(PolicyError, match="matches every account"):
        load_policy(write(tmp_path, text))


def test_when_may_be_one_table_or_an_array(tmp_path: Path) -> None:
    text = (
        '[[levels]]\nname = "a"\nwhen = { min_risk = 0.3 }\n'
        '[[levels]]\nname = "b"\n[[levels.when]]\nmin_risk = 0.5\n'
        "[[levels.when]]\naffiliated_developer = true\n"
    )
    policy = load_policy(write(tmp_path, text))
    assert [len(lv.when) for lv in policy.levels] == [1, 2]
    assert policy.levels[1].when[1].affiliated_developer is True


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="is not valid TOML"):
        load_policy(write(tmp_path, "mode = \n"))
    with pytest.raises(InputNotFoundError, match="policy file not found"):
        load_policy(tmp_path / "absent.toml")


def test_tier_rules_fall_back_to_the_default_tier_and_mode_overrides(tmp_path: Path) -> None:
    text = (
        'mode = "enforce"\ndefault_tier = "standard"\n'
        "[tiers.standard]\nn_max = 4\n"
        '[tiers.enterprise]\nmode = "shadow"\n'
        '[overrides.acct_x]\nmode = "shadow"\n'
    )
    policy = load_policy(write(tmp_path, text))
    assert policy.rules("unknown-tier").n_max == 4
    assert policy.rules("enterprise").n_max is None
    assert not policy.shadow("standard")
    assert policy.shadow("enterprise")
    assert policy.shadow("standard", "acct_x")
