"""Linked tickets per hour as bar geometry, drawn by the template as inline SVG."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from service.domain.moments import utc

WIDTH = 960
HEIGHT = 200
AXIS = 22  # room under the bars for hour labels
HEADROOM = 18  # room above the tallest bar for its count
MAX_HOURS = 48


@dataclass(frozen=True)
class Bar:
    hour: datetime
    count: int
    x: float
    y: float
    width: float
    height: float
    labelled: bool


@dataclass(frozen=True)
class HourlyChart:
    bars: tuple[Bar, ...]
    peak: int
    total: int
    width: int = WIDTH
    height: int = HEIGHT
    axis: int = AXIS


def hourly_chart(per_hour: Mapping[datetime, int], max_hours: int = MAX_HOURS) -> HourlyChart | None:
    """One bar per hour from the first hour counted to the last (at most ``max_hours``, the latest
    kept), empty hours included; None when there is nothing to draw."""
    hours: dict[datetime, int] = {}
    for start, count in per_hour.items():
        hour = utc(start).replace(minute=0, second=0, microsecond=0)
        hours[hour] = hours.get(hour, 0) + count
    if not hours:
        return None
    last = max(hours)
    first = max(min(hours), last - timedelta(hours=max_hours - 1))
    span = int((last - first).total_seconds() // 3600) + 1
    peak = max(hours.get(first + timedelta(hours=i), 0) for i in range(span))
    slot = WIDTH / span
    label_every = max(1, span // 8)
    plot = HEIGHT - AXIS - HEADROOM
    bars = []
    for i in range(span):
        hour = first + timedelta(hours=i)
        count = hours.get(hour, 0)
        height = plot * count / peak
        bars.append(
            Bar(
                hour=hour,
                count=count,
                x=i * slot + slot * 0.1,
                y=HEADROOM + plot - height,
                width=slot * 0.8,
                height=height,
                labelled=i % label_every == 0,
            )
        )
    return HourlyChart(bars=tuple(bars), peak=peak, total=sum(b.count for b in bars))
