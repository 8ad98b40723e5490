"""The console's account actions over real HTTP: allowlisting with an end, and the evidence
bundle as a download; each needs a comment and is audited under the reviewer's name."""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from console_harness import Console, Reviewer
from starlette.applications import Starlette

from distillguard.store import CaseQuery


def _account(console: Console) -> str:
    (row,) = console.store.case_page(CaseQuery()).rows
    return row.subject


def test_allowlist_for_some_days(console: Console, reviewer: Callable[..., Reviewer]) -> None:
    r = reviewer()
    r.sign_in("ana")
    account = _account(console)
    page = f"/console/accounts/{account}"
    token = r.csrf(page)
    for form, said in (
        ({"comment": "evals"}, "days: is required"),
        ({"comment": "evals", "days": "400"}, "days: 400 is not between 1 and 365"),
        ({"comment": "evals", "days": "soon"}, "days: &#39;soon&#39; is not a whole number"),
        ({"days": "7"}, "comment: is required"),
    ):
        got = r.post(page + "/allowlist", {"csrf": token, **form})
        assert got.status_code == 400 and said in got.text, got.text[-300:]
    done = r.post(page + "/allowlist", {"csrf": token, "days": "7", "comment": "a week of evals"})
    assert done.status_code == 303 and done.headers["location"] == page
    until = console.store.allowlisted()[account]
    assert until is not None and abs(until - (time.time() + 7 * 86_400)) < 60
    entry = console.store.audit_log(account)[-1]
    assert (entry.actor, entry.action, entry.reason) == ("ana", "allowlist", "a week of evals")
    assert "Allowlisted by a reviewer until" in r.get(page).text


def test_end_an_allowlisting_early(console: Console, reviewer: Callable[..., Reviewer]) -> None:
    r = reviewer()
    r.sign_in("ana")
    account = _account(console)
    page = f"/console/accounts/{account}"
    token = r.csrf(page)
    assert "/unallowlist" not in r.get(page).text  # nothing to end yet
    missing = r.post(page + "/unallowlist", {"csrf": token, "comment": "not allowlisted"})
    assert missing.status_code == 404
    r.post(page + "/allowlist", {"csrf": token, "days": "7", "comment": "a week of evals"})
    assert r.post(page + "/unallowlist", {"csrf": token}).status_code == 400  # no comment
    done = r.post(page + "/unallowlist", {"csrf": token, "comment": "the evals ended early"})
    assert done.status_code == 303 and done.headers["location"] == page
    assert account not in console.store.allowlisted()
    entry = console.store.audit_log(account)[-1]
    assert (entry.actor, entry.action, entry.reason) == (
        "ana",
        "unallowlist",
        "the evals ended early",
    )
    assert entry.detail == {"via": "console"}
    shown = r.get(page).text
    assert "Allowlisted by a reviewer" not in shown and "/allowlist" in shown


def test_download_the_evidence_bundle(console: Console, reviewer: Callable[..., Reviewer]) -> None:
    r = reviewer()
    r.sign_in("ana")
    account = _account(console)
    page = f"/console/accounts/{account}"
    token = r.csrf(page)
    assert r.post(page + "/evidence", {"csrf": token}).status_code == 400
    got = r.post(page + "/evidence", {"csrf": token, "comment": "legal hold #12"})
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert got.headers["content-disposition"] == f'attachment; filename="evidence-{account}.zip"'
    names = zipfile.ZipFile(io.BytesIO(got.content)).namelist()
    assert {"manifest.json", "cases.json", "report.html"} <= set(names)
    entry = console.store.audit_log(account)[-1]
    assert (entry.actor, entry.action, entry.reason) == ("ana", "evidence_export", "legal hold #12")
    assert entry.detail["sha256"] == hashlib.sha256(got.content).hexdigest()
    missing = r.post("/console/accounts/acct_nope/evidence", {"csrf": token, "comment": "x"})
    assert missing.status_code == 404


def test_a_viewer_can_neither_allowlist_nor_export(
    console: Console, reviewer: Callable[..., Reviewer]
) -> None:
    r = reviewer()
    r.sign_in("vic")
    page = f"/console/accounts/{_account(console)}"
    token = r.csrf(page)
    assert "/allowlist" not in r.get(page).text
    for action, form in (("allowlist", {"days": "7"}), ("unallowlist", {}), ("evidence", {})):
        refused = r.post(f"{page}/{action}", {"csrf": token, "comment": "no", **form})
        assert refused.status_code == 403
    assert console.store.allowlisted() == {}


def test_volume_per_day_and_where_each_risk_comes_from(
    console: Console, reviewer: Callable[..., Reviewer]
) -> None:
    account = _account(console)
    headers = {"authorization": f"Bearer {console.store.create_key(account).secret}"}
    with httpx.Client(base_url=console.url, headers=headers, timeout=10) as client:
        for i in range(3):
            ask = [{"role": "user", "content": f"Question {i}"}]
            client.post("/v1/chat/completions", json={"model": "sim-large", "messages": ask})
    app = console.server.app
    assert isinstance(app, Starlette)
    for _ in range(200):  # the recorder reads events in the background
        if sum(n for _, n in app.state.recorder.requests_per_day(account)) >= 3:
            break
        time.sleep(0.05)
    r = reviewer()
    r.sign_in("vic")
    page = r.get(f"/console/accounts/{account}").text
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    daily = page[page.index('<section id="volume-days">') : page.index('<section id="volume">')]
    assert f"<title>{today}: 3 requests</title>" in daily
    assert daily.count("<rect") == 30 and "starts empty when the gateway restarts" in daily
    assert "<title>Requests by hour of day (UTC)</title>" in page  # still there
    assert "Plotted: the case history, 2 risk score(s)" in page
    assert "Detector now, at 3 requests: risk " in page
