"""`distillguard analyze`, `evaluate` and `calibrate` on a small simulated scenario."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from distillguard.cli.main import app
from distillguard.evaluation import read_labels
from distillguard.sim import SimSummary

runner = CliRunner()

ACCOUNT_KEYS = {
    "account",
    "score",
    "flagged",
    "first_flag_index",
    "campaign",
    "reasons",
    "requests",
    "peak",
    "evidence",
}
CAMPAIGN_KEYS = {"campaign", "members", "score", "reasons", "first_linked_ts"}


def plain(text: str) -> str:
    """Text of a usage error with Rich's box and line wrapping taken out."""
    return " ".join(re.sub("[\u2500-\u257f]", " ", text).split())


def rows(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_analyze_writes_accounts_and_campaigns(scenario: SimSummary, analyzed: Path) -> None:
    accounts = rows(analyzed / "accounts.jsonl")
    assert accounts, "no accounts written"
    assert all(set(a) == ACCOUNT_KEYS for a in accounts)
    assert sum(a["requests"] for a in accounts) == scenario.events
    assert {a["account"] for a in accounts} <= set(read_labels(scenario.labels_path))
    campaigns = rows(analyzed / "campaigns.jsonl")
    assert all(set(c) == CAMPAIGN_KEYS for c in campaigns)
    linked = {a["account"]: a["campaign"] for a in accounts if a["campaign"]}
    assert linked == {m: c["campaign"] for c in campaigns for m in c["members"]}


def test_analyze_prints_rate_and_summary(scenario: SimSummary, tmp_path: Path) -> None:
    result = runner.invoke(app, ["analyze", str(scenario.events_path), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"analyzed {scenario.events:,} events in " in result.stdout
    assert "events/s" in result.stdout
    assert re.search(r"\d+ accounts, \d+ flagged, \d+ campaigns", result.stdout)


@pytest.mark.parametrize("detector", ["rate", "prada"])
def test_baseline_detectors(scenario: SimSummary, tmp_path: Path, detector: str) -> None:
    args = ["analyze", str(scenario.events_path), "--out", str(tmp_path), "--detector", detector]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    accounts = rows(tmp_path / "accounts.jsonl")
    assert accounts
    assert all(set(a) == ACCOUNT_KEYS for a in accounts)


def test_unknown_detector_is_a_usage_error(scenario: SimSummary, tmp_path: Path) -> None:
    args = ["analyze", str(scenario.events_path), "--out", str(tmp_path), "--detector", "nope"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "unknown detector 'nope'; use one of full, meanrank, rate, prada" in plain(result.stderr)
    assert not (tmp_path / "accounts.jsonl").exists()


def test_threshold_option_changes_flags(scenario: SimSummary, tmp_path: Path) -> None:
    args = ["analyze", str(scenario.events_path), "--out", str(tmp_path), "--threshold", "1.01"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert not any(a["flagged"] for a in rows(tmp_path / "accounts.jsonl"))


def test_evaluate_prints_table_and_writes_json(scenario: SimSummary, analyzed: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(analyzed), "--labels", str(scenario.labels_path)])
    assert result.exit_code == 0, result.output
    for row in ("detection, account level", "AUROC", "TPR at 0.100% FPR", "benign flagged"):
        assert row in result.stdout
    metrics = orjson.loads((analyzed / "evaluation.json").read_bytes())
    assert metrics["accounts"] == scenario.accounts
    assert 0.0 <= metrics["auroc"] <= 1.0
    assert f"wrote {analyzed / 'evaluation.json'}" in result.stdout


def test_evaluate_out_option(scenario: SimSummary, analyzed: Path, tmp_path: Path) -> None:
    target = tmp_path / "metrics.json"
    args = ["evaluate", str(analyzed), "--labels", str(scenario.labels_path), "--out", str(target)]
    assert runner.invoke(app, args).exit_code == 0
    assert orjson.loads(target.read_bytes())["accounts"] == scenario.accounts


def test_evaluate_missing_output_exits_2(scenario: SimSummary, tmp_path: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(tmp_path), "--labels", str(scenario.labels_path)])
    assert result.exit_code == 2
    assert "detector output (accounts.jsonl) not found" in result.stderr


def test_evaluate_bad_accounts_line_exits_2(scenario: SimSummary, tmp_path: Path) -> None:
    (tmp_path / "accounts.jsonl").write_text('{"account": "a", "score": 0.1}\nnot json\n')
    result = runner.invoke(app, ["evaluate", str(tmp_path), "--labels", str(scenario.labels_path)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'accounts.jsonl'}:2: not valid JSON" in result.stderr


def test_calibrate_on_labelled_benign_accounts(scenario: SimSummary, analyzed: Path) -> None:
    labels = read_labels(scenario.labels_path)
    benign = [a for a in rows(analyzed / "accounts.jsonl") if not labels[a["account"]].extraction]
    args = ["calibrate", str(scenario.events_path), "--labels", str(scenario.labels_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        rf"threshold [01]\.\d{{4}}: at most 0\.50% of {len(benign)} benign accounts "
        r"reached [01]\.\d{4}\n",
        result.stdout,
    )


def test_calibrate_without_labels_uses_every_account(scenario: SimSummary, analyzed: Path) -> None:
    n = len(rows(analyzed / "accounts.jsonl"))
    args = ["calibrate", str(scenario.events_path), "--target-fpr", "0.1", "--margin", "0"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"at most 10.00% of {n} benign accounts" in result.stdout


@pytest.mark.parametrize("fpr", ["0", "1", "-0.5"])
def test_calibrate_refuses_target_fpr_outside_zero_one(scenario: SimSummary, fpr: str) -> None:
    result = runner.invoke(app, ["calibrate", str(scenario.events_path), "--target-fpr", fpr])
    assert result.exit_code == 2
    assert f"{float(fpr)} is not within (0, 1)" in plain(result.stderr)


MakeEvent = Callable[..., dict[str, Any]]
WriteLines = Callable[..., Path]


@pytest.mark.parametrize("command", ["analyze", "calibrate"])
def test_bad_events_line_exits_2_naming_file_and_line(
    make_event: MakeEvent, write_lines: WriteLines, tmp_path: Path, command: str
) -> None:
    bad = make_event(ts=2)
    bad["status"] = "ok"
    path = write_lines([make_event(ts=1), bad, make_event(ts=3)])
    args = [command, str(path)] + (["--out", str(tmp_path / "out")] if command == "analyze" else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert f"{path}:2: field 'status'" in result.stderr
    assert "use --lenient to skip" in result.stderr


def test_lenient_counts_skipped_lines(
    make_event: MakeEvent, write_lines: WriteLines, tmp_path: Path
) -> None:
    path = write_lines(
        [make_event(ts=1), "not json", make_event(ts=0), make_event(ts=2, account="b")]
    )
    args = ["analyze", str(path), "--out", str(tmp_path / "out"), "--lenient"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"skipped 2 bad lines of {path}: 1 not JSON, 1 out of order" in result.stderr
    assert "analyzed 2 events" in result.stdout
    assert len(rows(tmp_path / "out" / "accounts.jsonl")) == 2


def test_missing_events_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["analyze", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "event log not found" in result.stderr


def test_calibrate_with_no_benign_accounts_exits_2(scenario: SimSummary, tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"account": "someone_else", "label": "benign"}\n')
    result = runner.invoke(app, ["calibrate", str(scenario.events_path), "--labels", str(labels)])
    assert result.exit_code == 2
    assert "no benign accounts to calibrate on" in plain(result.stderr)
