"""Line charts as inline SVG, for the windowed checks' series (no script, no external asset):
a dashed red threshold line, points above it marked red, a UTC time axis. Returns Markup: every
string in it is escaped here.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone
from html import escape

from markupsafe import Markup

PALETTE = ("#0969da", "#8250df", "#1a7f37", "#bc4c00", "#57606a", "#bf3989")


def _e(value) -> str:
    return escape("" if value is None else str(value))


def _num(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _fmt(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1e5 else f"{value:.2e}"


def chart_svg(chart: dict, width: int = 720, height: int = 250) -> Markup:
    """A line chart of `series` ({label: [[unix_ts, value], ...]}) with the threshold as a dashed red line."""
    title, unit, threshold = str(chart.get("title", "")), str(chart.get("unit", "")), _num(chart.get("threshold"))
    series = {}
    for label, points in (chart.get("series") or {}).items():
        clean = [(t, v) for t, v in ((_num(p[0]), _num(p[1])) for p in points or [] if isinstance(p, (list, tuple)) and len(p) == 2)
                 if t is not None and v is not None]
        series[str(label)] = sorted(clean)
    points = [p for pts in series.values() for p in pts]
    if not points:
        return Markup(f'<p class="nochart">{_e(title)}: no data points to draw (no data is never a pass)</p>')
    t0, t1 = min(t for t, _ in points), max(t for t, _ in points)
    t1 = t1 if t1 > t0 else t0 + 1
    values = [v for _, v in points] + ([threshold] if threshold is not None else [])
    lo, hi = min(0.0, min(values)), max(values)
    hi = hi + (hi - lo) * 0.1 if hi > lo else lo + 1
    left, right, top, bottom = 70, 20, 30, 52
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(t):
        return left + (t - t0) / (t1 - t0) * plot_w

    def y(v):
        return top + (hi - v) / (hi - lo) * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="golive-chart" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}"><title>{_e(title)}</title>',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff" stroke="#d0d7de"/>',
           f'<text x="{left}" y="18" font-size="13" font-weight="bold" fill="#1f2328">{_e(title)}</text>']
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#eaeef2"/>'
                   f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end" fill="#57606a">'
                   f'{_e(_fmt(v))} {_e(unit)}</text>')
    span = t1 - t0
    stamp = "%H:%M:%S" if span < 3600 else ("%H:%M" if span < 86400 else "%m-%d %H:%M")
    for i in range(5):
        t = t0 + span * i / 4
        label = datetime.fromtimestamp(t, timezone.utc).strftime(stamp)
        anchor = "end" if i == 4 else "middle"  # the last label ends at the plot's edge, not past the frame
        out.append(f'<text x="{x(t):.1f}" y="{top + plot_h + 14}" font-size="10" text-anchor="{anchor}" fill="#57606a">'
                   f'{label}</text>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#8c959f"/>'
               f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#8c959f"/>')
    for n, (label, pts) in enumerate(series.items()):
        color = PALETTE[n % len(PALETTE)]
        coords = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in pts)
        out.append(f'<polyline class="series" fill="none" stroke="{color}" stroke-width="1.8" points="{coords}"/>')
        if threshold is not None:
            out += [f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="2.5" fill="#cf222e"/>' for t, v in pts if v > threshold][:200]
        out.append(f'<rect x="{left + n * 160}" y="{height - 18}" width="10" height="10" fill="{color}"/>'
                   f'<text x="{left + n * 160 + 14}" y="{height - 9}" font-size="11" fill="#1f2328">{_e(label[:22])}</text>')
    if threshold is not None:
        ty = y(threshold)
        out.append(f'<line class="threshold" x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#cf222e" '
                   f'stroke-width="1.5" stroke-dasharray="6 4"/><text x="{width - right - 4}" y="{ty - 5:.1f}" font-size="11" '
                   f'text-anchor="end" fill="#cf222e">threshold {_e(_fmt(threshold))} {_e(unit)}</text>')
    out.append(f'<text x="{width - right}" y="{top + plot_h + 28}" font-size="10" text-anchor="end" fill="#57606a">'
               f'UTC, {datetime.fromtimestamp(t0, timezone.utc):%Y-%m-%d}</text></svg>')
    return Markup("".join(out))
