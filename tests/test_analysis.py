"""The pure forecasting rules, table-driven."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from tracker.analysis import current_window, daily_consumption, least_squares_rate, window_figures
from tracker.points import Point

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
FIVE_H = 18000


def pts(values, reset=T0 + 5 * H, step_min=5, start=T0, jitter=0):
    rng = random.Random(1)
    return [Point(start + timedelta(minutes=i * step_min), float(v),
                  None if reset is None else reset + timedelta(seconds=rng.randint(-jitter, jitter)))
            for i, v in enumerate(values)]


def at_minutes(m):
    return T0 + timedelta(minutes=m)


def figures(points, now, lookback=H, window=FIVE_H):
    return window_figures(points, now, lookback, window)


def test_steady_use():
    points = pts([10 + 20 * i / 12 for i in range(13)], reset=T0 + 3 * H)  # 20 %/h for an hour
    f = figures(points, at_minutes(60))
    assert f.burn_rate == pytest.approx(20.0)
    assert f.used_percent == pytest.approx(30.0)
    assert f.exhausts_at == at_minutes(60) + timedelta(hours=70 / 20)  # 13:30, after the 12:00 reset
    assert f.exhausts_before_reset is False
    assert f.safe_rate == pytest.approx(70 / 2)


def test_steady_use_exhausts_before_reset():
    points = pts([50 + 20 * i / 12 for i in range(13)])
    f = figures(points, at_minutes(60))
    assert f.exhausts_at == at_minutes(60) + timedelta(hours=30 / 20)
    assert f.exhausts_before_reset is True


def test_reset_in_the_middle_of_the_lookback_ignores_the_old_window():
    old = pts([80, 85, 90, 95], reset=T0 + 20 * timedelta(minutes=1))
    new = pts([0, 1, 2, 3, 4, 5], reset=T0 + 20 * timedelta(minutes=1) + 5 * H, start=at_minutes(20))
    f = figures(old + new, at_minutes(45))
    assert f.burn_rate == pytest.approx(12.0)
    assert f.points_used == 6


def test_reset_at_jitter_is_not_a_reset():
    points = pts([10 + i for i in range(13)], jitter=4)
    assert len(current_window(points, FIVE_H)) == 13
    assert figures(points, at_minutes(60)).burn_rate == pytest.approx(12.0)


def test_integer_steps_give_a_steady_rate():
    values = [math.floor(10 + 7.5 * i / 12) for i in range(13)]
    rate = figures(pts(values), at_minutes(60)).burn_rate
    assert 6.0 <= rate <= 9.0
    # one more integer step does not swing it wildly
    values2 = [math.floor(10 + 7.5 * i / 12) for i in range(1, 14)]
    rate2 = figures(pts(values2, start=at_minutes(5)), at_minutes(65)).burn_rate
    assert abs(rate2 - rate) < 2.5


def test_flat_line():
    f = figures(pts([40] * 13), at_minutes(60))
    assert f.burn_rate == 0.0
    assert f.exhausts_at is None and f.exhausts_before_reset is False


def test_single_snapshot():
    f = figures(pts([40]), at_minutes(1))
    assert f.burn_rate is None and f.exhausts_at is None
    assert f.remaining_percent == 60.0


def test_out_of_order_timestamps():
    points = pts([10 + 20 * i / 12 for i in range(13)])
    shuffled = points[:]
    random.Random(7).shuffle(shuffled)
    assert figures(shuffled, at_minutes(60)) == figures(points, at_minutes(60))


def test_exhausted_window():
    points = pts([90, 95, 100, 100, 100])
    f = figures(points, at_minutes(20))
    assert f.remaining_percent == 0.0
    assert f.exhausts_at == at_minutes(10)
    assert f.exhausts_before_reset is True


def test_weekly_runs_out_before_reset_while_five_hour_does_not():
    five = pts([10 + 10 * i / 12 for i in range(13)], reset=at_minutes(120))  # 20 % at 10 %/h, 1 h left
    weekly = pts([88 + 2 * i / 12 for i in range(13)], reset=at_minutes(60) + 10 * H)  # 90 % at 2 %/h
    f5 = figures(five, at_minutes(60))
    fw = window_figures(weekly, at_minutes(60), H, 604800)
    assert f5.exhausts_before_reset is False
    assert fw.exhausts_before_reset is True
    assert fw.exhausts_at == at_minutes(60) + 5 * H


def test_reset_passed_since_the_last_snapshot():
    f = figures(pts([50, 60], reset=at_minutes(30)), at_minutes(40))
    assert f.reset_since_last_snapshot
    assert (f.used_percent, f.remaining_percent, f.burn_rate, f.reset_at) == (0.0, 100.0, None, None)


def test_reset_at_moving_a_whole_window_is_a_reset_even_without_a_drop():
    a = pts([0, 0], reset=T0 + 5 * H)
    b = pts([0, 0], reset=T0 + 10 * H, start=at_minutes(10))
    assert len(current_window(a + b, FIVE_H)) == 2


def test_lookback_limits_the_points():
    values = [0] * 12 + [i for i in range(13)]  # idle hour then 12 %/h
    f = figures(pts(values), at_minutes(120))
    assert f.burn_rate == pytest.approx(12.0)
    f2 = figures(pts(values), at_minutes(120), lookback=2 * H)
    assert f2.burn_rate < 12.0


def test_future_points_are_ignored():
    points = pts([10, 20, 30, 40])
    assert figures(points, at_minutes(5)).used_percent == 20.0


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
