"""The forecast, table-driven: the five-hour slope and its evidence, idleness, the long window's
profile and its fallback, the range, past resets."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures import FIVE_H, MONDAY, WEEK_S, H, at_minutes, deadline_week, pts, workweek
from tests.fixtures import POINTS_T0 as T0
from tracker.insight.forecast import (
    SESSION_HOURS,
    SESSION_PACE,
    evidenced_rate,
    forecast_window,
)
from tracker.insight.outlook import STOP_HOURS, STOP_SHARE
from tracker.insight.usual_week import Profile, build_profile
from tracker.insight.windows import current_window, least_squares_rate
from tracker.points import Point


def naive_projection(points, now, window_seconds):
    """The old straight line through the last hour, carried to the reset (what the forecast replaced)."""
    window = current_window([p for p in points if p.at <= now], window_seconds)
    recent = [p for p in window if p.at >= now - H] or window[-2:]
    rate = least_squares_rate(recent if len(recent) > 1 else window[-2:]) or 0.0
    return min(100.0, window[-1].used_percent + rate * (window[-1].reset_at - now).total_seconds() / 3600.0)


def five(points, now):
    return forecast_window(points, now, FIVE_H)


# -- the five-hour window --------------------------------------------------------------------

def test_steady_use_follows_the_recent_slope():
    f = five(pts([10 + 20 * i / 12 for i in range(13)], reset=T0 + 3 * H), at_minutes(60))
    assert f.method == "recent-slope"
    assert f.burn_rate == pytest.approx(20.0)
    assert f.used_percent == pytest.approx(30.0)
    # the session goes on for SESSION_HOURS on average at SESSION_PACE of its slope, then stops:
    # 20 x 0.8 x 2 x (1 - e^-1) = 20.2 more, where a straight line would say 40 more (the backtest
    # of bench/population.py: error 13.4 -> 8.9 points, late verdicts 91 % -> 95 %; the pace, 8.7
    # -> 8.5 points, and the probability's tenths within 11-13 points instead of 21)
    more = 20.0 * SESSION_PACE * SESSION_HOURS * (1 - math.exp(-2 / SESSION_HOURS))
    assert f.projected == pytest.approx(30 + more)
    assert f.exhausts_at == at_minutes(60) + timedelta(hours=70 / 20)  # at 20 %/h: 13:30, after the 12:00 reset
    assert f.exhausts_before_reset is False
    assert f.safe_rate == pytest.approx(70 / 2)
    assert f.path[0] == (at_minutes(60), 30.0) and f.path[-1] == (T0 + 3 * H, pytest.approx(30 + more))
    assert f.path[1][1] - 30 > f.path[-1][1] - f.path[-2][1]  # the first hour adds more than the last


def test_a_session_that_outruns_its_expected_end_still_runs_out():
    f = five(pts([70 + 20 * i / 12 for i in range(13)]), at_minutes(60))  # 90 %, 10 left, 3 h to go
    crossing = at_minutes(60) + timedelta(
        hours=-SESSION_HOURS * math.log(1 - 10 / (20 * SESSION_PACE * SESSION_HOURS)))
    assert f.exhausts_before_reset is True and f.projected == 100.0
    assert abs((f.exhausts_at - crossing).total_seconds()) < 300  # the path is hourly, linear in between


def test_steady_use_exhausts_before_reset():
    f = five(pts([55 + 20 * i / 12 for i in range(13)]), at_minutes(60))  # 75 %, 4 h to go
    assert f.projected == 100.0
    assert f.exhausts_at > at_minutes(60) + timedelta(hours=25 / 20)  # later than the straight line
    assert f.exhausts_before_reset is True and f.run_out_probability >= 0.5


def test_reset_in_the_middle_of_the_lookback_ignores_the_old_window():
    old = pts([80, 85, 90, 95], reset=T0 + 20 * timedelta(minutes=1))
    new = pts([0, 1, 2, 3, 4, 5], reset=T0 + 20 * timedelta(minutes=1) + 5 * H, start=at_minutes(20))
    assert five(old + new, at_minutes(45)).burn_rate == pytest.approx(12.0)


def test_integer_steps_give_a_steady_rate():
    values = [math.floor(10 + 7.5 * i / 12) for i in range(13)]
    rate = five(pts(values), at_minutes(60)).burn_rate
    assert 6.0 <= rate <= 9.0
    values2 = [math.floor(10 + 7.5 * i / 12) for i in range(1, 14)]
    assert abs(five(pts(values2, start=at_minutes(5)), at_minutes(65)).burn_rate - rate) < 2.5


@pytest.mark.parametrize("seconds_apart", [1, 20, 90])
def test_readings_seconds_apart_give_no_rate_and_no_runs_out(seconds_apart):
    """42 -> 44 % in a few seconds once gave several hundred %/h and 'runs out in minutes'."""
    start = T0 + 2 * H  # the five-hour window began two hours ago
    points = [Point(start, 42.0, T0 + 5 * H), Point(start + timedelta(seconds=seconds_apart), 44.0, T0 + 5 * H)]
    f = five(points, points[-1].at)
    assert f.burn_rate is None and f.method == "thin-evidence"
    assert f.exhausts_before_reset is False
    assert f.projected == 44.0
    weekly = forecast_window([Point(p.at, p.used_percent, T0 + 3 * 24 * H) for p in points], points[-1].at, WEEK_S)
    assert weekly.burn_rate is None and weekly.exhausts_before_reset is False


def test_one_whole_step_is_too_thin_for_a_rate():
    assert evidenced_rate(pts([10, 10, 10, 11])) is None  # 15 minutes, one step
    assert evidenced_rate(pts([10, 10, 10, 10])) == 0.0  # flat over 15 minutes: idle, not unknown
    assert evidenced_rate(pts([10, 11])) is None  # 5 minutes: too short a span
    assert evidenced_rate(pts([10, 11, 12])) == pytest.approx(12.0)


def test_idle_after_half_an_hour_without_a_rise():
    values = [10 + i for i in range(13)] + [22] * 7  # an hour of work, then 35 minutes of nothing
    f = five(pts(values), at_minutes(95))
    assert f.method == "idle"
    assert f.projected == 22.0 and f.expected_rate == 0.0
    assert f.exhausts_at is None and f.exhausts_before_reset is False
    assert five(pts(values[:16]), at_minutes(75)).method == "recent-slope"  # 15 minutes: still working


def test_sparse_session_readings_mean_idle_once_they_stop():
    points = pts([5, 9, 14], step_min=10)  # readings only while Codex is in use
    assert five(points, at_minutes(25)).method == "recent-slope"
    assert five(points, at_minutes(80)).method == "idle"


def test_single_snapshot():
    f = five(pts([40]), at_minutes(1))
    assert f.burn_rate is None and f.exhausts_at is None
    assert f.remaining_percent == 60.0
    assert f.method == "thin-evidence" and f.projected == 40.0


def test_out_of_order_timestamps():
    points = pts([10 + 20 * i / 12 for i in range(13)])
    shuffled = points[:]
    random.Random(7).shuffle(shuffled)
    assert five(shuffled, at_minutes(60)) == five(points, at_minutes(60))


def test_future_points_are_ignored():
    assert five(pts([10, 20, 30, 40]), at_minutes(5)).used_percent == 20.0


def test_exhausted_window():
    f = five(pts([90, 95, 100, 100, 100]), at_minutes(20))
    assert f.remaining_percent == 0.0 and f.method == "exhausted"
    assert f.exhausts_at == at_minutes(10)
    assert f.exhausts_before_reset is True


def test_pace_delta_against_an_even_pace():
    # the five-hour window began at 09:00 (reset 14:00); at 10:00 an even pace is at 20 %
    f = five(pts([10 + 20 * i / 12 for i in range(13)]), at_minutes(60))
    assert f.pace_delta == pytest.approx(10.0)


# -- past resets (issue 12) ------------------------------------------------------------------

def test_reset_passed_since_the_last_snapshot_shows_what_was_read():
    f = five(pts([50, 60], reset=at_minutes(30)), at_minutes(40))
    assert f.reset_since_last_snapshot and not f.reading_past_reset
    assert (f.used_percent, f.remaining_percent, f.burn_rate, f.reset_at) == (60.0, 40.0, None, at_minutes(30))
    assert f.projected is None and f.exhausts_before_reset is False


def test_a_reading_that_names_a_past_reset_is_flagged():
    f = five([Point(at_minutes(10), 42.0, T0)], at_minutes(11))
    assert (f.used_percent, f.reading_past_reset, f.reset_since_last_snapshot) == (42.0, True, True)


# -- long windows ----------------------------------------------------------------------------

def test_profile_integrates_over_fractions_and_week_boundaries():
    rates = tuple(1.0 if h % 24 == 9 else 0.0 for h in range(168))  # one point at 09:00-10:00 each day
    profile = Profile(rates)
    monday = MONDAY
    assert profile.expected(monday, monday + timedelta(weeks=1)) == pytest.approx(7.0)
    assert profile.expected(monday + timedelta(hours=9, minutes=30), monday + timedelta(hours=10)) == pytest.approx(0.5)
    assert profile.expected(monday + timedelta(days=6), monday + timedelta(days=8)) == pytest.approx(2.0)
    assert profile.expected(monday + H, monday) == 0.0


def test_profile_learns_the_work_week():
    history = workweek(3)
    profile = build_profile(history, WEEK_S, MONDAY + timedelta(weeks=3))
    monday_10 = profile.rates[10]
    saturday_10 = profile.rates[5 * 24 + 10]
    monday_3 = profile.rates[3]
    assert monday_10 == pytest.approx(1.0, abs=0.2)
    assert saturday_10 == 0.0 and monday_3 == 0.0
    assert profile.expected(MONDAY, MONDAY + timedelta(weeks=1)) == pytest.approx(40, abs=3)


def test_profile_needs_most_of_a_week():
    assert build_profile(workweek(1)[:100], WEEK_S, MONDAY + 100 * H) is None


def weekly_forecast(weeks_of_history, now, heavy=None, per_hour=1.0):
    points = workweek(weeks_of_history + 1, per_hour=per_hour, heavy=heavy)
    start = MONDAY + timedelta(weeks=weeks_of_history)
    profile = build_profile([p for p in points if p.at < start], WEEK_S, start)
    return forecast_window([p for p in points if p.at <= now], now, WEEK_S, profile)


def test_weekly_forecast_knows_nights_and_weekends():
    # Wednesday 12:00 of a usual week: 2.5 work days done (19 %), 2.5 to come -> about 40 at reset
    now = MONDAY + timedelta(weeks=3, days=2, hours=12)
    f = weekly_forecast(3, now)
    assert f.method == "profile"
    assert f.projected == pytest.approx(40, abs=3)
    assert f.exhausts_before_reset is False
    # the path bends: flat over the night, rising during the next work day
    night = [v for t, v in f.path if t.date() == now.date() and t.hour >= 18]
    assert len(set(night)) == 1
    naive = naive_projection(workweek(4), now, WEEK_S)
    assert naive > 95  # one working hour projected over nights and the weekend


def test_a_burst_does_not_flip_the_week():
    now = MONDAY + timedelta(weeks=3, days=2, hours=12)
    points = workweek(4, per_hour=1.5)  # a usual week ends at 60 %
    start = MONDAY + timedelta(weeks=3)
    profile = build_profile([p for p in points if p.at < start], WEEK_S, start)
    visible = [p for p in points if p.at <= now]
    burst = [Point(now + timedelta(minutes=10 * i), visible[-1].used_percent + 2 * i, visible[-1].reset_at)
             for i in range(1, 7)]  # an hour at 12 %/h, eight times the usual pace
    before = forecast_window(visible, now, WEEK_S, profile)
    after = forecast_window(visible + burst, burst[-1].at, WEEK_S, profile)
    assert before.exhausts_before_reset is False and after.exhausts_before_reset is False
    assert after.projected - before.projected < 25
    assert naive_projection(visible + burst, burst[-1].at, WEEK_S) == 100.0  # the old line ran out


def test_a_heavy_week_projects_higher_but_bounded():
    now = MONDAY + timedelta(weeks=3, days=2, hours=12)
    usual = weekly_forecast(3, now)
    heavy = weekly_forecast(3, now, heavy=[1, 1, 1, 2.2])
    assert heavy.projected > usual.projected * 1.7
    assert heavy.projected <= heavy.used_percent + 2.0 * (usual.projected - usual.used_percent) + 1


def test_the_ratio_counts_little_early_in_the_window():
    # Monday 10:00 of a heavy week: one hour says little, the usual week says a lot
    now = MONDAY + timedelta(weeks=3, hours=10)
    f = weekly_forecast(3, now, heavy=[1, 1, 1, 2.0])
    assert f.projected == pytest.approx(40, abs=6)


def test_range_from_the_spread_of_past_weeks():
    now = MONDAY + timedelta(weeks=4, days=2, hours=12)
    f = weekly_forecast(4, now, heavy=[0.6, 1.4, 0.8, 1.2, 1.0], per_hour=2.0)
    assert f.projected_low < f.projected < f.projected_high
    steady = weekly_forecast(4, now, per_hour=2.0)
    assert steady.projected_high - steady.projected_low < f.projected_high - f.projected_low


def test_may_run_out_when_only_the_high_end_reaches_100():
    now = MONDAY + timedelta(weeks=4, days=3, hours=12)
    f = weekly_forecast(4, now, heavy=[0.6, 1.4, 0.8, 1.2, 1.5], per_hour=1.5)
    assert f.projected < 100 <= f.projected_high
    assert f.may_exhaust_before_reset and not f.exhausts_before_reset


def test_without_history_the_window_average_pace():
    # Wednesday 12:00, window began Monday 00:00: 60 h elapsed, 30 % used -> 0.5 %/h for 108 h
    reset = MONDAY + timedelta(weeks=1)
    points = [Point(MONDAY + timedelta(hours=59), 29.0, reset), Point(MONDAY + timedelta(hours=60), 30.0, reset)]
    f = forecast_window(points, MONDAY + timedelta(hours=60), WEEK_S, None)
    assert f.method == "window-average"
    assert f.expected_rate == pytest.approx(0.5)
    assert f.projected == pytest.approx(84.0)
    # no past weeks: the prior range, always present, around the projection, within [used, 100]
    assert 30.0 <= f.projected_low < f.projected < f.projected_high <= 100.0
    assert 0.1 < f.run_out_probability < 0.5 and not f.exhausts_before_reset


@pytest.mark.parametrize("window_seconds,reset", [
    (3_000_000_000, T0 + timedelta(days=30)),  # a window of 95 years
    (10**300, T0 + timedelta(days=30)),
    (WEEK_S, datetime(2199, 12, 31, tzinfo=UTC)),  # a reset time 173 years ahead
    (FIVE_H, datetime(2199, 12, 31, tzinfo=UTC)),
])
def test_absurd_windows_and_reset_times_give_an_answer_quickly(window_seconds, reset):
    points = [Point(T0 + timedelta(minutes=5 * i), 10.0 + i, reset) for i in range(13)]
    f = forecast_window(points, at_minutes(60), window_seconds, None)
    assert f.used_percent == 22.0
    assert len(f.path) <= 402
    assert f.exhausts_at is None or f.exhausts_at >= at_minutes(60)  # never in the past


# -- decisions built on the forecast: the binding window, check, pick ------------------------

def account(name, five_used, weekly_used, weekly_runs_out=False):
    from tracker.insight.report import AccountReport, WindowReport
    from tracker.points import SeriesKey

    def window(kind, seconds, used, runs_out):
        f = forecast_window([Point(T0, used, T0 + 3 * H)], T0, seconds)
        f.exhausts_before_reset = runs_out or used >= 100
        f.exhausts_at = T0 + H if f.exhausts_before_reset else None
        return WindowReport(SeriesKey(name, "codex", kind, seconds), f)

    return AccountReport(name, "plus", T0, False, None, [window("five_hour", FIVE_H, five_used, False),
                                                         window("weekly", WEEK_S, weekly_used, weekly_runs_out)])


def test_a_full_week_binds_whatever_the_five_hour_window_shows():
    a = account("a", 5.0, 100.0)
    assert a.effective_remaining_percent == 0.0 and a.binding.key.kind == "weekly"
    b = account("b", 30.0, 60.0)
    assert b.effective_remaining_percent == 40.0 and b.binding.key.kind == "weekly"
    c = account("c", 10.0, 80.0)
    c.windows[0].figures.exhausts_before_reset, c.windows[0].figures.exhausts_at = True, T0 + H
    assert c.binding.key.kind == "five_hour"  # expected to stop you first, though more is left


def test_pick_ranks_accounts_expected_to_run_out_last():
    from tracker.insight.alerts import pick_account
    from tracker.insight.report import Report

    roomy_but_running_out = account("roomy", 10.0, 30.0, weekly_runs_out=True)
    steady = account("steady", 10.0, 50.0)
    assert pick_account(Report(T0, [roomy_but_running_out, steady]), ()) == ("steady", 50.0)
    assert pick_account(Report(T0, [roomy_but_running_out]), ()) == ("roomy", 70.0)


def test_hours_blocked_at_100_are_not_learned_as_idle():
    """A heavy user: 1.5 %/h around the clock, at 100 % after about 67 h, blocked until the reset.
    The blocked hours say nothing about demand: the profile expects the usual pace there."""
    weeks = 3
    reset0 = MONDAY + timedelta(weeks=1)
    points = []
    for w in range(weeks):
        start, reset = MONDAY + timedelta(weeks=w), reset0 + timedelta(weeks=w)
        for h in range(168):
            points.append(Point(start + timedelta(hours=h, minutes=30), min(100.0, 1.5 * (h + 1)), reset))
    until = MONDAY + timedelta(weeks=weeks)
    profile = build_profile(points, WEEK_S, until)
    later = until + timedelta(hours=80)  # an hour of the week that every past week spent blocked
    assert profile.expected(later, later + timedelta(hours=20)) == pytest.approx(30.0, rel=0.2)


def test_a_deadline_day_is_not_carried_over_the_rest_of_the_week():
    # Wednesday 20:00: Monday as usual (8), Tuesday a deadline at 4.75x (38), Wednesday (8): 54 used
    # where 24 is usual. Carried at the bounded ratio 2.0 over the 16 usual points still to come,
    # that is 86; without Tuesday the week runs at 1.0, so 54 + 16 = 70. On 96 simulated people
    # (bench/population.py, seeds 0-11) this lowered the weekly Brier score 0.59x -> 0.54x.
    now = MONDAY + timedelta(weeks=3, days=2, hours=20)
    points = [p for p in deadline_week([1, 4.75, 1, 1, 1]) if p.at <= now]
    start = MONDAY + timedelta(weeks=3)
    profile = build_profile([p for p in points if p.at < start], WEEK_S, start)
    f = forecast_window(points, now, WEEK_S, profile)
    assert f.used_percent == 54 and f.projected == pytest.approx(70, abs=1.5)
    # the days come from the readings given, or from ``days``: the last hour alone cannot tell
    tail = [p for p in points if p.at >= now - 2 * H]
    assert forecast_window(tail, now, WEEK_S, profile).projected == pytest.approx(86, abs=1.5)
    assert forecast_window(tail, now, WEEK_S, profile, days=points[::3]).projected == pytest.approx(70, abs=1.5)


def test_a_heavy_pace_is_carried_and_a_busy_day_within_it_too():
    # every day at twice the usual: a pace, not a burst (no day is three times the others)
    now = MONDAY + timedelta(weeks=3, days=2, hours=20)
    start = MONDAY + timedelta(weeks=3)
    for factors in ([2, 2, 2, 2, 2], [1.5, 2.5, 2, 2, 2]):
        points = [p for p in deadline_week(factors) if p.at <= now]
        profile = build_profile([p for p in points if p.at < start], WEEK_S, start)
        f = forecast_window(points, now, WEEK_S, profile)
        assert f.projected == pytest.approx(f.used_percent + 2 * 16, abs=2)


def test_the_weekly_verdict_is_the_probability_and_needs_more_than_reaching_100():
    # "runs out" is run_out_probability >= 0.5; for a week that means the expectation past 100 %
    # by a little (people stop: outlook's mixture), so a week projected to land at 100-101 % "may
    # run out" (the range reaches 100) where the plain curve said "runs out".
    now = MONDAY + timedelta(weeks=3, days=3, hours=12)
    seen = set()
    for step in range(30):  # a usual week of 60 %, this one 1.4-2.0 times that
        f = weekly_forecast(3, now, heavy=[1, 1, 1, 1.4 + step / 50], per_hour=1.5)
        assert f.exhausts_before_reset == (f.run_out_probability >= 0.5)
        assert f.run_out_probability <= 1 - STOP_SHARE * math.exp(-(f.reset_at - now) / H / STOP_HOURS) + 1e-4
        seen.add((f.exhausts_before_reset, f.may_exhaust_before_reset))
    assert seen == {(False, False), (False, True), (True, False)}
