"""The replay, pure: steps see only the past, outcomes come from what happened, scores add up."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from tests.fixtures import MONDAY, WEEK_S, workweek
from tracker.insight.backtest import SeriesScore, Step, replay, totals
from tracker.points import Point, SeriesKey

H = timedelta(hours=1)


def test_replay_scores_every_completed_window_and_skips_the_open_one():
    points = workweek(5, per_hour=2.0)  # every week ends at 80 %
    steps = replay(points, WEEK_S, MONDAY + timedelta(weeks=3), MONDAY + timedelta(weeks=5), H)
    assert {s.reset_at for s in steps} == {MONDAY + timedelta(weeks=4)}  # week 5's end is not seen
    assert len(steps) == 168
    assert all(s.actual == 80.0 for s in steps)
    assert all(s.method == "profile" for s in steps)
    assert all(s.at < s.reset_at for s in steps)
    assert sum(s.late for s in steps) == 48


def test_a_regular_week_is_forecast_better_than_the_window_average():
    points = workweek(5, per_hour=2.0)
    score = SeriesScore(SeriesKey("a", "codex", "weekly", WEEK_S),
                        replay(points, WEEK_S, MONDAY + timedelta(weeks=3), MONDAY + timedelta(weeks=5), H))
    assert score.mae < 3
    assert score.baseline_mae > 15
    assert score.verdicts_right == 1.0  # 80 % is a clear "lasts"


def test_steps_see_only_the_past():
    """A window that explodes on its last day cannot be foreseen on its first."""
    reset = MONDAY + timedelta(weeks=4)
    points = [p for p in workweek(5, per_hour=1.0) if not reset - 10 * H <= p.at < reset]
    burst = [Point(reset - timedelta(hours=10) + i * H, min(100.0, 40.0 + 8 * i), reset) for i in range(10)]
    steps = replay(points + burst, WEEK_S, MONDAY + timedelta(weeks=3), reset, H)
    monday = [s for s in steps if s.at < MONDAY + timedelta(weeks=3, days=1)]
    assert monday and all(s.actual == 100.0 and s.projected < 60 for s in monday)
    assert all(s.runs_out for s in steps if s.at >= reset - 2 * H)


def test_five_hour_windows_replay_from_raw_readings():
    start = MONDAY + timedelta(hours=9)
    points = []
    for w in range(3):  # three five-hour windows in a row, each used at 15 %/h for 4 h, idle for 1 h
        begin = start + w * 5 * H
        points += [Point(begin + timedelta(minutes=5 * i), float(min(60, int(1.25 * i))), begin + 5 * H)
                   for i in range(60)]
    steps = replay(points, 18000, start, start + 15 * H, timedelta(minutes=30))
    assert {s.reset_at for s in steps} == {start + 5 * H, start + 10 * H}
    assert all(s.actual == 60.0 for s in steps)
    assert all(s.late for s in steps)


def test_totals_merge_accounts_per_kind():
    step = Step(MONDAY, MONDAY + H, 50.0, 70.0, 60.0, "profile", True, False, False)
    a = SeriesScore(SeriesKey("a", "codex", "weekly", WEEK_S), [step])
    b = SeriesScore(SeriesKey("b", "codex", "weekly", WEEK_S), [step, step])
    [total] = totals([a, b])
    assert len(total.steps) == 3 and total.mae == pytest.approx(10.0) and total.baseline_mae == pytest.approx(10.0)
    assert total.verdicts_right == 1.0


def _late(reset, probability: float, actual: float, hours_before: int = 1) -> Step:
    return Step(reset - hours_before * H, reset, 0.0, 0.0, actual, "profile", True, False, False, probability)


def test_calibration_counts_every_late_answer_whatever_the_outcome():
    """Windows that ended at 86-99 % are the ones a probability near 0.5 is about: leaving them out
    (as the verdicts' "clear" outcomes do) would make a calibrated 0.55 look like 1.0."""
    resets = [MONDAY + timedelta(weeks=w) for w in range(10)]
    steps = [_late(r, 0.55, 100.0 if w < 5 else 95.0, h) for w, r in enumerate(resets) for h in (1, 2)]
    steps.append(dataclasses.replace(_late(MONDAY, 0.95, 100.0, hours_before=100), late=False))  # not counted
    steps[0] = dataclasses.replace(steps[0], method="exhausted")  # already at 100 %: no forecast
    [tenth] = SeriesScore(SeriesKey("a", "codex", "weekly", WEEK_S), steps).calibration()
    assert (tenth.low, tenth.steps, tenth.windows) == (0.5, 19, 10)
    assert tenth.predicted == pytest.approx(0.55)
    assert tenth.ran_out == pytest.approx(9 / 19)  # the five windows at 95 % count
    assert tenth.ran_out_low < tenth.ran_out < tenth.ran_out_high  # whole windows drawn again


def test_calibration_interval_is_wide_with_few_windows_and_repeatable():
    steps = [_late(MONDAY + timedelta(weeks=w), 0.25, 100.0 if w == 0 else 50.0, h)
             for w in range(4) for h in range(1, 11)]
    score = SeriesScore(SeriesKey("a", "codex", "weekly", WEEK_S), steps)
    [tenth] = score.calibration()
    assert (tenth.windows, tenth.ran_out) == (4, 0.25)
    assert tenth.ran_out_low == 0.0 and tenth.ran_out_high >= 0.5  # four windows say little
    assert score.calibration() == [tenth]  # seeded: the same history, the same answer
