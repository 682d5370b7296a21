"""The per-day bar chart's geometry, in pure code: days of (succeeded, failed) counts in, rectangles, labels
and scale ticks out, in SVG user units. The template only draws what this computes, so the page needs no
JavaScript and the arithmetic is unit-tested.

Each day is one bar: succeeded at the bottom, failed stacked on top. The scale's top is the tallest day
rounded up to a "nice" number (1, 2 or 5 times a power of ten), so the axis reads well.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

WIDTH = 960.0
HEIGHT = 200.0
LEFT = 40.0
"""Room for the scale's numbers."""
RIGHT = 6.0
TOP = 10.0
BOTTOM = 24.0
"""Room for the days' labels."""
BAR_SHARE = 0.7
"""Of each day's slot, the share its bar fills (the rest is the gap between bars)."""
MAX_LABELS = 16


@dataclass(frozen=True)
class Day:
    day: date
    succeeded: int
    failed: int


@dataclass(frozen=True)
class Bar:
    day: date
    label: str
    """The day as printed under the bar ("" when only every few days are labelled)."""
    x: float
    width: float
    ok_y: float
    ok_height: float
    bad_y: float
    bad_height: float
    succeeded: int
    failed: int

    @property
    def centre(self) -> float:
        return self.x + self.width / 2

    @property
    def title(self) -> str:
        return f"{self.day:%a %d %b %Y}: {self.succeeded} synced, {self.failed} failed"


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    left: float
    right: float
    baseline: float
    """The y of the zero line."""
    top_value: int
    bars: list[Bar]
    ticks: list[Tick]

    @property
    def empty(self) -> bool:
        return all(b.succeeded == 0 and b.failed == 0 for b in self.bars)

    @property
    def label_y(self) -> float:
        return self.baseline + 15


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50... at or above ``value`` (1 for nothing)."""
    if value <= 1:
        return 1
    power: int = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover (the loop always returns)


def bar_chart(days: Sequence[Day], width: float = WIDTH, height: float = HEIGHT) -> Chart:
    """The chart of ``days`` (oldest first) in a ``width`` by ``height`` box."""
    baseline = height - BOTTOM
    plot_height = baseline - TOP
    plot_width = width - LEFT - RIGHT
    top_value = nice_ceiling(max((d.succeeded + d.failed for d in days), default=0))
    scale = plot_height / top_value
    slot = plot_width / len(days) if days else plot_width
    bar_width = slot * BAR_SHARE
    every = max(1, math.ceil(len(days) / MAX_LABELS))
    bars = []
    for i, d in enumerate(days):
        ok_height = d.succeeded * scale
        bad_height = d.failed * scale
        bars.append(
            Bar(
                day=d.day,
                label=f"{d.day.day} {d.day:%b}" if (len(days) - 1 - i) % every == 0 else "",
                x=round(LEFT + i * slot + (slot - bar_width) / 2, 2),
                width=round(bar_width, 2),
                ok_y=round(baseline - ok_height, 2),
                ok_height=round(ok_height, 2),
                bad_y=round(baseline - ok_height - bad_height, 2),
                bad_height=round(bad_height, 2),
                succeeded=d.succeeded,
                failed=d.failed,
            )
        )
    values = [0, top_value // 2, top_value] if top_value % 2 == 0 else [0, top_value]
    ticks = [Tick(round(baseline - v * scale, 2), v) for v in values]
    return Chart(width, height, LEFT, width - RIGHT, baseline, top_value, bars, ticks)
