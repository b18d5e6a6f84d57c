"""Pure figures from stored points: windows and their resets, slopes, daily use (the forecast
built on them is in ``tracker.insight.forecast``).

Points in, numbers out: no database, no clock (``now`` is an argument), so every rule here is
covered by table-driven tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta, tzinfo

from tracker.points import Point

DROP_TOLERANCE = 1.0  # a fall of used % by at least this much is a reset, not rounding noise


def jitter_tolerance(window_seconds: int | None) -> float:
    """How far reset_at may move between snapshots of one window (it is derived, it jitters)."""
    if not window_seconds:
        return 300.0
    return min(1800.0, max(60.0, window_seconds * 0.1))


def is_reset_between(a: Point, b: Point, window_seconds: int | None) -> bool:
    """Whether a new window began between two consecutive points."""
    if b.used_percent <= a.used_percent - DROP_TOLERANCE:
        return True
    if a.reset_at is not None:
        if b.reset_at is not None and (b.reset_at - a.reset_at).total_seconds() > jitter_tolerance(window_seconds):
            return True
        if b.at >= a.reset_at + timedelta(seconds=5):
            return True
    return False


def current_window(points: Sequence[Point], window_seconds: int | None) -> list[Point]:
    """The points after the last reset, oldest first (input order does not matter)."""
    ordered = sorted(points, key=lambda p: p.at)
    start = 0
    for i in range(1, len(ordered)):
        if is_reset_between(ordered[i - 1], ordered[i], window_seconds):
            start = i
    return ordered[start:]


def split_windows(points: Sequence[Point], window_seconds: int | None) -> list[list[Point]]:
    """All windows in order, each a list of its points (charts draw them as separate lines)."""
    ordered = sorted(points, key=lambda p: p.at)
    windows: list[list[Point]] = []
    for i, point in enumerate(ordered):
        if i == 0 or is_reset_between(ordered[i - 1], point, window_seconds):
            windows.append([])
        windows[-1].append(point)
    return windows


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
    """Percentage points consumed per local day: the sum of increases, so a reset is not negative use.

    Within a window each rise counts; across a reset, the first value of the new window counts
    as consumed from zero.
    """
    ordered = sorted(points, key=lambda p: p.at)
    totals: dict[date, float] = {}
    for prev, cur in zip(ordered, ordered[1:], strict=False):
        if is_reset_between(prev, cur, window_seconds):
            rise = cur.used_percent
        else:
            rise = max(0.0, cur.used_percent - prev.used_percent)
        day = cur.at.astimezone(tz).date()
        totals[day] = totals.get(day, 0.0) + rise
    return totals


