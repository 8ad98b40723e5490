"""`distillguard policy check` and `distillguard policy test` on a small simulated scenario."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from distillguard.cli.main import app
from distillguard.evaluation import read_labels
from distillguard.sim import SimSummary

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "policy.toml"
LAST_LINE = re.compile(
    r"^benign degraded: (\d+\.\d{3})% of requests; "
    r"extraction answered in full: (\d+\.\d{3})% of requests$"
)


def test_check_prints_the_ladder() -> None:
    result = CliRunner().invoke(app, ["policy", "check", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "valid; mode shadow" in result.output
    assert "6. suspend" in result.output


def test_check_names_the_bad_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[levels]]\nname = "x"\nwhen = { min_risk = 1.5 }\n')
    result = CliRunner().invoke(app, ["policy", "check", str(bad)])
    assert result.exit_code == 2
    assert "levels[0].when[0].min_risk" in result.output and "1.5" in result.output


def test_replay_with_labels_ends_with_the_two_shares(scenario: SimSummary, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    args = ["policy", "test", str(EXAMPLE), str(scenario.events_path)]
    args += ["--labels", str(scenario.labels_path), "--json", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    match = LAST_LINE.match(lines[-1])
    assert match, result.output
    degraded, full = (float(x) for x in match.groups())
    report = orjson.loads(out.read_bytes())
    groups = report["groups"]
    carried = re.match(r"^benign degraded for a campaign alone: (\d+\.\d{3})% ", lines[-2])
    assert carried, result.output
    assert round(100 * groups["benign"]["carried"], 3) == float(carried.group(1)) <= degraded
    benign = [r for r in report["accounts"].values() if r["label"] == "benign"]
    requests = sum(r["requests"] for r in benign)
    assert sum(r["carried"] for r in benign) / requests == pytest.approx(
        groups["benign"]["carried"]
    )
    assert round(100 * (groups["benign"]["degraded"] + groups["benign"]["denied"]), 3) == degraded
    assert round(100 * groups["extraction"]["full"], 3) == full
    assert report["events"] == scenario.events
    labels = read_labels(scenario.labels_path)
    assert set(report["accounts"]) == set(labels)
    kinds = {f"{'extraction' if lb.extraction else 'benign'}/{lb.kind}" for lb in labels.values()}
    assert kinds <= set(groups)
    # Unverified accounts are on probation from their first request: every benign request
    # is watermarked or failed, none answered unmarked.
    assert groups["benign"]["watermarked"] > 0.9
    for row in report["accounts"].values():
        assert sum(row["verdicts"].values()) == row["requests"]


def test_verified_accounts_file_changes_the_outcome(scenario: SimSummary, tmp_path: Path) -> None:
    labels = read_labels(scenario.labels_path)
    accounts = tmp_path / "accounts.jsonl"
    accounts.write_bytes(
        b"".join(
            orjson.dumps({"account": a, "tier": "standard", "verification": "business"}) + b"\n"
            for a in labels
        )
    )
    out = tmp_path / "report.json"
    args = ["policy", "test", str(EXAMPLE), str(scenario.events_path), "--json", str(out)]
    result = CliRunner().invoke(app, [*args, "--accounts", str(accounts)])
    assert result.exit_code == 0, result.output
    assert "benign degraded" not in result.output  # no labels, no last line
    groups = orjson.loads(out.read_bytes())["groups"]
    assert groups["all"]["full"] > 0.5  # verified and not flagged: nothing changes


def test_a_bad_accounts_file_names_the_line(scenario: SimSummary, tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.jsonl"
    accounts.write_text('{"account": "a"}\n{"account": "b", "verification": "retina"}\n')
    args = ["policy", "test", str(EXAMPLE), str(scenario.events_path)]
    result = CliRunner().invoke(app, [*args, "--accounts", str(accounts)])
    assert result.exit_code == 2
    assert f"{accounts}:2" in result.output and "retina" in result.output


POLICY_TEXT = """\
mode = "shadow"

[tiers.free]
logprobs = false

[[levels]]
name = "watch"
when = [
    { min_risk = 0.2 },
    { verification = ["none"], min_requests_per_day = 500 },
]
actions = { observe = true }

[[levels]]
name = "restrict"
when = { min_risk = 0.35 }
actions = { strip_logprobs = true, cap_n = 1 }
"""


@pytest.mark.parametrize(
    ("old", "new", "line", "key"),
    [
        ("cap_n = 1 }", "cap_n = 1, launch = true }", 17, "levels[1].actions.launch"),
        ("min_risk = 0.35", "min_risk = 1.5", 16, "levels[1].when[0].min_risk"),
        ("per_day = 500", "per_day = 0", 10, "levels[0].when[1].min_requests_per_day"),
        ("logprobs = false", "logprobs = false\nn_max = 0", 5, "tiers.free.n_max"),
        ('name = "restrict"', 'name = "watch"', 15, "levels[1].name"),
        ('mode = "shadow"', 'mode = "loud"', 1, "mode"),
    ],
)
def test_check_names_file_line_and_key(
    tmp_path: Path, old: str, new: str, line: int, key: str
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY_TEXT)
    assert CliRunner().invoke(app, ["policy", "check", str(path)]).exit_code == 0
    path.write_text(POLICY_TEXT.replace(old, new))
    result = CliRunner().invoke(app, ["policy", "check", str(path)])
    assert result.exit_code == 2, result.output
    assert f"error: policy {path}:{line}: '{key}'" in result.stderr, result.stderr


def test_check_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_bytes(b'mode = "\xff"\n')
    result = CliRunner().invoke(app, ["policy", "check", str(path)])
    assert result.exit_code == 2
    assert f"policy {path}: '(file)'" in result.stderr and "UTF-8" in result.stderr
