"""Traffic over time as a small SVG line chart (foreign, domestic, expected), with the events.

Drawn server-side so reports can embed it as an image and the status page needs no
charting library.  The warning (the first NOTAM alert) and the closure (each traffic collapse)
are marked with a vertical line and a label, so the chart says when the sky emptied relative
to the warning.  Every text is at least 12 px at the chart's natural size.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape
from typing import Any

WIDTH, HEIGHT, PAD, TOP = 640, 300, 40, 104
FONT = 'font-family="system-ui,sans-serif"'
EVENT_COLOUR = {"warning": "#8a6100", "closure": "#b00020", "recovered": "#17643a"}


def chart_events(alerts: Iterable[Any]) -> list[tuple[datetime, str, str]]:
    """(time, kind, label) for the chart from an airspace's alerts (data times).

    The warning is the first NOTAM alert; every traffic collapse is a closure, and its end
    (if resolved) a recovery.

    >>> from datetime import UTC
    >>> from types import SimpleNamespace as A
    >>> t = lambda h, m: datetime(2025, 11, 21, h, m, tzinfo=UTC)
    >>> rows = [A(type="notam.active", opened_at=t(18, 8), resolved_at=None, evidence={"number": "A0012/25"}),
    ...         A(type="notam.active", opened_at=t(22, 40), resolved_at=None, evidence={"number": "A0483/25"}),
    ...         A(type="airspace.traffic_collapse", opened_at=t(18, 56), resolved_at=None, evidence={})]
    >>> [(e[0].strftime("%H:%M"), e[1], e[2]) for e in chart_events(rows)]
    [('18:08', 'warning', 'warning: NOTAM A0012/25 18:08Z'), ('18:56', 'closure', 'closure: traffic collapse 18:56Z')]
    """
    alerts = list(alerts)
    events: list[tuple[datetime, str, str]] = []
    notams = sorted((a for a in alerts if a.type == "notam.active"), key=lambda a: a.opened_at)
    for a in [*notams[:1]]:
        number = (a.evidence or {}).get("number", "?")
        events.append((a.opened_at, "warning", f"warning: NOTAM {number} {a.opened_at:%H:%MZ}"))
    for a in alerts:
        if a.type != "airspace.traffic_collapse":
            continue
        events.append((a.opened_at, "closure", f"closure: traffic collapse {a.opened_at:%H:%MZ}"))
        if a.resolved_at is not None:
            events.append((a.resolved_at, "recovered", f"traffic recovered {a.resolved_at:%H:%MZ}"))
    return sorted(events)


def traffic_svg(
    code: str,
    samples: list[tuple[datetime, int, int]],
    baseline: float | None,
    events: list[tuple[datetime, str, str]] | None = None,
) -> str:
    """``samples`` = (time, foreign, domestic), oldest first; ``events`` from :func:`chart_events`.

    >>> from datetime import UTC
    >>> t = lambda h: datetime(2025, 11, 21, h, tzinfo=UTC)
    >>> svg = traffic_svg("SVZM", [(t(12), 9, 3), (t(13), 0, 2)], 8.0,
    ...                   [(t(12), "warning", "warning: NOTAM A0012/25 12:00Z")])
    >>> svg.startswith("<svg") and "foreign" in svg and "expected 8" in svg and "A0012/25" in svg
    True
    >>> import re; min(int(s) for s in re.findall(r'font-size="(\\d+)"', svg)) >= 12
    True
    """
    title = f"{code}: aircraft inside the FIR (data time, UTC)"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="traffic-title-{escape(code)}">',
        f'<title id="traffic-title-{escape(code)}">{escape(title)}</title>',
        '<rect width="100%" height="100%" fill="#fff"/>',
        f'<text x="{PAD}" y="20" font-size="14" font-weight="600" {FONT}>{escape(title)}</text>',
    ]
    if not samples:
        parts.append(
            f'<text x="{PAD}" y="{HEIGHT // 2}" font-size="14" {FONT}>no data yet</text></svg>'
        )
        return "".join(parts)
    scale = _Scale(samples, baseline)
    axis = HEIGHT - PAD
    parts.append(f'<line x1="{PAD}" y1="{axis}" x2="{WIDTH - PAD}" y2="{axis}" stroke="#999"/>')
    parts += _event_marks(events or [], scale)
    parts += _lines(samples, baseline, scale)
    parts += _labels(samples, baseline, scale)
    return "".join(parts)


class _Scale:
    """Data → pixel coordinates: time across, aircraft counts up (15 % headroom)."""

    def __init__(self, samples: list[tuple[datetime, int, int]], baseline: float | None):
        self.t0, self.t1 = samples[0][0].timestamp(), samples[-1][0].timestamp()
        self.span = max(self.t1 - self.t0, 1.0)
        self.top = max([max(f, d) for _, f, d in samples] + [baseline or 0, 1]) * 1.15

    def x(self, t: datetime) -> float:
        return PAD + (t.timestamp() - self.t0) / self.span * (WIDTH - 2 * PAD)

    def y(self, v: float) -> float:
        return HEIGHT - PAD - v / self.top * (HEIGHT - PAD - TOP)


def _event_marks(events: list[tuple[datetime, str, str]], scale: _Scale) -> list[str]:
    """A dashed vertical line and a label for each event inside the charted time."""
    parts = []
    axis = HEIGHT - PAD
    shown = (e for e in events if scale.t0 <= e[0].timestamp() <= scale.t1)
    for i, (when, kind, label) in enumerate(shown):
        colour = EVENT_COLOUR.get(kind, "#333")
        ex = scale.x(when)
        label_y = 64 + 16 * (i % 3)  # staggered: a warning and a collapse can be close
        anchor, tx = ("end", ex - 4) if ex > WIDTH / 2 else ("start", ex + 4)
        parts.append(
            f'<g class="event event-{kind}"><line x1="{ex:.1f}" y1="{label_y - 10}" x2="{ex:.1f}" '
            f'y2="{axis}" stroke="{colour}" stroke-width="1.5" stroke-dasharray="5 3"/>'
            f'<text x="{tx:.1f}" y="{label_y}" text-anchor="{anchor}" font-size="12" fill="{colour}" '
            f"{FONT}>{escape(label)}</text></g>"
        )
    return parts


def _lines(
    samples: list[tuple[datetime, int, int]], baseline: float | None, scale: _Scale
) -> list[str]:
    """The foreign and domestic polylines and the dashed expected level."""
    x, y = scale.x, scale.y
    parts = []
    for label, value_at, colour in (("foreign", 1, "#b00020"), ("domestic", 2, "#1f5fa8")):
        points = " ".join(f"{x(s[0]):.1f},{y(s[value_at]):.1f}" for s in samples)
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"><title>{label}</title></polyline>'
        )
    if baseline is not None:
        parts.append(
            f'<line x1="{PAD}" y1="{y(baseline):.1f}" x2="{WIDTH - PAD}" y2="{y(baseline):.1f}" '
            f'stroke="#555" stroke-dasharray="4 3"><title>expected {baseline:g}</title></line>'
        )
    return parts


def _labels(
    samples: list[tuple[datetime, int, int]], baseline: float | None, scale: _Scale
) -> list[str]:
    """Legend, first and last sample times, the top and zero counts; closes the SVG."""
    legend = [
        ("foreign", "#b00020"),
        ("domestic", "#1f5fa8"),
        (f"expected {baseline:g}" if baseline is not None else "no baseline", "#555"),
    ]
    parts = [
        f'<text x="{PAD + i * 90}" y="42" font-size="12" fill="{colour}" '
        f"{FONT}>{escape(label)}</text>"
        for i, (label, colour) in enumerate(legend)
    ]
    parts.append(
        f'<text x="{PAD}" y="{HEIGHT - 12}" font-size="12" {FONT}>{samples[0][0]:%Y-%m-%d %H:%MZ}</text>'
    )
    parts.append(
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 12}" text-anchor="end" font-size="12" {FONT}>'
        f"{samples[-1][0]:%Y-%m-%d %H:%MZ}</text>"
    )
    top = scale.top / 1.15
    parts.append(
        f'<text x="{PAD - 6}" y="{scale.y(top) + 4:.0f}" text-anchor="end" font-size="12" {FONT}>'
        f"{top:.0f}</text>"
    )
    parts.append(
        f'<text x="{PAD - 6}" y="{HEIGHT - PAD + 4}" text-anchor="end" font-size="12" {FONT}>0</text></svg>'
    )
    return parts
