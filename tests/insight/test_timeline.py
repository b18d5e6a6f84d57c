"""The window timeline: the reset rule, idle windows, jitter, moves, stale readings, flat readings,
blocked time, and properties over generated histories (wobble, duplicates, jitter of up to a
minute, interleaved sources, gaps, early and moved resets, any storage order)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.insight.ledger import series_events
from tracker.insight.timeline import build_timeline, daily_use, jitter_tolerance
from tracker.points import Point, SeriesKey

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)
FIVE_H = 18000
WEEK = 604800


def p(minutes: float, used: float, reset: datetime | None) -> Point:
    return Point(T0 + timedelta(minutes=minutes), used, reset)


def test_a_drop_with_the_same_reset_time_is_noise():
    r = T0 + 5 * H
    spans = build_timeline([p(0, 10, r), p(1, 12, r + 20 * timedelta(seconds=1)), p(1, 10, r), p(2, 11, r),
                            p(3, 13, r - timedelta(seconds=50))], FIVE_H)
    assert len(spans) == 1
    assert spans[0].peak == 13 and spans[0].reset_at == r
    assert [spans[0].used_at(T0 + k * M) for k in range(4)] == [10, 12, 12, 13]


def test_an_idle_window_is_no_window_and_first_use_is_no_reset():
    points = [p(0, 40, T0 + 2 * H)]
    points += [p(60 * h, 0, T0 + (h + 5) * H) for h in range(3, 10)]  # idle: the reset floats
    points += [p(600, 2, T0 + 15 * H), p(630, 5, T0 + 15 * H)]  # first use fixes it
    spans = build_timeline(points, FIVE_H, now=T0 + 11 * H)
    assert len(spans) == 2  # one reset: the first window's, at its time
    assert spans[0].ending == "on time"
    assert spans[1].reset_at == T0 + 15 * H and spans[1].started_at == T0 + 600 * M
    assert spans[1].ending == "open" and not spans[1].moves


def test_a_trailing_idle_window_holds_every_idle_reading():
    spans = build_timeline([p(60 * h, 0, T0 + (h + 5) * H) for h in range(6)], FIVE_H)
    assert len(spans) == 1 and spans[0].idle and len(spans[0].readings) == 6


def test_moved_later_early_late_and_overdue():
    r1 = T0 + 24 * H
    w = WEEK
    spans = build_timeline([
        p(0, 40, r1), p(60, 60, r1 + timedelta(seconds=40)),
        p(24 * 60 + 30, 3, r1 + 7 * 24 * H),  # on time
        p(30 * 60, 20, r1 + 7 * 24 * H), p(31 * 60, 21, r1 + 9 * 24 * H),  # moved two days later
        p(40 * 60, 92, r1 + 9 * 24 * H), p(41 * 60, 88, r1 + 16 * 24 * H),  # 9 days early, opened at 88 %
    ], w, now=r1 + 20 * 24 * H)
    assert [s.ending for s in spans] == ["on time", "early", "overdue"]
    assert spans[1].announced_reset_at == r1 + 7 * 24 * H and spans[1].reset_at == r1 + 9 * 24 * H
    assert len(spans[1].moves) == 1 and spans[1].moves[0].new_reset == r1 + 9 * 24 * H


def test_on_time_after_a_move_says_moved_later():
    r = T0 + 5 * H
    spans = build_timeline([p(0, 10, r), p(60, 20, r + 3 * H), p(400, 30, r + 3 * H), p(481, 1, r + 8 * H)], FIVE_H)
    assert [s.ending for s in spans] == ["moved later", "open"]


def test_readings_past_the_reset_showing_the_old_window_are_late_not_resets():
    r = T0 + 2 * H
    spans = build_timeline([p(0, 50, r), p(160, 55, r), p(161, 55, r + timedelta(seconds=3)),
                            p(162, 55, r), p(240, 1, T0 + 9 * H)], FIVE_H)
    assert [s.ending for s in spans] == ["late", "open"]
    overdue = build_timeline([p(0, 50, r), p(130, 55, r), p(131, 55, r)], FIVE_H, now=T0 + 3 * H)
    assert len(overdue) == 1 and overdue[0].ending == "overdue"


def test_a_late_reading_of_the_previous_window_stays_with_it():
    r = T0 + 5 * H
    spans = build_timeline([p(0, 10, r), p(290, 60, r), p(301, 1, r + 5 * H), p(301.1, 59, r),
                            p(302, 2, r + 5 * H)], FIVE_H)
    assert len(spans) == 2 and spans[1].peak == 2 and spans[0].peak == 60


def test_flat_readings_without_reset_times():
    values = [1, 5, 13, 12, 11, 0, 3, 4, 2, 9]
    spans = build_timeline([p(10 * i, v, None) for i, v in enumerate(values)], FIVE_H)
    assert [s.peak for s in spans] == [13, 9]
    assert [s.ending for s in spans] == ["unknown", "open"]
    long_gap = build_timeline([p(0, 5, None), p(60, 8, None), p(60 * 7, 9, None)], FIVE_H)
    assert len(long_gap) == 2  # more than a window's length after its first use


def test_blocked_time_and_first_reading_at_the_limit():
    r = T0 + 5 * H
    spans = build_timeline([p(0, 80, r), p(60, 100, r), p(120, 99, r), p(180, 100, r)], FIVE_H, now=T0 + 4 * H)
    assert spans[0].reached_limit_at == T0 + H
    assert spans[0].blocked_seconds == 3 * 3600  # to now while open
    closed = build_timeline([p(0, 80, r), p(60, 100, r), p(301, 1, r + 5 * H)], FIVE_H)
    assert closed[0].blocked_seconds == 4 * 3600  # to the reset


def test_tolerance_is_documented_values():
    assert jitter_tolerance(FIVE_H) == 1800 and jitter_tolerance(WEEK) == 1800
    assert jitter_tolerance(600) == 60 and jitter_tolerance(None) == 300


# -- properties -------------------------------------------------------------------------------------

@st.composite
def histories(draw):
    """(readings, truth): truth is one (peak, ending) per window with use; idle readings may sit
    between windows."""
    rnd = random.Random(draw(st.integers(0, 2**32)))
    length = timedelta(seconds=FIVE_H)
    tol = timedelta(seconds=jitter_tolerance(FIVE_H))
    readings: list[Point] = []
    truth: list[tuple[float, str]] = []
    start = T0
    n = draw(st.integers(1, 5))
    prev_reset = None
    prev_peak = 0.0
    for i in range(n):
        reset = start + length
        peak = float(draw(st.integers(12, 100)))
        early_next = i < n - 1 and draw(st.booleans())
        moved = not early_next and draw(st.booleans())  # (a move then an early reset can look like noise)
        active_end = reset - tol - 20 * M if early_next else reset - M
        if early_next:
            active_end = start + (active_end - start) * rnd.uniform(0.5, 1.0)
        move_at = start + (active_end - start) * 0.5 if moved else None
        span = (active_end - start).total_seconds()
        times = sorted({start} | {start + timedelta(seconds=rnd.uniform(0, span)) for _ in range(rnd.randint(3, 25))})
        current_reset = reset
        for t in times:
            share = (t - start).total_seconds() / span if span else 1.0
            true_used = round(1 + (peak - 1) * share, 1)
            if move_at is not None and move_at <= t < reset - tol - 10 * M and true_used >= 8:
                current_reset = reset + timedelta(hours=3)
            jitter = timedelta(seconds=rnd.uniform(-60, 60))
            for _source in range(rnd.choice((1, 2))):  # interleaved sessions disagree by up to 2 points
                used = max(0.0, true_used - rnd.choice((0, 0, 1, 2))) if t != times[0] else min(true_used, 3.0)
                readings.append(Point(t, used, current_reset + jitter))
        readings.append(Point(times[-1], peak, current_reset))  # the peak itself is read
        if rnd.random() < 0.3:
            readings.append(Point(times[-1], peak - 1, current_reset))  # same timestamp, another value
        if prev_reset is not None and start - prev_reset < 20 * M and rnd.random() < 0.3:  # a late line of the previous window
            readings.append(Point(start + timedelta(seconds=5), prev_peak - 1, prev_reset))
        moved_happened = current_reset != reset
        ending = "early" if early_next else "moved later" if moved_happened else "on time"
        truth.append((peak, ending))
        prev_reset, prev_peak = current_reset, peak
        idle = False
        if early_next:
            start = active_end + 10 * M
        else:
            gap = timedelta(minutes=rnd.choice((0, 0, 30, 300)))
            idle = gap >= H
            idle_start = current_reset + M
            for k in range(int(gap / H)):  # idle: 0 % with a reset time that floats with the clock
                t = idle_start + k * H
                readings.append(Point(t, 0.0, t + length + timedelta(seconds=rnd.uniform(-60, 60))))
            start = current_reset + gap + 2 * M
    if idle:  # the history ends idle: the last window did reset, the idle one is open
        truth.append((0.0, "open"))
    else:
        truth[-1] = (truth[-1][0], "open")
    return readings, truth


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.randoms())
def test_timeline_finds_the_true_windows_in_any_order(history, rnd):
    readings, truth = history
    spans = build_timeline(readings, FIVE_H)
    assert [(s.peak, s.ending) for s in spans] == truth
    assert sum(len(s.readings) for s in spans) == len(readings)  # nothing dropped
    shuffled = list(readings)
    rnd.shuffle(shuffled)
    assert build_timeline(shuffled, FIVE_H) == spans
    events = series_events(SeriesKey("a", "codex", "five_hour", FIVE_H), shuffled)  # the ledger
    timing = {"early": "early", "on time": "on_time", "moved later": "on_time"}
    assert [(e.event, e.timing) for e in events if e.event == "reset"] == [
        ("reset", timing[ending]) for _peak, ending in truth[:-1]]
    for s in spans:
        derived = [q.used_percent for q in s.derived()]
        assert derived == sorted(derived)  # monotone: no negative burn
        assert s.start <= s.end


@settings(max_examples=40, deadline=None)
@given(histories())
def test_daily_use_is_possible_and_matches_the_peaks(history):
    readings, truth = history
    spans = build_timeline(readings, FIVE_H)
    totals = daily_use(spans, UTC)
    assert all(v >= 0 for v in totals.values())
    for day, value in totals.items():
        overlapping = [s for s in spans if s.start.date() <= day <= s.end.date()]
        assert value <= 100.0 * len(overlapping) + 1e-9
    first = min(q.used_percent for q in spans[0].readings if q.at == spans[0].start)
    assert abs(sum(totals.values()) - (sum(peak for peak, _ in truth) - first)) < 1e-6


def _answers(spans):
    return [(s.start, s.end, s.reset_at, s.peak, s.ending, s.reached_limit_at, s.started_at) for s in spans]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.randoms())
def test_keeping_the_key_readings_keeps_every_answer(history, rnd):
    """What prune --downsample relies on: the key readings plus any others give the same windows,
    and their key readings are the same again (a second run keeps the same)."""
    readings, _truth = history
    spans = build_timeline(readings, FIVE_H)
    keys = {id(p) for s in spans for p in s.key_readings}
    thinned = [p for p in readings if id(p) in keys or rnd.random() < 0.2]
    again = build_timeline(thinned, FIVE_H)
    assert _answers(again) == _answers(spans)
    assert {id(p) for s in again for p in s.key_readings} == keys


@st.composite
def flat_histories(draw):
    """Readings without reset times (the older session-log form): windows of two sources that
    disagree by up to two points, each starting again near zero."""
    rnd = random.Random(draw(st.integers(0, 2**32)))
    peaks = draw(st.lists(st.integers(8, 100), min_size=1, max_size=6))
    readings, start = [], T0
    for peak in peaks:
        count = rnd.randint(3, 20)
        for k in range(count + 1):
            at = start + timedelta(minutes=200 * k / count + rnd.uniform(0, 0.5))
            true = round(peak * k / count) if k else rnd.choice((0, 1))
            readings.append(Point(at, float(true), None))
            if rnd.random() < 0.5:
                readings.append(Point(at + timedelta(seconds=rnd.randint(0, 30)),
                                      float(max(0, true - rnd.choice((1, 2)))), None))
        start += timedelta(hours=rnd.choice((4, 6, 30)))
    return readings, [float(p) for p in peaks]


@settings(max_examples=40, deadline=None)
@given(flat_histories(), st.randoms())
def test_flat_readings_give_the_true_windows_in_any_order(history, rnd):
    readings, peaks = history
    shuffled = list(readings)
    rnd.shuffle(shuffled)
    spans = build_timeline(shuffled, FIVE_H)
    assert [s.peak for s in spans] == peaks
    assert [s.ending for s in spans] == ["unknown"] * (len(peaks) - 1) + ["open"]
