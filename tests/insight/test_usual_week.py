"""The usual week on the person's clock: daylight-saving changes, blocked hours, the baseline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.fixtures import WEEK_S
from tracker.insight.forecast import average_projection
from tracker.insight.usual_week import build_profile
from tracker.points import Point

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2026, 10, 12, tzinfo=UTC)  # three weeks later Berlin leaves summer time (Oct 25)


def office(weeks: int, zone, per_hour: float = 1.0, cap: float = 100.0) -> list[Point]:
    """Work from 09:00 to 17:00 local on weekdays, readings every 10 minutes, weekly resets."""
    points, used, reset = [], 0.0, MONDAY + timedelta(weeks=1)
    t = MONDAY
    while t < MONDAY + timedelta(weeks=weeks):
        if t >= reset:
            used, reset = 0.0, reset + timedelta(weeks=1)
        local = t.astimezone(zone)
        if local.weekday() < 5 and 9 <= local.hour < 17:
            used = min(cap, used + per_hour / 6)
        points.append(Point(t, float(round(used, 3)), reset))
        t += timedelta(minutes=10)
    return points


def test_the_profile_keeps_nine_o_clock_across_the_clock_change():
    history = office(4, BERLIN)  # two weeks of summer time, two of winter time
    until = MONDAY + timedelta(weeks=4)
    local = build_profile(history, WEEK_S, until, BERLIN)
    utc = build_profile(history, WEEK_S, until, UTC)
    assert local.rates[8] == 0.0 and local.rates[9] == pytest.approx(1.0, abs=0.05)  # Monday 08:00 / 09:00
    assert local.rates[16] == pytest.approx(1.0, abs=0.05) and local.rates[17] == 0.0
    # on the UTC clock the day moved by an hour: 07:00 UTC (09:00 CEST) and 08:00 UTC (09:00 CET) both work
    assert utc.rates[7] > 0.2 and utc.rates[8] > 0.9 and utc.rates[15] > 0.2
    # the week after the change: Monday 09:00-12:00 local is three usual hours, not two or four
    monday = datetime(2026, 11, 9, 9, tzinfo=BERLIN)
    assert local.expected(monday, monday + timedelta(hours=3)) == pytest.approx(3.0, abs=0.15)


def test_hours_blocked_every_week_take_the_same_hour_of_other_days():
    # 3 %/h over eight working hours: 96 by Thursday evening, blocked early on Friday every week
    history = office(4, UTC, per_hour=3.0)
    profile = build_profile(history, WEEK_S, MONDAY + timedelta(weeks=4), UTC)
    friday_11 = profile.rates[4 * 24 + 11]  # blocked from about 10:20 on
    assert friday_11 == pytest.approx(profile.rates[11], rel=0.1)  # Monday 11:00's rate, not zero
    assert friday_11 > 2 * sum(profile.rates) / 168  # nor the overall pace (nights included)
    # the weekend was blocked too, every week: nothing says how they use it, so the overall pace
    saturday_10 = profile.rates[5 * 24 + 10]
    assert saturday_10 == pytest.approx(profile.rates[6 * 24 + 3]) and 0 < saturday_10 < friday_11 / 2


def test_the_window_average_baseline():
    reset = MONDAY + timedelta(weeks=1)
    half = [Point(MONDAY + timedelta(days=3, hours=12), 25.0, reset)]
    assert average_projection(half, half[0].at, WEEK_S) == pytest.approx(50.0)
    busy = [Point(MONDAY + timedelta(days=1), 40.0, reset)]
    assert average_projection(busy, busy[0].at, WEEK_S) == 100.0  # capped
    assert average_projection(busy, reset, WEEK_S) is None  # the window is over


def workdays(weeks: int, works, per_hour: float = 1.0) -> list[Point]:
    """Readings every 10 minutes (UTC), weekly resets on Monday; ``works(week, weekday, hour)``
    is the rate (weekly % per hour) in that hour."""
    points, used, reset = [], 0.0, MONDAY + timedelta(weeks=1)
    t = MONDAY
    while t < MONDAY + timedelta(weeks=weeks):
        if t >= reset:
            used, reset = 0.0, reset + timedelta(weeks=1)
        used = min(100.0, used + works((t - MONDAY).days // 7, t.weekday(), t.hour) * per_hour / 6)
        points.append(Point(t, float(round(used, 3)), reset))
        t += timedelta(minutes=10)
    return points


def test_a_day_never_worked_keeps_its_own_shape():
    # Monday to Thursday 09-17, never on Friday: the habit is in every week, so Friday stays free
    history = workdays(4, lambda week, day, hour: 1.0 if day < 4 and 9 <= hour < 17 else 0.0)
    profile = build_profile(history, WEEK_S, MONDAY + timedelta(weeks=4), UTC)
    assert profile.rates[4 * 24 + 11] == pytest.approx(0.0, abs=0.01)  # Friday 11:00
    assert profile.rates[11] == pytest.approx(1.0, abs=0.05)  # Monday 11:00


def test_a_burst_on_a_different_day_each_week_is_spread_over_the_weekdays():
    # office hours, plus a deadline day at 4 %/h on Monday, then Tuesday, Wednesday, Thursday:
    # four values per hour of the week cannot tell a habit from chance, the days are pooled
    def works(week, day, hour):
        if day >= 5 or not 9 <= hour < 17:
            return 0.0
        return 4.0 if day == week else 1.0

    history = workdays(4, works, per_hour=0.5)
    profile = build_profile(history, WEEK_S, MONDAY + timedelta(weeks=4), UTC)
    weekdays_11 = [profile.rates[d * 24 + 11] for d in range(5)]
    assert max(weekdays_11) == pytest.approx(min(weekdays_11), rel=0.01)
    # the week's total is kept: one burst day of four, weighed by recency
    assert sum(profile.rates) == pytest.approx(sum(weekdays_11) * 8, rel=0.01)
    assert min(weekdays_11) > 0.5  # more than the plain office rate: the bursts are in the average


def test_weeks_that_ran_out_do_not_make_the_range():
    # 3 %/h: every week stops at 100 % on Friday; a stopped week's ratio is only a lower bound
    blocked = build_profile(office(4, UTC, per_hour=3.0), WEEK_S, MONDAY + timedelta(weeks=4), UTC)
    assert blocked.ratios == ()
    lasted = build_profile(office(4, UTC, per_hour=1.0), WEEK_S, MONDAY + timedelta(weeks=4), UTC)
    assert len(lasted.ratios) >= 2
