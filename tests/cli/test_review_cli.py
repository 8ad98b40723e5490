"""`distillguard review-model fit|show` on a store with decided cases."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from distillguard.cli.main import app
from distillguard.detect.review import ReviewModel
from distillguard.settings import load_settings
from distillguard.sim import SimSummary
from distillguard.store import open_store


def _run(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == code, result.output
    return result.output


def _store_with_decisions(tmp_path: Path, attack: list[str], benign: list[str]) -> dict[str, str]:
    env = {"DISTILLGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'dg.db'}"}
    store = open_store(load_settings(overrides={"database_url": env["DISTILLGUARD_DATABASE_URL"]}))
    for account in attack + benign:
        case = store.open_case(
            "account", account, members=[account], level="restrict", risk=0.6, evidence={}
        )
        if account in attack:
            store.confirm_case(case.id, "ana", "harvest", sanction="none")
        else:
            store.dismiss_case(case.id, "ana", "tutoring app")
    store.close()
    return env


def test_fit_writes_a_model_and_says_what_changed(tmp_path: Path) -> None:
    attack = [f"acct_x{i}" for i in range(5)]
    benign = [f"acct_b{i}" for i in range(5)]
    env = _store_with_decisions(tmp_path, attack, [*benign, "acct_elsewhere"])
    rows = [{"account": a, "score": 0.8, "evidence": {"pct_new": 0.9}} for a in attack]
    rows += [{"account": b, "score": 0.7, "evidence": {"pct_cot": 0.95}} for b in benign]
    out = tmp_path / "out"
    out.mkdir()
    (out / "accounts.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))

    model_path = tmp_path / "models" / "model.json"
    said = _run(env, "review-model", "fit", "--events", str(out), "--out", str(model_path))
    assert "fitted on 10 reviewed accounts (5 confirmed extraction, 5 dismissed benign)" in said
    assert "'pct_cot': -" in said and "lowers the score" in said
    assert "1 reviewed account(s) not in" in said and "acct_elsewhere" in said
    model = ReviewModel.from_state(orjson.loads(model_path.read_bytes()))
    assert model.benign_reviewed == 5 and model.threshold >= 0.35
    shown = _run(env, "review-model", "show", str(model_path))
    assert shown.splitlines() == list(model.explain())


def test_fit_on_an_event_log_runs_the_analysis_first(
    tmp_path: Path, scenario: SimSummary, analyzed: Path
) -> None:
    rows = [orjson.loads(line) for line in (analyzed / "accounts.jsonl").read_bytes().splitlines()]
    ranked = sorted(rows, key=lambda r: (-r["score"], r["account"]))
    attack = [r["account"] for r in ranked[:3]]
    benign = [r["account"] for r in ranked[-3:]]
    env = _store_with_decisions(tmp_path, attack, benign)
    for source in (scenario.events_path, analyzed):
        model_path = tmp_path / f"{source.name}.json"
        said = _run(env, "review-model", "fit", "--events", str(source), "--out", str(model_path))
        assert "fitted on 6 reviewed accounts" in said
    # The same rows whichever way they came: the same model.
    models = [
        orjson.loads((tmp_path / f"{s.name}.json").read_bytes())
        for s in (scenario.events_path, analyzed)
    ]
    assert models[0] == models[1]
    missing = tmp_path / "nowhere"
    said = _run(env, "review-model", "fit", "--events", str(missing), "--out", "m.json", code=2)
    assert "not found" in said and "nowhere" in said


def test_errors_are_one_line_and_say_what_to_do(tmp_path: Path) -> None:
    env = _store_with_decisions(tmp_path, ["acct_x0"], [])
    out = tmp_path / "out"
    out.mkdir()
    (out / "accounts.jsonl").write_bytes(b'{"account": "acct_x0", "score": 0.9}\n')
    said = _run(env, "review-model", "fit", "--events", str(out), "--out", "m.json", code=2)
    assert "too few reviewed accounts: 1 confirmed extraction (needs 3)" in said
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"format": "distillguard.review_model", "version": 7}')
    said = _run(env, "review-model", "show", str(bad), code=2)
    assert "version 7" in said and "distillguard review-model fit" in said
    said = _run(env, "review-model", "show", str(tmp_path / "none.json"), code=2)
    assert "review model not found" in said
