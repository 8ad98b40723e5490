"""The simulator writes valid, ordered, labelled, repeatable logs of every kind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from typer.testing import CliRunner

from distillguard.cli.main import app
from distillguard.events import EventReader, parse_ts
from distillguard.sim import KINDS, ScenarioConfig, ScenarioError, SimSummary
from distillguard.sim.campaigns import HYDRA_CAP
from distillguard.sim.config import MIXES
from distillguard.sim.rates import DAY_S
from distillguard.sim.scenario import build_actors, make_context

Runner = Callable[..., SimSummary]


def labels(summary: SimSummary) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in summary.labels_path.read_bytes().splitlines()]


def test_same_seed_same_bytes_other_seed_other_bytes(run_small: Runner, tmp_path: Path) -> None:
    a = run_small(tmp_path / "a", seed=5)
    b = run_small(tmp_path / "b", seed=5)
    c = run_small(tmp_path / "c", seed=6)
    assert a.events_path.read_bytes() == b.events_path.read_bytes()
    assert a.labels_path.read_bytes() == b.labels_path.read_bytes()
    assert a.events_path.read_bytes() != c.events_path.read_bytes()
    assert a.labels_path.read_bytes() != c.labels_path.read_bytes()


def test_every_line_is_a_valid_event_in_time_order(small_run: SimSummary) -> None:
    reader = EventReader(small_run.events_path)  # strict: raises on any bad or late line
    last = float("-inf")
    for ev in reader:
        assert ev.ts >= last
        last = ev.ts
    assert reader.read == small_run.events == sum(small_run.events_by_kind.values())
    assert not reader.skipped


def test_labels_cover_exactly_the_accounts_in_the_log(small_run: SimSummary) -> None:
    in_log = {ev.account for ev in EventReader(small_run.events_path)}
    rows = labels(small_run)
    assert len(rows) == len({r["account"] for r in rows}) == small_run.accounts
    assert {r["account"] for r in rows} == in_log
    assert {r["label"] for r in rows} == {"benign", "extraction"}


def test_every_kind_is_present_and_campaigns_are_shared(small_run: SimSummary) -> None:
    rows = labels(small_run)
    assert {r["kind"] for r in rows} == set(KINDS)
    members = Counter(r["campaign"] for r in rows if r["kind"] == "hydra")
    assert len(members) == 2 and min(members.values()) >= 2
    assert all("campaign" not in r for r in rows if r["kind"] != "hydra")


@pytest.mark.parametrize("scenario", ["standard", "holdout"])
def test_mix_gives_every_kind_an_account_from_twenty_accounts(scenario: str) -> None:
    mix = MIXES[scenario]
    for n in (14, 20, 57, 200, 1000):
        counts = mix.counts(n)
        assert sum(counts.values()) == n
        assert all(c >= 1 for c in counts.values()), (n, counts)
    assert mix.counts(20)["hydra"] >= 2
    assert sum(mix.counts(5).values()) == 5


def test_standard_scenario_has_two_campaigns_of_fifteen_or_more() -> None:
    config = ScenarioConfig(accounts=200, days=1, seed=1)  # built-in text: no events drawn
    actors = build_actors(config, make_context(config))
    members = Counter(a.campaign for a in actors if a.kind == "hydra")
    assert len(members) == MIXES["standard"].campaigns == 2
    assert all(15 <= n <= 25 for n in members.values())
    share = sum(a.label == "benign" for a in actors) / len(actors)
    assert 0.65 <= share <= 0.75


def test_hydra_members_stay_under_the_daily_cap() -> None:
    # Double volume pushes members' draws past the cap, so the cap itself is tested.
    config = ScenarioConfig(accounts=60, days=3, seed=2, volume=2.0)
    ctx = make_context(config)
    hydra = [a for a in build_actors(config, ctx) if a.kind == "hydra"]
    assert hydra
    busiest = 0
    for i, member in enumerate(hydra):
        t = member.arrivals(np.random.default_rng(i))
        per_day = np.bincount(((t - ctx.start) // DAY_S).astype(int))
        busiest = max(busiest, int(per_day.max()))
    assert busiest == HYDRA_CAP


def test_hydra_members_in_the_log_stay_under_the_cap(small_run: SimSummary) -> None:
    hydra = {r["account"] for r in labels(small_run) if r["kind"] == "hydra"}
    per_day = Counter(
        (ev.account, int(ev.ts // DAY_S))
        for ev in EventReader(small_run.events_path)
        if ev.account in hydra
    )
    assert per_day and max(per_day.values()) <= HYDRA_CAP


def test_responses_follow_the_request(small_run: SimSummary) -> None:
    seen = Counter()
    for ev in EventReader(small_run.events_path):
        req, resp = ev.request, ev.response
        if resp is None:
            assert ev.status != 200
            continue
        assert resp.prompt_tokens and resp.prompt_tokens > 0
        if req.max_tokens == 1:
            assert resp.completion_tokens == 1
            seen["one token"] += 1
        if req.logprobs:
            assert all(c.has_logprobs for c in resp.choices)
            seen["logprobs"] += 1
        if resp.reasoning_tokens:
            assert req.reasoning_effort and any(c.reasoning_content for c in resp.choices)
            seen["reasoning"] += 1
        if req.tools and resp.choices[0].tool_calls:
            seen["tool calls"] += 1
    assert set(seen) == {"one token", "logprobs", "reasoning", "tool calls"}


def test_fallback_runs_without_data(run_small: Runner, tmp_path: Path) -> None:
    for i, data_dir in enumerate((None, tmp_path / "no-such-folder")):
        summary = run_small(tmp_path / str(i), data_dir=data_dir, accounts=16)
        assert summary.used_fallback
        assert sum(1 for _ in EventReader(summary.events_path)) == summary.events > 0


def test_real_data_is_used_when_present(run_small: Runner, real_data: Path, tmp_path: Path) -> None:
    summary = run_small(tmp_path, data_dir=real_data)
    assert not summary.used_fallback
    text = summary.events_path.read_text()
    assert (
        "The following are multiple choice questions" in text or "Let's think step by step" in text
    )


def test_holdout_is_another_scenario_with_the_same_kinds(run_small: Runner, tmp_path: Path) -> None:
    summary = run_small(tmp_path, scenario="holdout", accounts=40)
    assert {r["kind"] for r in labels(summary)} == set(KINDS)
    first = next(iter(EventReader(summary.events_path)))
    assert first.ts >= parse_ts(MIXES["holdout"].start) > parse_ts(MIXES["standard"].start)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("accounts", 0),
        ("days", 0),
        ("days", 15),
        ("scenario", "other"),
        ("volume", 0.0),
        ("seed", -1),
    ],
)
def test_bad_configuration_is_a_named_error(field: str, value: object) -> None:
    with pytest.raises(ScenarioError, match=field):
        ScenarioConfig(**{field: value})  # type: ignore[arg-type]


def test_cli_writes_both_files_and_a_summary(tmp_path: Path, data_dir: Path | None) -> None:
    args = [
        "simulate",
        "--out",
        str(tmp_path),
        "--accounts",
        "16",
        "--days",
        "1",
        "--seed",
        "2",
        "--volume",
        "0.05",
    ]
    if data_dir is not None:
        args += ["--data", str(data_dir)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "events from 16 accounts" in result.output
    assert "hydra" in result.output
    assert (tmp_path / "events.jsonl").stat().st_size > 0
    assert len((tmp_path / "labels.jsonl").read_bytes().splitlines()) == 16


def test_cli_reports_a_missing_data_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["simulate", "--out", str(tmp_path), "--data", str(tmp_path / "nope")]
    )
    assert result.exit_code == 2
    assert "not found" in result.output
