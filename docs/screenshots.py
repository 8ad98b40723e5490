"""Screenshots of the review console for the README: `python docs/screenshots.py`.

A gateway on loopback (the console tests' harness) gets a simulated day replayed through it,
as `distillguard demo` does, plus a hydra of three accounts sharing one scaffold and one /24,
so that the queue holds an account case and a campaign case. A reviewer signs in with
Playwright in Debian's Chromium and the queue, the top account case and the campaign are
saved as docs/console-*.png at 1280x900. Not a test: rerun it when the console's look changes.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "console"))

from console_harness import PASSWORD, Console, link_campaign, replayed_day  # noqa: E402

from distillguard.store import CaseQuery  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 900}


def gateway(folder: Path) -> tuple[Console, str]:
    """The gateway after a replayed day and a hydra; the campaign case's id."""
    console, *_ = replayed_day(folder)
    campaign = link_campaign(console, members=4, requests=14)
    console.store.create_reviewer("ana", "reviewer", PASSWORD)
    return console, campaign


def shoot(console: Console, campaign: str) -> None:
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    rows = console.store.case_page(CaseQuery()).rows
    account_case = next(r.id for r in rows if r.kind == "account")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        page = browser.new_context(viewport=VIEWPORT).new_page()  # type: ignore[arg-type]
        page.goto(console.url + "/console/")
        page.fill("input[name=name]", "ana")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("table.queue")
        _save(page, "console-queue.png")
        page.goto(f"{console.url}/console/cases/{account_case}")
        _save(page, "console-account.png")
        page.goto(f"{console.url}/console/cases/{campaign}")
        page.locator("#links").scroll_into_view_if_needed()
        _save(page, "console-campaign.png")
        browser.close()


def _save(page: Any, name: str) -> None:
    out = HERE / name
    page.screenshot(path=str(out))
    print(f"wrote {out.relative_to(HERE.parent)} ({out.stat().st_size // 1024} KB)")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        console, campaign = gateway(Path(tmp))
        try:
            shoot(console, campaign)
        finally:
            console.stop()


if __name__ == "__main__":
    main()
