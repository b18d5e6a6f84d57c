"""Readings of one window for the analysis, forecast and backtest tests (a Friday, 09:00 UTC)."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from tracker.points import Point

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
FIVE_H = 18000
WEEK_S = 604800
MONDAY = datetime(2026, 11, 2, tzinfo=UTC)


def pts(values, reset=T0 + 5 * H, step_min=5, start=T0, jitter=0):
    rng = random.Random(1)
    return [Point(start + timedelta(minutes=i * step_min), float(v),
                  None if reset is None else reset + timedelta(seconds=rng.randint(-jitter, jitter)))
            for i, v in enumerate(values)]


def at_minutes(m):
    return T0 + timedelta(minutes=m)


def workweek(weeks, start=MONDAY, per_hour=1.0, heavy=None, step=H, reset_offset=timedelta(0)):
    """Hourly (or finer) readings of a weekly window: work hours 9-17 on weekdays use ``per_hour``
    points each (scaled per week by ``heavy``), nights and weekends nothing; whole percents."""
    points, t, used = [], start, 0.0
    reset = start + reset_offset + timedelta(weeks=1)
    end = start + timedelta(weeks=weeks)
    while t < end:
        if t >= reset:
            used, reset = 0.0, reset + timedelta(weeks=1)
        week = int((t - start) / timedelta(weeks=1))
        if t.weekday() < 5 and 9 <= t.hour < 17:
            used = min(100.0, used + per_hour * (heavy[week] if heavy else 1.0) * (step / H))
        points.append(Point(t, float(math.floor(used)), reset))
        t += step
    return points
