"""Linked tickets per hour: bar geometry for the incident page's chart."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from service.web.admin.chart import AXIS, HEADROOM, HEIGHT, WIDTH, hourly_chart

T0 = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def per_hour(*moments):
    return Counter(m.replace(minute=0, second=0, microsecond=0) for m in moments)


def test_nothing_to_draw():
    assert hourly_chart({}) is None


def test_one_bar_per_hour_including_empty_hours():
    chart = hourly_chart(per_hour(T0, T0 + timedelta(minutes=5), T0 + timedelta(hours=2)))
    assert [b.count for b in chart.bars] == [2, 0, 1]
    assert chart.total == 3 and chart.peak == 2
    assert chart.bars[0].height == HEIGHT - AXIS - HEADROOM and chart.bars[0].y == HEADROOM
    assert chart.bars[1].height == 0 and chart.bars[1].y == HEIGHT - AXIS
    assert chart.bars[-1].x + chart.bars[-1].width <= WIDTH


def test_naive_times_are_utc_and_long_spans_keep_the_latest_hours():
    naive = T0.replace(tzinfo=None)
    chart = hourly_chart(per_hour(naive, naive + timedelta(hours=100)), max_hours=48)
    assert len(chart.bars) == 48
    assert chart.total == 1
    assert chart.bars[-1].hour == datetime(2026, 11, 26, 13, tzinfo=UTC)
