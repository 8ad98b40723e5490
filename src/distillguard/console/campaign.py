"""The campaign page: who is linked to whom and by what, and when each member is active.

The links are the analyzer's own (`Analyzer.campaign_links`, kept at each re-linking): pairs
of members that share distinctive fingerprint tokens, or that `detect.linking` joins by one
sampling set-up and close behaviour. Tokens are hashes (the profile keeps no address or
prompt text), so the page names each token's kind and a short id to match across pairs.
The SVG is drawn here: numbers this module formats and escaped text only.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from distillguard.detect.campaigns import PairLink

TOKEN_KINDS = {
    "t": "prompt template",
    "s": "system prompt",
    "n": "address range (/24 or /48)",
    "u": "user agent",
}
BEHAVIOUR = "same sampling set-up, close on every core statistic"
WALK = "each walks prompts without repeats, with the same capability mix"
SIZE, RADIUS = 360, 130


@dataclass(frozen=True, slots=True)
class MemberRow:
    id: str
    name: str
    status: str
    risk: float | None
    level: str
    hours: tuple[int, ...] = ()  # requests by hour of day (UTC); empty: not in the analyzer


@dataclass(frozen=True, slots=True)
class LinkRow:
    a: str
    b: str
    why: str  # in words: the kinds of token shared, or the behaviour link
    tokens: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SharedToken:
    token: str
    kind: str
    holders: tuple[str, ...]  # the members that share it with another member


@dataclass(frozen=True, slots=True)
class CampaignView:
    campaign: str
    risk: float | None
    reasons: tuple[str, ...]
    members: tuple[MemberRow, ...]
    links: tuple[LinkRow, ...]
    shared: tuple[SharedToken, ...]
    graph: Markup
    timing: Markup
    timing_line: str


def token_kind(token: str) -> str:
    return TOKEN_KINDS.get(token[:1], "token")


def link_rows(links: Sequence[PairLink]) -> tuple[LinkRow, ...]:
    rows = []
    for p in links:
        if p.kind in ("behaviour", "walk"):
            rows.append(LinkRow(p.a, p.b, WALK if p.kind == "walk" else BEHAVIOUR, ()))
        else:
            kinds = sorted({token_kind(t) for t in p.tokens})
            rows.append(LinkRow(p.a, p.b, "shared " + ", ".join(kinds), p.tokens))
    return tuple(rows)


def shared_tokens(links: Sequence[PairLink]) -> tuple[SharedToken, ...]:
    """Each shared token with the members holding it, the most widely shared first."""
    holders: dict[str, set[str]] = defaultdict(set)
    for p in links:
        for t in p.tokens:
            holders[t].update((p.a, p.b))
    ordered = sorted(holders.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return tuple(SharedToken(t, token_kind(t), tuple(sorted(m))) for t, m in ordered)


def timing_line(members: Sequence[MemberRow]) -> str:
    """Whether members share their busy hours or take turns (busy: a tenth of its traffic)."""
    busy = [_busy(m.hours) for m in members if sum(m.hours)]
    if len(busy) < 2:
        return "Too few members have requests scored to compare their hours."
    pairs = [(a, b) for i, a in enumerate(busy) for b in busy[i + 1 :]]
    apart = sum(not (a & b) for a, b in pairs)
    return (
        f"{apart} of {len(pairs)} member pairs have no busy hour in common "
        "(taking turns looks like many); busy: an hour with a tenth of a member's requests."
    )


def _busy(hours: Sequence[int]) -> set[int]:
    total = sum(hours)
    return {h for h, n in enumerate(hours) if total and n >= 0.1 * total}


def graph(campaign: str, members: Sequence[MemberRow], links: Sequence[PairLink]) -> Markup:
    """Members on a circle, a line per pairwise link (dashed: behaviour), sized by risk."""
    drawn = [m for m in members if any(m.id in (p.a, p.b) for p in links)] or list(members)
    at = _circle([m.id for m in drawn])
    parts = [
        f'<svg class="graph" role="img" viewBox="0 0 {SIZE} {SIZE}" width="{SIZE}" '
        f'height="{SIZE}" xmlns="http://www.w3.org/2000/svg"><title>Links of {escape(campaign)}'
        "</title>"
    ]
    for p in links:
        if p.a in at and p.b in at:
            parts.append(_edge(p, at[p.a], at[p.b]))
    for m in drawn:
        x, y = at[m.id]
        r = 4 + 8 * (m.risk or 0.0)
        anchor = "end" if x < SIZE / 2 - 1 else "start"
        dx = -(r + 2) if anchor == "end" else r + 2
        parts.append(
            f'<circle class="member" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}">'
            f"<title>{escape(m.name)} ({escape(m.id)})</title></circle>"
            f'<text class="axis {anchor}" x="{x + dx:.1f}" y="{y + 4:.1f}">'
            f"{escape(m.name[:16])}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # numbers and escaped text only


def _circle(ids: Sequence[str]) -> dict[str, tuple[float, float]]:
    n, c = max(len(ids), 1), SIZE / 2
    return {
        a: (c + RADIUS * math.cos(2 * math.pi * i / n), c + RADIUS * math.sin(2 * math.pi * i / n))
        for i, a in enumerate(ids)
    }


def _edge(p: PairLink, a: tuple[float, float], b: tuple[float, float]) -> str:
    infra = any(t[:1] in "nu" for t in p.tokens)
    # A walk link is drawn as a behaviour one: both are links of behaviour, not content.
    kind = "behaviour" if p.kind in ("behaviour", "walk") else "infra" if infra else "content"
    # A behaviour link beside a shared one is nudged aside so both stay visible.
    off = 3.0 if kind == "behaviour" else 0.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    norm = math.hypot(dx, dy) or 1.0
    ox, oy = -dy / norm * off, dx / norm * off
    why = {"behaviour": BEHAVIOUR, "walk": WALK}.get(p.kind, "shared " + " ".join(p.tokens))
    return (
        f'<line class="edge {kind}" x1="{a[0] + ox:.1f}" y1="{a[1] + oy:.1f}" '
        f'x2="{b[0] + ox:.1f}" y2="{b[1] + oy:.1f}"><title>{escape(p.a)} - {escape(p.b)}: '
        f"{escape(why)}</title></line>"
    )


def hours_plot(members: Sequence[MemberRow]) -> Markup:
    """A row per member, a cell per hour of day (UTC), darker where it sends more."""
    rows = [m for m in members if sum(m.hours)]
    if not rows:
        return Markup('<p class="muted">No member has requests scored yet.</p>')
    left, cell, top = 130, 20, 16
    w, h = left + 24 * cell + 4, top + len(rows) * cell + 4
    parts = [
        f'<svg class="hours" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'xmlns="http://www.w3.org/2000/svg"><title>Requests by hour of day (UTC)</title>'
    ]
    parts.extend(
        f'<text class="axis" x="{left + hr * cell + 2}" y="11">{hr:02d}</text>'
        for hr in range(0, 24, 3)
    )
    for i, m in enumerate(rows):
        y = top + i * cell
        parts.append(f'<text class="axis" x="0" y="{y + 14}">{escape(m.name[:18])}</text>')
        peak = max(m.hours)
        for hr, n in enumerate(m.hours):
            level = math.ceil(4 * n / peak) if n else 0  # 0..4: five shades, in the CSS
            parts.append(
                f'<rect class="heat h{level}" x="{left + hr * cell}" y="{y}" width="{cell - 1}"'
                f' height="{cell - 1}"><title>{hr:02d}:00 UTC: {n} requests</title></rect>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
