"""The reset ledger: a normal reset, an early one, a late one, a moved reset time, on the CLI too."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.fixtures import T0, run, store_url
from tracker.insight.ledger import series_events
from tracker.points import Point, SeriesKey
from tracker.records import SnapshotRecord, Usage, Window
from tracker.storage.store import Store

WEEK = SeriesKey("work", "codex", "weekly", 604800)
R1 = T0 + timedelta(days=1)
H = timedelta(hours=1)


def points(*rows):
    return [Point(T0 + timedelta(hours=h), used, reset) for h, used, reset in rows]


def test_normal_early_late_and_moved():
    series = points(
        (0, 40.0, R1), (12, 60.0, R1 + timedelta(seconds=20)),  # jitter: no event
        (24.5, 3.0, R1 + 7 * 24 * H),  # reset seen 30 min after the announced time: on time
        (30, 20.0, R1 + 7 * 24 * H), (31, 21.0, R1 + 9 * 24 * H),  # pushed two days later: moved
        (40, 92.0, R1 + 9 * 24 * H), (41, 88.0, R1 + 16 * 24 * H),  # 9 days early, opened at 88 %
    )
    events = series_events(WEEK, series)
    assert [(e.event, e.timing) for e in events] == [("reset", "on_time"), ("moved", "later"), ("reset", "early")]
    assert (events[0].used_before, events[0].used_after, events[0].expected_at) == (60.0, 3.0, R1)  # robust, not the last
    assert events[1].new_reset_at == R1 + 9 * 24 * H
    assert events[2].used_after == 88.0


def test_late_reset_and_unknown_expected_time():
    late = series_events(WEEK, points((0, 50.0, T0 + 2 * H), (3, 55.0, T0 + 2 * H), (4, 1.0, T0 + 170 * H)))
    assert [(e.event, e.timing) for e in late] == [("reset", "late")]
    unknown = series_events(WEEK, points((0, 50.0, None), (1, 2.0, None)))
    assert [(e.event, e.timing) for e in unknown] == [("reset", "unknown")]


def test_resets_command(tmp_path):
    db = tmp_path / "t.db"
    with Store.open(store_url(db)) as store:
        for h, used, reset in ((0, 40.0, R1), (23, 70.0, R1), (25, 2.0, R1 + 7 * 24 * H), (26, 4.0, R1 + 8 * 24 * H)):
            store.add_snapshots([SnapshotRecord("work", T0 + timedelta(hours=h), "api",
                                                Usage([Window("codex", "weekly", 604800, used, reset)]))])
    out = json.loads(run("resets", "--db", str(db), "--since", "2026-11-01", "--until", "2026-12-01", "--json").stdout)
    assert [(e["event"], e["timing"], e["used_before"], e["used_after"]) for e in out] == [
        ("reset", "on_time", 70.0, 2.0), ("moved", "later", 2.0, 4.0)]
    table = run("resets", "--db", str(db), "--since", "2026-11-01", "--until", "2026-12-01", "--tz", "UTC").stdout
    assert table.splitlines()[1].split()[:8] == ["work", "codex", "weekly", "Sat", "21", "Nov", "11:00", "70"]
    assert table.splitlines()[2].rstrip().endswith("moved later  -")  # never at 100 %: not blocked
    empty = run("resets", "--db", str(db), "--since", "2026-12-02", "--until", "2026-12-03")
    assert empty.stdout.strip() == "no resets in that period"


def test_blocked_time_is_exact_to_the_readings():
    """A five-hour window read every 5 minutes reaches 100 % at 10:20 and stays there until its
    reset at 12:00: the reset's entry says when, and for how long (1 h 40 m)."""
    from datetime import UTC, datetime

    t0, reset = datetime(2026, 11, 20, 7, 0, tzinfo=UTC), datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    points = [Point(t0 + timedelta(minutes=5 * i), min(100.0, 2.5 * i), reset) for i in range(60)]
    points += [Point(reset + timedelta(minutes=5 * i), 1.0 + i, reset + timedelta(hours=5)) for i in range(1, 4)]
    events = series_events(SeriesKey("work", "codex", "five_hour", 18000), points)
    (event,) = [e for e in events if e.event == "reset"]
    assert event.reached_limit_at == t0 + timedelta(minutes=200)  # 2.5 % x 40 readings
    assert event.blocked_seconds == pytest.approx((reset - event.reached_limit_at).total_seconds())
    assert event.as_dict()["blocked_seconds"] == 6000
