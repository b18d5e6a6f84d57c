"""An adversarial pass over the weekly forecast's burst rule and run-out verdict (session of
2026-12-04): readings with gaps, and every view's verdict against ``run_out_probability``."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from tests.fixtures import MONDAY, WEEK_S, deadline_week
from tracker.insight.forecast import forecast_window
from tracker.insight.outlook import run_out_probability
from tracker.insight.report import build_report
from tracker.insight.usual_week import build_profile
from tracker.kinds import MAIN_LIMIT
from tracker.points import Point
from tracker.records import SnapshotRecord, Usage, Window
from tracker.storage.store import Store

NOW = MONDAY + timedelta(weeks=3, days=2, hours=20)  # Wednesday 20:00 of the fourth week
START = MONDAY + timedelta(weeks=3)


def weekly_report(tmp_path, points):
    with Store.open(f"sqlite:///{tmp_path / 'gap.db'}") as store:
        store.add_snapshots([SnapshotRecord("ana", p.at, "poll", Usage(
            [Window(MAIN_LIMIT, "weekly", WEEK_S, p.used_percent, p.reset_at)])) for p in points])
        report = build_report(store, (), NOW, timedelta(hours=1), timedelta(minutes=30), UTC)
    [weekly] = [w.figures for a in report.accounts for w in a.windows if w.key.kind == "weekly"]
    return weekly


def test_two_days_unread_are_not_a_burst_of_the_day_they_were_read(tmp_path):
    # A usual week (8 points a weekday); collect did not run from Monday 02:00 to Wednesday 19:00
    # (laptop shut, Codex used elsewhere). The 24 points of those days were first read on
    # Wednesday: the burst rule took them as Wednesday's use, three times "the rest" (nothing), left
    # them out and carried the lowest ratio: 32 % at the reset instead of the usual 40 %. Now a rise
    # across a gap of over 6 h is shared out between the days as the usual week spends it.
    every = [p for p in deadline_week([1, 1, 1, 1, 1]) if p.at <= NOW]
    read = [p for p in every if p.at < START + timedelta(hours=2) or p.at >= NOW - timedelta(hours=1)]
    profile = build_profile([p for p in every if p.at < START], WEEK_S, START)
    whole = forecast_window(every, NOW, WEEK_S, profile)
    assert whole.used_percent == 24 and whole.projected == pytest.approx(40, abs=1)
    assert forecast_window(read, NOW, WEEK_S, profile).projected == pytest.approx(40, abs=1)
    assert weekly_report(tmp_path, read).projected == pytest.approx(40, abs=1)


def test_a_deadline_read_around_a_gap_is_still_a_burst():
    # a gap with no use in it (Monday night, unread) hides no day end: the deadline Tuesday still counts
    every = [p for p in deadline_week([1, 4.75, 1, 1, 1]) if p.at <= NOW]
    quiet_gap = [p for p in every if not (START + timedelta(hours=17) < p.at < START + timedelta(hours=32))]
    profile = build_profile([p for p in every if p.at < START], WEEK_S, START)
    assert forecast_window(quiet_gap, NOW, WEEK_S, profile).projected == pytest.approx(70, abs=1.5)


@pytest.mark.parametrize("hour", [3, 7, 27])
def test_nights_unread_with_use_only_in_the_day_still_place_the_deadline(hour):
    # readings only while Codex is in use (session logs: 9-17): the first reading of a day already
    # shows some use, but the usual week is idle all night, so the rise belongs to the day after
    now = START + timedelta(days=3, hours=hour)
    every = [p for p in deadline_week([1, 4.75, 1, 1, 1]) if p.at <= now]
    office = [p for p in every if p.at < START or 9 <= p.at.hour <= 17]
    profile = build_profile([p for p in every if p.at < START], WEEK_S, START)
    assert forecast_window(office, now, WEEK_S, profile).projected == pytest.approx(70, abs=1)


def test_a_chance_just_under_even_is_not_rounded_up_to_runs_out():
    # a five-hour window expected at 99.99999 %: the forecast sees no crossing of 100 % (verdict
    # "lasts") but the chance was rounded to 0.5, which notify --before-reset, the watch view and
    # Prometheus read as "runs out" (p >= 0.5)
    assert run_out_probability(50.0, 49.99999, 5.0) == 0.4999
    assert run_out_probability(50.0, 50.0, 5.0) == 0.5
    assert run_out_probability(50.0, 49.0, 5.0) == pytest.approx(0.4207, abs=1e-4)  # elsewhere as before


def test_a_late_reading_of_the_last_window_is_not_a_day_of_this_one(tmp_path):
    # Five minutes after the reset a reading still named the old window (70 %, its reset time);
    # then collect did not run until Tuesday 10:00. The report's readings of the week (every 3 h,
    # by time) took that 70 % for Monday's level: the week's 24 points all on Monday, a burst, and
    # 32 % at the reset where the forecast from the window's own readings says 40 %.
    every = [p for p in deadline_week([1, 1, 1, 1, 1]) if p.at <= NOW]
    read = [p for p in every if p.at < START or p.at >= START + timedelta(days=1, hours=10)]
    read = sorted([*read, Point(START + timedelta(minutes=5), 70.0, START)], key=lambda p: p.at)
    profile = build_profile([p for p in every if p.at < START], WEEK_S, START)
    assert forecast_window(read, NOW, WEEK_S, profile).projected == pytest.approx(40, abs=1)
    assert weekly_report(tmp_path, read).projected == pytest.approx(40, abs=1)
