"""Blocked time per account over the last 7 days (issue 24 item 2): exact to the readings, the
same figure as the timeline's (and `tracker resets`'), overlapping windows counted once, and a
bounded read (the readings at 100 % and each blocked window's own)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from tracker.insight.blocked import account_blocked, full_readings, union_seconds
from tracker.insight.timeline import build_timeline
from tracker.kinds import FIVE_HOUR, MAIN_LIMIT, MONTHLY, WEEKLY
from tracker.points import SeriesKey
from tracker.records import SnapshotRecord, Usage, Window
from tracker.storage.store import Store

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # a Monday
STEP = timedelta(minutes=5)
FIVE = SeriesKey("heavy", MAIN_LIMIT, FIVE_HOUR, 18000)
WEEK = SeriesKey("heavy", MAIN_LIMIT, WEEKLY, 604800)


def heavy_week(days: int = 10, seed: int = 5, week_full_at: timedelta | None = timedelta(days=8, hours=3)):
    """Readings every 5 minutes (jittered reset times): five-hour windows from 08:00 and 14:00
    each day, filling at a random pace, some reaching 100 % and sitting there until the reset; a
    weekly window resetting every Monday 00:00 that reaches 100 % at ``week_full_at``."""
    rnd = random.Random(seed)
    records, t = [], T0
    paces = {}
    while t < T0 + timedelta(days=days):
        day = (t - T0).days
        start = None
        for hour in (8, 14):
            s = T0 + timedelta(days=day, hours=hour)
            if s <= t < s + timedelta(hours=5):
                start = s
        jitter = timedelta(seconds=rnd.randint(-40, 40))
        if start is not None:
            pace = paces.setdefault(start, rnd.choice([15.0, 30.0, 45.0]))  # % per hour
            used = min(100.0, round(pace * (t - start).total_seconds() / 3600.0, 1))
            five = Window(MAIN_LIMIT, FIVE_HOUR, 18000, used, start + timedelta(hours=5) + jitter)
        else:
            five = Window(MAIN_LIMIT, FIVE_HOUR, 18000, 0.0, t + timedelta(hours=5) + jitter)
        monday = T0 + timedelta(days=7 * ((t - T0).days // 7))
        week_used = min(99.0, (t - monday).total_seconds() / 86400.0 * 12)
        if week_full_at is not None and monday + timedelta(days=7) > T0 + week_full_at >= monday \
                and t >= T0 + week_full_at:
            week_used = 100.0
        weekly = Window(MAIN_LIMIT, WEEKLY, 604800, round(week_used, 1), monday + timedelta(days=7) + jitter)
        records.append(SnapshotRecord("heavy", t, "api", Usage(windows=[five, weekly])))
        t += STEP
    return records


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    db = tmp_path_factory.mktemp("blocked") / "b.db"
    s = Store.open(f"sqlite:///{db}")
    s.add_snapshots(heavy_week())
    yield s
    s.close()


def timeline_spans(store, key, since, now):
    """The reference: every reading of the series through the timeline, spans clipped."""
    out = []
    for w in build_timeline(store.points(key, None, now), key.window_seconds, now):
        if w.reached_limit_at is None or not w.blocked_seconds:
            continue
        start, stop = w.reached_limit_at, w.reached_limit_at + timedelta(seconds=w.blocked_seconds)
        if stop > since and start < now:
            out.append((max(start, since), min(stop, now)))
    return out


@pytest.mark.parametrize("hours_after", [0, 5, 27, 51, 75, 123, 180])
def test_blocked_spans_are_the_timelines(store, hours_after):
    now = T0 + timedelta(days=3, hours=hours_after, minutes=2)
    blocked = account_blocked(store, [FIVE, WEEK], now)
    expected = sorted(timeline_spans(store, FIVE, blocked.since, now) + timeline_spans(store, WEEK, blocked.since, now))
    assert [(s.start, s.end) for s in blocked.spans] == expected
    assert blocked.seconds <= sum((b - a).total_seconds() for a, b in expected) + 1e-6
    once = account_blocked(store, [FIVE, WEEK], now, full=full_readings(store, now))  # what a report reads
    assert (once.spans, once.seconds) == (blocked.spans, blocked.seconds)
    assert full_readings(store, now, names=("heavy",)) == full_readings(store, now)
    assert full_readings(store, now, names=("someone else",)) == {}


def test_five_hour_blocked_until_its_reset_exact_to_the_readings(store):
    now = T0 + timedelta(days=2, hours=23)
    blocked = account_blocked(store, [FIVE], now, timedelta(days=1))
    assert blocked.spans, "some window of the day reached 100 %"
    for span in blocked.spans:
        assert span.start.minute % 5 == 0 and span.start.second == 0  # the first full reading
        # until the window's (robust) reset time, 13:00 or 19:00 within the 40 s jitter, or the next
        # window's first reading when that came first
        assert span.end.hour in (13, 19) or (span.end.hour in (12, 18) and span.end.minute == 59)
        assert span.end == span.reset_at or (span.end < span.reset_at and span.end.minute % 5 == 0)
    assert blocked.seconds == pytest.approx(sum(s.seconds for s in blocked.spans))


def test_a_full_week_and_full_five_hours_count_once(store):
    now = T0 + timedelta(days=9, hours=23)
    blocked = account_blocked(store, [FIVE, WEEK], now)
    week = [s for s in blocked.spans if s.kind == WEEKLY]
    assert [(s.start, s.open) for s in week] == [(T0 + timedelta(days=8, hours=3), True)]
    assert week[0].end == now
    five_inside = [s for s in blocked.spans if s.kind == FIVE_HOUR and s.start >= week[0].start]
    assert five_inside, "five-hour windows also full while the week was"
    assert blocked.seconds == pytest.approx(union_seconds(blocked.spans))
    assert blocked.seconds < sum(s.seconds for s in blocked.spans)  # overlaps counted once
    before_week = sum(s.seconds for s in blocked.spans if s.end <= week[0].start)
    assert blocked.seconds == pytest.approx(before_week + week[0].seconds, abs=1)


def test_a_window_blocked_before_the_period_counts_from_its_start(tmp_path):
    s = Store.open(f"sqlite:///{tmp_path / 'm.db'}")
    reset = T0 + timedelta(days=30)
    key = SeriesKey("free", MAIN_LIMIT, MONTHLY, 30 * 86400)
    s.add_snapshots([SnapshotRecord("free", T0 + timedelta(hours=h), "api", Usage(windows=[
        Window(MAIN_LIMIT, MONTHLY, 30 * 86400, min(100.0, 10.0 * h), reset)])) for h in range(0, 24 * 12, 6)])
    now = T0 + timedelta(days=12)
    blocked = account_blocked(s, [key], now)
    assert [(x.start, x.end, x.open) for x in blocked.spans] == [(now - timedelta(days=7), now, True)]
    assert blocked.seconds == 7 * 86400
    s.close()


def test_nothing_blocked_reads_nothing_more(tmp_path, monkeypatch):
    s = Store.open(f"sqlite:///{tmp_path / 'q.db'}")
    s.add_snapshots(heavy_week(days=3, week_full_at=None))
    calls = []
    original = Store.points
    monkeypatch.setattr(Store, "points", lambda self, *a, **k: calls.append(a) or original(self, *a, **k))
    blocked = account_blocked(s, [WEEK], T0 + timedelta(days=3))
    assert blocked.spans == [] and blocked.seconds == 0 and calls == []
    s.close()
