"""`distillguard cases ...` and `distillguard audit-log` on a store with a case in it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from distillguard.cli.main import app
from distillguard.settings import load_settings
from distillguard.store import open_store


def test_review_a_case_from_the_command_line(tmp_path: Path) -> None:
    env = {"DISTILLGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'dg.db'}"}
    store = open_store(load_settings(overrides={"database_url": env["DISTILLGUARD_DATABASE_URL"]}))
    members = [store.create_account(f"m{i}", tier="free").id for i in range(2)]
    case = store.open_case(
        "campaign",
        "cmp_x",
        members=members,
        level="restrict",
        risk=0.8,
        evidence={"reasons": ["shared scaffold"], "points": [[1.8e9, 0.8]], "samples": ["Q?"]},
    )
    store.close()

    def run(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(app, list(args), env=env)
        assert result.exit_code == code, result.output
        return result.output

    assert case.id in run("cases", "list")
    shown = run("cases", "show", case.id)
    assert "shared scaffold" in shown and "2027-01-15 08:00:00 0.80" in shown and "'Q?'" in shown
    run("cases", "assign", case.id, "ana", "--author", "lead")
    run("cases", "comment", case.id, "looks coordinated", "--author", "ana")
    out = run("cases", "confirm", case.id, "--reason", "hydra", "--author", "ana")
    assert "sanction suspend on 2 account(s)" in out
    assert "suspended" in run("accounts", "list")
    assert case.id not in run("cases", "list")
    assert case.id in run("cases", "list", "--status", "confirmed")
    log = run("audit-log")
    assert "ana\tcase_confirmed\tcmp_x\thydra" in log and log.count("\tsuspend\t") == 2
    again = run("cases", "dismiss", case.id, "--reason", "oops", "--author", "bo", code=2)
    assert "case status 'confirmed'" in again
    assert "no case with id 'case_nope'" in run("cases", "show", "case_nope", code=2)


def test_allowlist_with_an_end_and_an_audited_evidence_export(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dg.db'}"
    env = {"DISTILLGUARD_DATABASE_URL": url}
    store = open_store(load_settings(overrides={"database_url": url}))
    account = store.create_account("lab", tier="free").id
    store.close()

    def run(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(app, list(args), env=env)
        assert result.exit_code == code, result.output
        return result.output

    out = run("cases", "allowlist", account, "--days", "7", "--reason", "eval", "--author", "ana")
    assert "allowlisted until" in out
    run("cases", "allowlist", account, "--days", "400", "--reason", "x", "--author", "a", code=2)
    zipped = tmp_path / "b.zip"
    run("evidence", account, "--out", str(zipped), "--author", "ana", "--reason", "legal hold")
    run("evidence", account, "--out", str(zipped), "--author", "ana", code=2)  # no reason
    log = run("audit-log", "--subject", account)
    assert "ana\tallowlist\t" in log and "ana\tevidence_export\t" in log
    out = run("cases", "unallowlist", account, "--reason", "evals over", "--author", "bo")
    assert "no longer allowlisted" in out
    run("cases", "unallowlist", account, "--reason", "again", "--author", "bo", code=2)
    assert "bo\tunallowlist\t" in run("audit-log", "--subject", account)


def test_list_filters_and_sorts_as_the_console_queue(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dg.db'}"
    env = {"DISTILLGUARD_DATABASE_URL": url}
    store = open_store(load_settings(overrides={"database_url": url}))
    a, b, c = (
        store.create_account(n, tier=t).id
        for n, t in (("a", "standard"), ("b", "free"), ("c", "standard"))
    )
    low = store.open_case("account", a, members=[a], level="throttle", risk=0.3, evidence={})
    high = store.open_case("account", b, members=[b], level="restrict", risk=0.9, evidence={})
    mid = store.open_case("account", c, members=[c], level="restrict", risk=0.6, evidence={})
    hydra = store.open_case(
        "campaign", "cmp_h", members=[a, c], level="restrict", risk=0.5, evidence={}
    )
    store.assign_case(mid.id, "ana", "lead")
    store.close()

    def ids(*args: str, code: int = 0) -> list[str]:
        result = CliRunner().invoke(app, ["cases", "list", *args], env=env)
        assert result.exit_code == code, result.output
        return [line.split("\t")[0] for line in result.output.splitlines()]

    assert ids() == [high.id, mid.id, hydra.id, low.id]
    assert ids("--sort", "age") == [low.id, high.id, mid.id, hydra.id]
    assert ids("--sort", "tier") == [hydra.id, high.id, mid.id, low.id]  # a campaign has no tier
    assert ids("--level", "restrict", "--limit", "2") == [high.id, mid.id]
    assert ids("--assignee", "ana") == [mid.id]
    assert ids("--assignee", "-") == [high.id, hydra.id, low.id]
    assert ids("--campaign", "cmp_h") == [mid.id, hydra.id, low.id]
    assert ids("--limit", "3", "--sort", "age") == [low.id, high.id, mid.id]
    refused = CliRunner().invoke(app, ["cases", "list", "--sort", "size"], env=env)
    assert refused.exit_code == 2 and "sort" in refused.output


def test_list_pages_through_more_than_one_queue_page(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dg.db'}"
    store = open_store(load_settings(overrides={"database_url": url}))
    for i in range(205):
        store.open_case("campaign", f"cmp_{i}", members=[], level="restrict", risk=0.5, evidence={})
    store.close()
    env = {"DISTILLGUARD_DATABASE_URL": url}
    for limit, shown in (("203", 203), ("1000", 205)):
        result = CliRunner().invoke(app, ["cases", "list", "--limit", limit], env=env)
        lines = result.output.splitlines()
        assert result.exit_code == 0 and len(lines) == len(set(lines)) == shown
