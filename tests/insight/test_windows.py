"""The pure rules under the forecast: windows, resets, slopes, daily use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.fixtures import FIVE_H, H, at_minutes, pts
from tests.fixtures import POINTS_T0 as T0
from tracker.insight.windows import current_window, daily_consumption, least_squares_rate
from tracker.points import Point


def test_reset_at_moving_a_whole_window_after_the_old_reset_is_a_reset_even_without_a_drop():
    a = pts([5, 5], reset=T0 + 5 * H)
    b = pts([5, 5], reset=T0 + 10 * H, start=T0 + 5 * H + 10 * timedelta(minutes=1))
    assert len(current_window(a + b, FIVE_H)) == 2
    moved = pts([5, 5], reset=T0 + 10 * H, start=at_minutes(10))  # before the old reset: moved, same window
    assert len(current_window(a + moved, FIVE_H)) == 4


def test_an_idle_window_whose_reset_time_floats_is_no_reset():
    a = pts([0, 0], reset=T0 + 5 * H)
    b = pts([0, 0], reset=T0 + 10 * H, start=at_minutes(10))
    assert len(current_window(a + b, FIVE_H)) == 4


def test_reset_at_jitter_is_not_a_reset():
    assert len(current_window(pts([10 + i for i in range(13)], jitter=4), FIVE_H)) == 13


def test_least_squares_needs_two_instants():
    assert least_squares_rate([]) is None
    assert least_squares_rate([Point(T0, 1, None), Point(T0, 2, None)]) is None
    assert least_squares_rate([Point(T0, 5, None), Point(T0 + H, 3, None)]) == 0.0  # never negative


def test_daily_consumption_counts_increases_across_resets():
    reset1 = T0 + 20 * H
    day1 = [Point(T0 + i * H, v, reset1) for i, v in enumerate([10, 20, 20, 35])]  # +25 on 20 Nov
    after = [Point(T0 + (24 + i) * H, v, reset1 + 7 * 24 * H) for i, v in enumerate([5, 15])]  # reset: +5, +10
    totals = daily_consumption(day1 + after, 604800, UTC)
    assert totals == {datetime(2026, 11, 20).date(): 25.0, datetime(2026, 11, 21).date(): 15.0}


def test_daily_consumption_follows_the_time_zone():
    from zoneinfo import ZoneInfo

    points = [Point(T0 + timedelta(hours=14), 10, None), Point(T0 + timedelta(hours=16), 30, None)]  # 23:00 and 01:00 UTC
    assert list(daily_consumption(points, 604800, UTC)) == [datetime(2026, 11, 21).date()]
    assert list(daily_consumption(points, 604800, ZoneInfo("America/New_York"))) == [datetime(2026, 11, 20).date()]
