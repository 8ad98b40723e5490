"""The audit-log page over real HTTP: `distillguard audit-log [--subject ID]` in the console,
newest first, a page of 50 at a time, filtered by subject."""

from __future__ import annotations

import time
from collections.abc import Callable

from console_harness import XSS, Console, Reviewer

from distillguard.store import AuditEntry


def test_the_audit_log_pages_and_filters(
    console: Console, reviewer: Callable[..., Reviewer]
) -> None:
    now = time.time()
    entries = [
        AuditEntry(now + i, "bot", "level_change", f"acct_{i % 2}", f"n{i}") for i in range(60)
    ]
    console.store.record_audit([*entries, AuditEntry(now + 61, "eve", "comment", "acct_x", XSS)])
    r = reviewer()
    r.sign_in("vic")  # a viewer may read it
    first = r.get("/console/audit")
    assert first.status_code == 200 and first.text.count('<td class="actor">') == 50
    assert first.text.index(">eve<") < first.text.index(">n59<")  # newest first
    assert XSS not in first.text and "&lt;script&gt;" in first.text
    assert 'href="/console/audit?page=2"' in first.text
    total = len(console.store.audit_log())  # 61, and what the fixture and sign-ins wrote
    second = r.get("/console/audit?page=2")
    assert second.text.count('<td class="actor">') == total - 50 and "?page=3" not in second.text
    one = r.get("/console/audit?subject=acct_1")
    assert one.text.count('<td class="actor">') == 30 and ">n58<" not in one.text
    assert r.get("/console/audit?page=0").status_code == 400
    none = r.get("/console/audit?subject=acct_nobody")
    assert none.status_code == 200 and "No entries about acct_nobody" in none.text
