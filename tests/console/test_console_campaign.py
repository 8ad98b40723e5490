"""The campaign page over real HTTP: a hydra sent through the gateway is linked by the
analyzer, and the page draws its actual pairwise links, shared tokens and active hours."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from console_harness import PASSWORD, Console, Reviewer, link_campaign, start_console


@pytest.fixture
def hydra(tmp_path: Path) -> Iterator[tuple[Console, str]]:
    c = start_console(tmp_path, server={"trusted_proxies": ["127.0.0.1/32"]})
    c.store.create_reviewer("ana", "reviewer", PASSWORD)
    yield c, link_campaign(c)
    c.stop()


def test_the_campaign_page_shows_what_links_the_members(hydra: tuple[Console, str]) -> None:
    console, case_id = hydra
    r = Reviewer(console.url)
    r.sign_in("ana")
    page = r.get(f"/console/cases/{case_id}")
    r.close()
    assert page.status_code == 200
    html = page.text
    # Three members, each pair sharing the system prompt and the /24: three edges.
    edges = re.findall(r'<line class="edge (\w+)"', html)
    assert edges.count("infra") == 3, edges
    shared = html[html.index('id="shared"') : html.index("</table>", html.index('id="shared"'))]
    assert "system prompt" in shared and "address range (/24 or /48)" in shared
    assert html.count("<td>shared ") == 3  # one row per pair, naming the kinds
    # The members took turns one after another, within the same hour or two: one row each.
    assert html.count('<rect class="heat') == 3 * 24
    assert "member pairs have no busy hour in common" in html


def test_a_walk_link_says_why_and_is_drawn_as_behaviour() -> None:
    from distillguard.console.campaign import WALK, _edge, link_rows
    from distillguard.detect.campaigns import PairLink

    link = PairLink("a", "b", "walk", ())
    (row,) = link_rows([link])
    assert (row.a, row.b, row.why) == ("a", "b", WALK)
    svg = _edge(link, (0.0, 0.0), (10.0, 10.0))
    assert 'class="edge behaviour"' in svg and "same capability mix" in svg
