"""key_line: the line of a TOML text where a path of keys and indexes is written."""

from __future__ import annotations

import pytest

from distillguard.policy.toml_lines import key_line

TEXT = """\
mode = "shadow"            # 1
allowlist = [              # 2
    "a",
    ["not", "a header"],   # 4: inside an array, not a table
]
[tiers."a.b"]              # 6
n_max = 2
[[levels]]                 # 8
name = "watch"
when = [
    { min_risk = 0.2 },    # 11
    { verification = ["none"], min_risk = 0.1 },
]
actions = { cap_n = 1, watermark = true }   # 14
[[levels]]                 # 15
name = "b"
[levels.actions]           # 17
cap_n = 0
[[levels.when]]            # 19
min_risk = 0.5
[[levels.when]]            # 21
affiliated_developer = 3
"""


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("mode",), 1),
        (("allowlist", 1), 4),
        (("tiers", "a.b", "n_max"), 7),
        (("tiers", "a.b", "reasoning"), 6),  # missing: its table
        (("levels", 0, "name"), 9),
        (("levels", 0, "when", 0, "min_risk"), 11),
        (("levels", 0, "when", 1, "min_risk"), 12),
        (("levels", 0, "when", 1, "verification", 0), 12),
        (("levels", 0, "actions", "watermark"), 14),
        (("levels", 1, "description"), 15),
        (("levels", 1, "actions", "cap_n"), 18),
        (("levels", 1, "when", 1, "affiliated_developer"), 22),
        (("levels",), 8),
        (("overrides", "x"), None),
        ((), None),
    ],
)
def test_the_line_of_a_path(path: tuple[str | int, ...], line: int | None) -> None:
    assert key_line(TEXT, path) == line


def test_quoted_keys_with_escapes() -> None:
    text = '[overrides."acct \\"x\\""]\npin = "jail"\n'
    assert key_line(text, ("overrides", 'acct "x"', "pin")) == 2
