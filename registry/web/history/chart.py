"""Geometry for the server-drawn SVG activity chart (pure; the template draws it)."""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from registry.history.activity import Activity, Bucket

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 160, 36, 22, 10
CHAR_WIDTH, TICK_GAP = 7.0, 12  # the widest 11px tick glyph in the stylesheet's font, and the space between labels


def label_width(text: str) -> float:
    """How wide a tick label may be drawn (an upper bound, so labels never touch)."""
    return len(text) * CHAR_WIDTH


@dataclass(frozen=True)
class Bar:
    """One bucket's bar: position, size and a label for its tooltip."""

    x: float
    y: float
    width: float
    height: float
    label: str
    count: int


@dataclass(frozen=True)
class Tick:
    """A label on the time axis."""

    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    """Everything the SVG needs."""

    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    peak: int
    baseline: float
    top: float
    summary: str


def _label(b: Bucket, unit: str) -> str:
    if unit == "month":
        return b.start.strftime("%b %Y")
    return ("week of " if unit == "week" else "") + b.start.isoformat()


def bar_chart(activity: Activity, width: int = WIDTH, height: int = HEIGHT) -> Chart:
    """Bars scaled to the busiest bucket, with about eight time-axis labels."""
    buckets = activity.buckets
    peak = max((b.count for b in buckets), default=0)
    plot_w, plot_h, base = width - LEFT - 4, height - BOTTOM - TOP, height - BOTTOM
    slot = plot_w / max(len(buckets), 1)
    bars = []
    for i, b in enumerate(buckets):
        h = plot_h * b.count / peak if peak else 0
        bars.append(Bar(round(LEFT + i * slot + slot * 0.1, 2), round(base - h, 2), round(max(slot * 0.8, 1), 2),
                        round(h, 2), f"{_label(b, activity.unit)}: {b.count} change{'s' * (b.count != 1)}",
                        b.count))
    fmt = "%b %Y" if activity.unit == "month" else "%Y-%m-%d"
    labels = [b.start.strftime(fmt) for b in buckets]
    room = max((label_width(t) for t in labels), default=0) + TICK_GAP
    every = max(1, ceil(len(buckets) / 8), ceil(room / slot))  # at most ~8 labels, never closer than one label
    ticks = [Tick(round(LEFT + i * slot, 2), t) for i, t in enumerate(labels)
             if i % every == 0 and LEFT + i * slot + label_width(t) <= width]  # a label must fit before the edge
    busiest = max(buckets, key=lambda b: b.count, default=None)
    summary = (f"{activity.total} changes in {len(buckets)} {activity.unit}s"
               + (f"; busiest: {_label(busiest, activity.unit)} with {busiest.count}" if busiest and peak else ""))
    return Chart(width, height, bars, ticks, peak, base, TOP, summary)
