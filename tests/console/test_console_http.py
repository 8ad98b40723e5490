"""The console over real HTTP: sessions, cookies, throttling, CSRF, roles, escaping, errors."""

from __future__ import annotations

from collections.abc import Callable

from console_harness import PASSWORD, XSS, Console, Reviewer

from distillguard.store import CaseQuery


def _case_id(console: Console) -> str:
    (row,) = console.store.case_page(CaseQuery()).rows
    return row.id


def test_pages_need_a_session_and_cookies_are_strict(
    console: Console, reviewer: Callable[..., Reviewer]
) -> None:
    r = reviewer()
    first = r.get("/console/")
    assert first.status_code == 303 and first.headers["location"] == "/console/login"
    login = r.get("/console/login")
    csp = login.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and login.headers["x-frame-options"] == "DENY"
    assert r.sign_in("ana").headers["location"] == "/console/"
    (session,) = [c for c in r.set_cookies if c.startswith("dg_console=")]
    for flag in ("HttpOnly", "Secure", "SameSite=strict", "Path=/console", "Max-Age=28800"):
        assert flag in session, session
    assert r.get("/console/").status_code == 200
    token = r.csrf("/console/")
    assert r.post("/console/logout", {"csrf": token}).status_code == 303
    assert r.get("/console/").status_code == 303


def test_sign_in_is_throttled_per_name_and_per_address(
    console: Console, reviewer: Callable[..., Reviewer]
) -> None:
    r = reviewer()
    for _ in range(3):
        wrong = r.sign_in("ana", "not the password at all")
        assert wrong.status_code == 401 and "wrong name or password" in wrong.text.lower()
    throttled = r.sign_in("ana")  # the right password, but too late
    assert throttled.status_code == 429 and "try again in" in throttled.text
    assert r.sign_in("vic").status_code == 429  # the same address, another name


def test_a_login_form_from_elsewhere_is_refused(
    console: Console, reviewer: Callable[..., Reviewer]
) -> None:
    r = reviewer()
    forged = r.post("/console/login", {"name": "ana", "password": PASSWORD, "csrf": "x" * 32})
    assert forged.status_code == 403 and "form expired" in forged.text


def test_actions_need_csrf_and_a_comment_and_audit_the_reviewer(
    console: Console, reviewer: Callable[..., Reviewer]
) -> None:
    r = reviewer()
    r.sign_in("ana")
    case_id = _case_id(console)
    page = f"/console/cases/{case_id}"
    token = r.csrf(page)
    no_csrf = r.post(page + "/comment", {"comment": "hello"})
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.text
    assert r.post(page + "/comment", {"comment": "x", "csrf": "wrong"}).status_code == 403
    no_comment = r.post(page + "/confirm", {"csrf": token, "comment": "  "})
    assert no_comment.status_code == 400 and "comment: is required" in no_comment.text
    no_assignee = r.post(page + "/assign", {"csrf": token, "comment": "take it"})
    assert no_assignee.status_code == 400 and "assignee: is required" in no_assignee.text
    done = r.post(page + "/assign", {"csrf": token, "assignee": "ana", "comment": "mine"})
    assert done.status_code == 303 and done.headers["location"] == page
    confirmed = r.post(page + "/confirm", {"csrf": token, "comment": "harvest, see reasons"})
    assert confirmed.status_code == 303
    case = console.store.get_case(case_id)
    assert case.status.value == "confirmed" and case.assignee == "ana"
    account = case.subject
    assert console.store.get_account(account).status.value == "suspended"
    trail = [(e.actor, e.action) for e in console.store.audit_log(account)]
    assert ("ana", "case_confirmed") in trail and ("ana", "suspend") in trail
    again = r.post(page + "/dismiss", {"csrf": token, "comment": "oops"})
    assert again.status_code == 400 and "case status" in again.text
    acct = f"/console/accounts/{account}"
    assert r.post(acct + "/activate", {"csrf": token, "comment": "appeal"}).status_code == 303
    assert console.store.get_account(account).status.value == "active"
    assert console.store.audit_log(account)[-1].actor == "ana"


def test_a_viewer_reads_but_cannot_act(console: Console, reviewer: Callable[..., Reviewer]) -> None:
    r = reviewer()
    r.sign_in("vic")
    page = f"/console/cases/{_case_id(console)}"
    shown = r.get(page)
    assert shown.status_code == 200 and "read only" in shown.text and "/confirm" not in shown.text
    token = r.csrf(page)  # the sign-out form's
    refused = r.post(page + "/confirm", {"csrf": token, "comment": "I should not"})
    assert refused.status_code == 403 and "viewer role" in refused.text
    assert console.store.get_case(_case_id(console)).status.value == "open"


def test_attacker_text_is_escaped(console: Console, reviewer: Callable[..., Reviewer]) -> None:
    r = reviewer()
    r.sign_in("ana")
    for path in ("/console/", f"/console/cases/{_case_id(console)}"):
        text = r.get(path).text
        assert XSS not in text and "&lt;script&gt;" in text


def test_bad_input_is_a_page_naming_the_field(
    console: Console, reviewer: Callable[..., Reviewer]
) -> None:
    r = reviewer()
    r.sign_in("ana")
    for path, status, said in (
        ("/console/?page=abc", 400, "page: &#39;abc&#39; is not a whole number"),
        ("/console/?sort=name", 400, "sort &#39;name&#39; is not one of"),
        ("/console/?status=closed", 400, "status &#39;closed&#39;"),
        ("/console/cases/case_nope", 404, "no case with id"),
        ("/console/accounts/acct_nope", 404, "no account with id"),
        ("/console/nowhere", 404, "No such page"),
    ):
        got = r.get(path)
        assert got.status_code == status and said in got.text, (path, got.text[-400:])
        assert got.headers["content-type"].startswith("text/html")
    token = r.csrf("/console/")
    page = f"/console/cases/{_case_id(console)}/comment"
    as_json = r.request("POST", page, json={"csrf": token, "comment": "x"})
    assert as_json.status_code == 400 and "content-type" in as_json.text
    long = r.post(page, {"csrf": token, "comment": "x" * 20_001})
    assert long.status_code == 400 and "comment: is 20001 characters" in long.text
