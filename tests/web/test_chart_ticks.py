"""The activity chart's time axis: labels never overlap, whatever the number of buckets."""
from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from registry.history.activity import Activity, Bucket
from registry.web.history.chart import WIDTH, bar_chart, label_width


def activity(unit: str, n: int) -> Activity:
    step = {"day": 1, "week": 7, "month": 31}[unit]
    start = date(2024, 1, 1)
    return Activity(unit, [Bucket(start + timedelta(days=i * step), start + timedelta(days=(i + 1) * step), i % 3)
                           for i in range(n)])


@pytest.mark.parametrize("unit", ["day", "week", "month"])
@pytest.mark.parametrize("n", [1, 2, 9, 12, 15, 16, 17, 23, 40, 61, 100, 365])
def test_tick_labels_never_overlap_and_fit_before_the_edge(unit, n):
    ticks = bar_chart(activity(unit, n)).ticks
    assert ticks, "the axis has at least one label"
    for left, right in pairwise(ticks):
        assert left.x + label_width(left.label) < right.x, (left, right)
    assert ticks[-1].x + label_width(ticks[-1].label) <= WIDTH


def test_fifteen_days_get_about_eight_labels_not_fifteen():
    # 15 buckets made `len // 8` = 1: every day labelled, 45 px apart for a 70 px date (overlapping)
    assert 4 <= len(bar_chart(activity("day", 15)).ticks) <= 8
