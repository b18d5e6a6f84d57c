"""Pure figures from stored points: current window, burn rate, exhaustion, daily use.

Points in, numbers out: no database, no clock (``now`` is an argument), so every rule here is
covered by table-driven tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from tracker.points import Point

DROP_TOLERANCE = 1.0  # a fall of used % by at least this much is a reset, not rounding noise


@dataclass
class WindowFigures:
    used_percent: float
    remaining_percent: float
    reset_at: datetime | None
    last_at: datetime
    burn_rate: float | None  # percent per hour over the current window's recent points
    safe_rate: float | None  # the rate that would just last until the reset
    exhausts_at: datetime | None
    exhausts_before_reset: bool | None
    reset_since_last_snapshot: bool = False
    points_used: int = 0


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


def window_figures(
    points: Sequence[Point], now: datetime, lookback: timedelta, window_seconds: int | None
) -> WindowFigures | None:
    """Balance, burn rate, safe pace and predicted exhaustion of the current window at ``now``."""
    window = current_window([p for p in points if p.at <= now], window_seconds)
    if not window:
        return None
    last = window[-1]
    if last.reset_at is not None and now >= last.reset_at:
        return WindowFigures(0.0, 100.0, None, last.at, None, None, None, False, reset_since_last_snapshot=True)
    recent = [p for p in window if p.at >= now - lookback]
    if len(recent) < 2:
        recent = window[-2:]
    rate = least_squares_rate(recent)
    used = last.used_percent
    remaining = max(0.0, 100.0 - used)
    hours_left = (last.reset_at - now).total_seconds() / 3600.0 if last.reset_at else None
    safe = remaining / hours_left if hours_left and hours_left > 0 else None
    exhausts_at: datetime | None = None
    if used >= 100.0:
        exhausts_at = next(p.at for p in window if p.used_percent >= 100.0)
    elif rate:
        exhausts_at = now + timedelta(hours=remaining / rate)
    before = None
    if exhausts_at is not None and last.reset_at is not None:
        before = exhausts_at < last.reset_at
    elif exhausts_at is None:
        before = False
    return WindowFigures(
        used_percent=used, remaining_percent=round(remaining, 6), reset_at=last.reset_at, last_at=last.at,
        burn_rate=rate, safe_rate=safe, exhausts_at=exhausts_at, exhausts_before_reset=before,
        points_used=len(recent),
    )


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
