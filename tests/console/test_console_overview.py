"""The overview page over real HTTP: flagged per hour, cases per day, levels, event health."""

from __future__ import annotations

import re
from collections.abc import Callable

from console_harness import Console, Reviewer

from distillguard.console.plot import bar_plot


def test_the_overview_counts_cases_levels_and_events(
    console: Console, reviewer: Callable[..., Reviewer]
) -> None:
    r = reviewer()
    r.sign_in("vic")  # reading needs no more than the viewer role
    page = r.get("/console/overview")
    assert page.status_code == 200 and 'href="/console/overview"' in page.text
    text = page.text
    assert "1 opened</title>" in text  # the fixture's case, opened today
    assert "Accounts flagged per hour, the last 48 hours: nothing yet." in text
    assert re.search(r'id="events-dropped">0<', text) and 'href="/metrics"' in text
    assert 'id="level-none">' in text and "<script>" not in text.split("</head>")[1]


def test_bars_escape_their_labels_and_scale_to_the_top() -> None:
    svg = str(bar_plot(["<a>", "b"], [("opened", [1, 4]), ("closed", [2, 0])], "t<"))
    assert "<a>" not in svg and "&lt;a&gt;" in svg and "t&lt;" in svg
    heights = [float(h) for h in re.findall(r'height="([\d.]+)"><title>', svg)]
    assert max(heights) == 150 - 8 - 22 and heights[-1] == 0
