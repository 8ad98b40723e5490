"""The console as a person uses it, in Debian's Chromium driven by Playwright.

A real gateway (simulated upstream, an enforcing policy that opens cases) gets a simulated
day replayed through it, plus one account that sweeps logit_bias (whose name and prompts
carry a script tag). A reviewer signs in, opens the top case, sees its reasons and plot,
confirms it; the account's next API call is refused and the audit log names the reviewer.
A viewer sees the same case with no way to act. `playwright install` is never run: the
browser is the system's /usr/bin/chromium.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from console_harness import PASSWORD, XSS, Console, link_campaign, replayed_day

from distillguard.store import CaseQuery

CHROMIUM = Path("/usr/bin/chromium")


def _missing(what: str) -> None:
    if os.environ.get("DISTILLGUARD_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is required (DISTILLGUARD_REQUIRE_SERVICES=1) but missing")
    pytest.skip(f"{what} missing; `apt-get install chromium` and `pip install playwright`")


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The gateway after a simulated day and a logit_bias sweep, with two reviewers."""
    if not CHROMIUM.exists():
        _missing(f"Chromium ({CHROMIUM})")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("Playwright (Python)")
    folder = tmp_path_factory.mktemp("browser")
    console, plan, ids, secrets = replayed_day(folder, console={"show_prompts": True})
    prober = console.store.create_account(f"Evil {XSS}", tier="open")
    secret = console.store.create_key(prober.id).secret
    _sweep(console, secret, plan.calls[-1].ts)
    campaign = link_campaign(console)
    console.store.create_reviewer("ana", "reviewer", PASSWORD)
    console.store.create_reviewer("vic", "viewer", PASSWORD)
    keys = {ids[name]: key for name, key in secrets.items()}
    yield {
        "console": console,
        "prober": prober.id,
        "keys": {**keys, prober.id: secret},
        "campaign": campaign,
    }
    console.stop()


def _sweep(console: Console, secret: str, start: float) -> None:
    """One token at a time through logit_bias: evidence in absolute terms, so it flags."""
    headers = {"authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=console.url, headers=headers, timeout=10) as client:
        for i in range(80):
            body = {
                "model": "sim-large",
                "messages": [{"role": "user", "content": f"Say one word {XSS} ({i})"}],
                "logit_bias": {str(1000 + i): 100},
                "max_tokens": 1,
            }
            stamp = {"x-distillguard-event-time": str(start + 5 * i)}
            client.post("/v1/chat/completions", json=body, headers=stamp)
    for _ in range(100):  # the recorder scores in the background
        if console.store.case_page(CaseQuery()).total:
            return
        asyncio.run(asyncio.sleep(0.1))


@pytest.fixture(scope="module")
def browser(day: dict[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield b
        b.close()


def _sign_in(browser: Any, url: str, name: str) -> Any:
    page = browser.new_context().new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(url + "/console/")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("table.queue")
    return page


def test_a_reviewer_confirms_the_top_case(day: dict[str, Any], browser: Any) -> None:
    console: Console = day["console"]
    page = _sign_in(browser, console.url, "ana")
    assert int(page.text_content("#count-open") or "0") >= 1
    top = page.locator("table.queue tbody tr:not(:has-text('campaign ')) a.case-link").first
    case_id = top.text_content()
    top.click()
    page.wait_for_selector("#case")
    account = console.store.get_case(case_id or "").subject
    assert page.locator("#reasons li").count() >= 1
    assert page.locator("svg.plot polyline.risk").count() == 1
    page.fill("form[action$='/confirm'] input[name=comment]", "a logit_bias sweep: harvest")
    page.click("form[action$='/confirm'] button")
    page.wait_for_selector("#case-status:text('confirmed')")
    assert page.text_content("#account-status") == "suspended"
    assert "ana" in (page.text_content("#history") or "")
    assert page.title() != "pwned"
    refused = httpx.post(
        console.url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {day['keys'][account]}"},
        json={"model": "sim-large", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert refused.status_code == 403
    trail = [(e.actor, e.action) for e in console.store.audit_log(account)]
    assert ("ana", "case_confirmed") in trail and ("ana", "suspend") in trail


def test_script_in_a_name_and_a_prompt_does_not_run(day: dict[str, Any], browser: Any) -> None:
    console: Console = day["console"]
    page = _sign_in(browser, console.url, "ana")
    # Every state: the reviewer test above may have confirmed the prober's case already.
    page.goto(f"{console.url}/console/?status=all")
    page.wait_for_selector("table.queue")
    assert XSS in (page.text_content("table.queue") or "")  # the prober's case, as text
    page.goto(f"{console.url}/console/accounts/{day['prober']}")
    page.wait_for_selector("#samples")
    assert XSS in (page.text_content("#account-name") or "")
    assert XSS in (page.text_content("#samples") or "")  # the prompt, shown as text
    assert page.title() != "pwned" and page.locator("main script").count() == 0


def test_a_viewer_reads_without_actions(day: dict[str, Any], browser: Any) -> None:
    console: Console = day["console"]
    page = _sign_in(browser, console.url, "vic")
    page.locator("table.queue a.case-link").first.click()
    page.wait_for_selector("#case")
    assert page.locator("#read-only").count() == 1 or page.locator("#case-status").count() == 1
    assert page.locator("form[action$='/confirm']").count() == 0
    assert page.locator("form[action$='/suspend']").count() == 0
    assert page.title() != "pwned"


def test_allowlist_download_evidence_and_the_overview(day: dict[str, Any], browser: Any) -> None:
    console: Console = day["console"]
    page = _sign_in(browser, console.url, "ana")
    page.click("nav a:text('Overview')")
    page.wait_for_selector("#flagged")
    assert page.locator("#flagged svg.bars rect.flagged").count() >= 1
    assert page.locator("#case-days svg.bars rect.opened").count() >= 1
    page.goto(f"{console.url}/console/accounts/{day['prober']}")
    assert page.locator("#volume svg.bars rect.requests").count() == 24
    assert page.locator("#volume-days svg.bars rect.requests").count() == 30
    allow = "form[action$='/allowlist']"
    page.fill(f"{allow} input[name=days]", "7")
    page.fill(f"{allow} input[name=comment]", "a week of evals, agreed with the customer")
    page.click(f"{allow} button")
    page.wait_for_selector("#policy-line:has-text('Allowlisted by a reviewer until')")
    form = "form[action$='/evidence']"
    page.fill(f"{form} input[name=comment]", "legal hold")
    with page.expect_download() as info:
        page.click(f"{form} button")
    assert info.value.suggested_filename == f"evidence-{day['prober']}.zip"
    actions = [(e.actor, e.action) for e in console.store.audit_log(day["prober"])]
    assert ("ana", "allowlist") in actions and ("ana", "evidence_export") in actions


def test_the_campaign_page_draws_its_links(day: dict[str, Any], browser: Any) -> None:
    console: Console = day["console"]
    page = _sign_in(browser, console.url, "vic")
    page.goto(f"{console.url}/console/cases/{day['campaign']}")
    page.wait_for_selector("#links svg.graph")
    assert page.locator("svg.graph line.edge").count() == 3
    assert page.locator("#shared tbody tr").count() >= 2
    assert page.locator("#timing svg.hours rect.heat").count() == 3 * 24
    page.click("nav a:text('Audit log')")
    page.wait_for_selector("table#audit")
    assert page.locator("table#audit tbody tr").count() >= 1
