"""Pure figures from stored points: windows (read from ``tracker.insight.timeline``, the one place
resets are decided), slopes, daily use (the forecast built on them is in ``tracker.insight.forecast``).

Points in, numbers out: no database, no clock (``now`` is an argument), so every rule here is
covered by table-driven tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, tzinfo

from tracker.insight.timeline import build_timeline, daily_use, jitter_tolerance
from tracker.points import Point

__all__ = ["current_window", "daily_consumption", "jitter_tolerance", "least_squares_rate", "split_windows"]


def split_windows(points: Sequence[Point], window_seconds: int | None) -> list[list[Point]]:
    """All windows in order, each a list of its readings as stored (charts draw them as separate
    lines): the timeline's windows (``tracker.insight.timeline``)."""
    return [list(span.readings) for span in build_timeline(points, window_seconds)]


def current_window(points: Sequence[Point], window_seconds: int | None) -> list[Point]:
    """The current window's readings with their derived use (the running maximum) and the window's
    robust reset time, oldest first (input order does not matter)."""
    spans = build_timeline(points, window_seconds)
    return spans[-1].derived() if spans else []


def least_squares_rate(points: Sequence[Point]) -> float | None:
    """Slope of used % against time, in percent per hour; None with fewer than two instants."""
    if len(points) < 2:
        return None
    t0 = points[0].at
    xs = [(p.at - t0).total_seconds() / 3600.0 for p in points]
    ys = [p.used_percent for p in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mean_x) ** 2 for x in xs)
    if var == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / var
    return max(0.0, slope)


def daily_consumption(points: Sequence[Point], window_seconds: int | None, tz: tzinfo) -> dict[date, float]:
    """Percentage points consumed per local day (``timeline.daily_use``): the rises of each window's
    running maximum, so neither a reset nor interleaved readings count as negative or double use."""
    return daily_use(build_timeline(points, window_seconds), tz)
