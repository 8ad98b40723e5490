"""Risk over time as inline SVG, drawn on the server: no script, nothing to download.

Every value in the markup is a number this module formats, or text passed through
`markupsafe.escape`, so the SVG is safe to insert into a page as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 8, 22  # margins for the axis labels


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%m-%d %H:%M")


def risk_plot(
    points: Sequence[tuple[float, float]],
    marks: Sequence[tuple[float, str]] = (),
    threshold: float | None = None,
) -> Markup:
    """A line of (ts, risk) points on [0, 1], with a dashed line at each level change."""
    if not points:
        return Markup('<p class="muted">No risk scores recorded yet.</p>')
    t0 = min([p[0] for p in points] + [m[0] for m in marks])
    t1 = max([p[0] for p in points] + [m[0] for m in marks])
    span = max(t1 - t0, 1.0)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(ts: float) -> float:
        return LEFT + (ts - t0) / span * inner_w

    def y(risk: float) -> float:
        return TOP + (1 - min(max(risk, 0.0), 1.0)) * inner_h

    parts = [
        f'<svg class="plot" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>Risk over time, {len(points)} scores, {len(marks)} level changes</title>",
    ]
    for level in (0.0, 0.5, 1.0):
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(level):.1f}" '
            f'y2="{y(level):.1f}"/><text class="axis" x="2" y="{y(level) + 4:.1f}">'
            f"{level:.1f}</text>"
        )
    if threshold is not None:
        parts.append(
            f'<line class="threshold" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
            f'y1="{y(threshold):.1f}" y2="{y(threshold):.1f}"/>'
        )
    for ts, label in marks:
        parts.append(
            f'<g class="mark"><line x1="{x(ts):.1f}" x2="{x(ts):.1f}" y1="{TOP}" '
            f'y2="{HEIGHT - BOTTOM}"/><text x="{x(ts) + 3:.1f}" y="{TOP + 10}">'
            f"{escape(label)}</text></g>"
        )
    line = " ".join(f"{x(ts):.1f},{y(r):.1f}" for ts, r in sorted(points))
    parts.append(f'<polyline class="risk" points="{line}"/>')
    for ts, r in sorted(points)[-1:]:
        parts.append(f'<circle class="risk" cx="{x(ts):.1f}" cy="{y(r):.1f}" r="3"/>')
    parts.append(
        f'<text class="axis" x="{LEFT}" y="{HEIGHT - 6}">{_when(t0)}</text>'
        f'<text class="axis end" x="{WIDTH - RIGHT}" y="{HEIGHT - 6}">{_when(t1)}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # built from numbers and escaped text only


BAR_HEIGHT = 150


def bar_plot(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], title: str
) -> Markup:
    """Bars per label, the series side by side (each series' name is its CSS class and its
    legend); each bar's <title> says its label and value, for hovering."""
    if not labels or not any(any(values) for _, values in series):
        return Markup(f'<p class="muted">{escape(title)}: nothing yet.</p>')
    top = max(max(values, default=0) for _, values in series) or 1
    inner_w, inner_h = WIDTH - LEFT - RIGHT, BAR_HEIGHT - TOP - BOTTOM
    group = inner_w / len(labels)
    bar = max(group * 0.8 / len(series), 1.0)
    parts = [
        f'<svg class="bars" role="img" viewBox="0 0 {WIDTH} {BAR_HEIGHT}" width="{WIDTH}" '
        f'height="{BAR_HEIGHT}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<text class="axis" x="2" y="{TOP + 8}">{top:g}</text>',
        f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + inner_h}" '
        f'y2="{TOP + inner_h}"/>',
    ]
    for k, (name, values) in enumerate(series):
        for i, value in enumerate(values):
            h = value / top * inner_h
            x = LEFT + i * group + group * 0.1 + k * bar
            parts.append(
                f'<rect class="{escape(name)}" x="{x:.1f}" y="{TOP + inner_h - h:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}"><title>{escape(labels[i])}: '
                f"{value:g} {escape(name)}</title></rect>"
            )
        parts.append(
            f'<text class="legend {escape(name)}" x="{WIDTH - RIGHT - 110 * (len(series) - k)}" '
            f'y="{TOP + 8}">■ {escape(name)}</text>'
        )
    parts.append(
        f'<text class="axis" x="{LEFT}" y="{BAR_HEIGHT - 6}">{escape(labels[0])}</text>'
        f'<text class="axis end" x="{WIDTH - RIGHT}" y="{BAR_HEIGHT - 6}">'
        f"{escape(labels[-1])}</text></svg>"
    )
    return Markup("".join(parts))  # built from numbers and escaped text only
