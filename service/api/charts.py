"""Traffic over time as a small SVG line chart (foreign, domestic, baseline).

Drawn server-side so reports can embed it as an image and the status page needs no
charting library.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

WIDTH, HEIGHT, PAD = 640, 220, 36


def traffic_svg(
    code: str,
    samples: list[tuple[datetime, int, int]],
    baseline: float | None,
) -> str:
    """``samples`` = (time, foreign, domestic), oldest first.

    >>> from datetime import UTC
    >>> svg = traffic_svg("SVZM", [(datetime(2025, 11, 21, 12, tzinfo=UTC), 9, 3),
    ...                            (datetime(2025, 11, 21, 13, tzinfo=UTC), 0, 2)], 8.0)
    >>> svg.startswith("<svg") and "foreign" in svg and "baseline 8" in svg
    True
    """
    title = f"{code}: aircraft inside the FIR (UTC)"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="t">',
        f'<title id="t">{escape(title)}</title>',
        '<rect width="100%" height="100%" fill="#fff"/>',
        f'<text x="{PAD}" y="16" font-size="12" font-family="sans-serif">{escape(title)}</text>',
    ]
    if not samples:
        parts.append(
            f'<text x="{PAD}" y="{HEIGHT // 2}" font-size="12">no samples yet</text></svg>'
        )
        return "".join(parts)
    scale = _Scale(samples, baseline)
    parts += _lines(samples, baseline, scale) + _labels(samples, baseline, scale)
    return "".join(parts)


class _Scale:
    """Data → pixel coordinates: time across, aircraft counts up (15 % headroom)."""

    def __init__(self, samples: list[tuple[datetime, int, int]], baseline: float | None):
        self.t0 = samples[0][0].timestamp()
        self.span = max(samples[-1][0].timestamp() - self.t0, 1.0)
        self.top = max([max(f, d) for _, f, d in samples] + [baseline or 0, 1]) * 1.15

    def x(self, t: datetime) -> float:
        return PAD + (t.timestamp() - self.t0) / self.span * (WIDTH - 2 * PAD)

    def y(self, v: float) -> float:
        return HEIGHT - PAD - v / self.top * (HEIGHT - 2 * PAD)


def _lines(
    samples: list[tuple[datetime, int, int]], baseline: float | None, scale: _Scale
) -> list[str]:
    """The axis, the foreign and domestic polylines and the dashed baseline."""
    x, y = scale.x, scale.y
    axis = HEIGHT - PAD
    parts = [f'<line x1="{PAD}" y1="{axis}" x2="{WIDTH - PAD}" y2="{axis}" stroke="#999"/>']
    for label, value_at, colour in (("foreign", 1, "#b00020"), ("domestic", 2, "#1f5fa8")):
        points = " ".join(f"{x(s[0]):.1f},{y(s[value_at]):.1f}" for s in samples)
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"><title>{label}</title></polyline>'
        )
    if baseline is not None:
        parts.append(
            f'<line x1="{PAD}" y1="{y(baseline):.1f}" x2="{WIDTH - PAD}" y2="{y(baseline):.1f}" '
            f'stroke="#555" stroke-dasharray="4 3"><title>baseline {baseline:g}</title></line>'
        )
    return parts


def _labels(
    samples: list[tuple[datetime, int, int]], baseline: float | None, scale: _Scale
) -> list[str]:
    """Legend, first and last sample times, the top count; closes the SVG."""
    legend = [
        ("foreign", "#b00020"),
        ("domestic", "#1f5fa8"),
        (f"baseline {baseline:g}" if baseline is not None else "no baseline", "#555"),
    ]
    parts = [
        f'<text x="{WIDTH - PAD - 220 + i * 75}" y="16" font-size="11" fill="{colour}">{escape(label)}</text>'
        for i, (label, colour) in enumerate(legend)
    ]
    parts.append(
        f'<text x="{PAD}" y="{HEIGHT - 10}" font-size="10">{samples[0][0]:%Y-%m-%d %H:%MZ}</text>'
    )
    parts.append(
        f'<text x="{WIDTH - PAD - 90}" y="{HEIGHT - 10}" font-size="10">{samples[-1][0]:%Y-%m-%d %H:%MZ}</text>'
    )
    top = scale.top / 1.15
    parts.append(f'<text x="4" y="{scale.y(top):.0f}" font-size="10">{top:.0f}</text></svg>')
    return parts
