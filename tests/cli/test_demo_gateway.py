"""`distillguard demo`: replay through a real gateway on loopback, which detects inline."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from distillguard.cli import demo_cmd, demo_gateway
from distillguard.cli.main import app
from distillguard.sim.replay import gateway_settings

runner = CliRunner()


def test_demo_via_gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_cmd, "DEFAULT_DATA", tmp_path / "no-data")
    monkeypatch.setattr(demo_gateway, "VOLUME", 0.05)  # ~1.5k requests
    out = tmp_path / "demo"
    args = ["demo", "--accounts", "20", "--days", "1", "--seed", "1"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    stdout = result.stdout

    assert re.search(r"gateway on http://127\.0\.0\.1:\d+ ", stdout)
    simulated = re.search(r"simulated ([\d,]+) events from 20 accounts", stdout)
    replayed = re.search(
        r"replayed ([\d,]+) requests .*; 200: ([\d,]+)\); gateway recorded", stdout
    )
    assert simulated and replayed, stdout
    assert simulated[1] == replayed[1] == replayed[2]
    assert "the gateway detected inline on the simulated clock" in stdout
    assert re.search(r"replaying .* [\d,]+ requests/s", stdout)
    assert re.search(r"20 accounts, \d+ flagged, \d+ campaigns", stdout)
    assert "AUROC" in stdout and "demo done in" in stdout
    policy = re.search(
        r"policy \(shadow mode: nothing was changed\): ([\d,]+) of [\d,]+ "
        r"extraction requests and 0 of [\d,]+ benign requests would have been",
        stdout,
    )
    assert policy, stdout
    # Flags name the account, its risk and why; files are pointed to only as they remain.
    assert "account flagged" not in result.output
    flags = [line for line in stdout.splitlines() if line.startswith("flagged ")]
    for line in flags:
        assert re.fullmatch(r"flagged \w+ \(simulated \w+, \w+\) risk [01]\.\d\d(: .+)?", line)
    assert f"SQLite in {out / 'gateway.db'}" in stdout and (out / "gateway.db").is_file()
    assert f"its event log is in {out / 'gateway-events'}" in stdout
    assert "policy levels the accounts ended at" in stdout
    assert "levels reached: {" not in stdout
    assert re.search(r"│ probation +│ +\d+ │ +\d+ │ +\d+ │ unverified", stdout), stdout
    analyzed = runner.invoke(app, ["analyze", str(out / "gateway-events"), "--out", str(out / "a")])
    assert analyzed.exit_code == 0, analyzed.output
    assert f"analyzed {int(simulated[1].replace(',', '')):,} events" in analyzed.stdout

    # Every simulated request was recorded once, under the account made for its simulated one,
    # with the simulated User-Agent; the labels were translated to the gateway's ids.
    mapping = [
        orjson.loads(line) for line in (out / "gateway-accounts.jsonl").read_bytes().splitlines()
    ]
    to_gateway = {row["simulated"]: row["account"] for row in mapping}
    assert len(to_gateway) == 20
    simulated_events = [orjson.loads(x) for x in (out / "events.jsonl").read_bytes().splitlines()]
    logs = sorted((out / "gateway-events").glob("events-*.jsonl"))
    recorded = [orjson.loads(x) for log in logs for x in log.read_bytes().splitlines()]
    assert len(recorded) == len(simulated_events)
    for account in to_gateway:
        sent = [e for e in simulated_events if e["account"] == account]
        got = [e for e in recorded if e["account"] == to_gateway[account]]
        assert [e["request"] for e in got] == [e["request"] for e in sent]  # per-account order
        for field in ("user_agent", "ip"):  # what the replay forwarded for its clients
            assert [e.get(field) for e in got] == [e.get(field) for e in sent]
        assert [e["ts"] for e in got] == [e["ts"] for e in sent]  # on the simulated clock
    evaluation = orjson.loads((out / "evaluation.json").read_bytes())
    assert evaluation["accounts"] == 20
    scored = {
        orjson.loads(x)["account"] for x in (out / "accounts.jsonl").read_bytes().splitlines()
    }
    assert scored <= set(to_gateway.values())


def test_keep_serving_prints_the_console_and_a_login_until_ctrl_c(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from distillguard.store import open_store

    settings = gateway_settings(tmp_path)
    store = open_store(settings)

    def interrupted() -> None:
        raise KeyboardInterrupt

    demo_gateway.serve_until_interrupted(settings, store, interrupted)
    said = re.search(
        r"review console: (http://127\.0\.0\.1:\d+)/console/ \(sign in as (demo-\w+), "
        r"password (\S+)\)",
        capsys.readouterr().out,
    )
    assert said, "no console line"
    assert store.login_reviewer(said[2], said[3], 60).reviewer.role.value == "reviewer"
    store.close()
    refused = runner.invoke(app, ["demo", "--offline", "--keep-serving"])
    assert refused.exit_code == 2 and "--keep-serving needs the gateway" in refused.output
