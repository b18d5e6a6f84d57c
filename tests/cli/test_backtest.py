"""`tracker backtest` end to end: stored weeks on SQLite and PostgreSQL, the demo, bad options."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures import MONDAY as LATER_MONDAY
from tests.fixtures import iso, run, store_url, workweek
from tracker.insight.profile import hourly_points, profile_points
from tracker.insight.usual_week import grid_sample
from tracker.points import SeriesKey
from tracker.records import SnapshotRecord, Usage, Window
from tracker.storage.store import Store

MONDAY = LATER_MONDAY - timedelta(weeks=5)  # the whole history in the past: --at refuses the future
END = MONDAY + timedelta(weeks=5, hours=1)


def fill(db, per_hour=2.0):
    """Five weeks of ten-minute readings: work hours use ``per_hour`` (a week ends at 40x that)."""
    store = Store.open(store_url(db))
    records = [SnapshotRecord("work", p.at, "api", Usage([Window("codex", "weekly", 604800, p.used_percent, p.reset_at)]))
               for p in workweek(5, start=MONDAY, per_hour=per_hour, step=timedelta(minutes=10)) + workweek(
                   1, start=MONDAY + timedelta(weeks=5), per_hour=per_hour, step=timedelta(minutes=10))[:6]]
    store.add_snapshots(records)
    return store


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def weeks_db(request, tmp_path):
    db = tmp_path / "w.db" if request.param == "sqlite" else request.getfixturevalue("pg_db")
    fill(db).close()
    return db


def test_hourly_points_are_each_hours_last_reading(weeks_db):
    store = Store.open(store_url(weeks_db))
    try:
        key = SeriesKey("work", "codex", "weekly", 604800)
        points = hourly_points(store, key, MONDAY, MONDAY + timedelta(days=1))
        raw = store.points(key, MONDAY, MONDAY + timedelta(days=1) - timedelta(seconds=1))
    finally:
        store.close()
    assert len(points) == 24
    assert [p.at.minute for p in points] == [50] * 24
    assert points == [p for p in raw if p.at.minute == 50]


def test_profile_points_read_by_seeks_equal_the_grid_sample_of_every_reading(weeks_db):
    store = Store.open(store_url(weeks_db))
    try:
        key = SeriesKey("work", "codex", "weekly", 604800)
        since, until = MONDAY + timedelta(days=2, minutes=7), MONDAY + timedelta(weeks=3)
        seeks = profile_points(store, key, since, until)
        everything = store.points(key, None, until)
        assert profile_points(store, SeriesKey("nobody", "codex", "weekly", 604800), since, until) == []
    finally:
        store.close()
    assert seeks == grid_sample(everything, since, until)
    assert len(seeks) == 19 * 6  # one per 4-hour step from Wednesday 04:00 to Monday 00:00
    assert all(p.at.hour % 4 == 3 and p.at.minute == 50 for p in seeks)  # the last one before 00:00, 04:00...


def test_backtest_json_on_stored_weeks(weeks_db):
    result = run("backtest", "--db", str(weeks_db), "--json", "--since", iso(MONDAY + timedelta(weeks=2)),
                 "--until", iso(END))
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    [series] = data["series"]
    assert (series["account"], series["kind"], series["windows"]) == ("work", "weekly", 3)
    assert series["steps"] == 3 * 167  # hourly, from the first hour in which the week has a reading
    assert series["mean_abs_error_at_reset"] < 3 < 8 < series["baseline_mean_abs_error_at_reset"]
    assert series["baseline"] == "window-average"
    assert series["late_verdicts"] == 3 * 48 and series["late_verdicts_right"] == 1.0
    assert data["totals"][0]["steps"] == series["steps"]
    tenths = series["calibration"]
    assert tenths and sum(t["steps"] for t in tenths) == 3 * 48  # every late answer, in its tenth
    assert all(t["probability_to"] == round(t["probability_from"] + 0.1, 1) and t["windows"] <= 3
               and t["ran_out_interval90"][0] <= t["ran_out"] <= t["ran_out_interval90"][1] for t in tenths)


def test_backtest_table_and_every(weeks_db):
    args = ("backtest", "--db", str(weeks_db), "--since", iso(MONDAY + timedelta(weeks=2)), "--until", iso(END))
    lines = run(*args).stdout.splitlines()
    assert lines[0].split() == ["account", "window", "windows", "steps", "error", "w-avg", "error", "late",
                                "verdicts", "right", "w-avg", "right", "brier", "w-avg", "brier", "in", "80%", "range"]
    assert lines[1].split()[:4] == ["work", "weekly", "3", str(3 * 167)]
    assert run(*args, "--every", "2h").stdout.splitlines()[1].split()[3] == str(3 * 83)


def test_backtest_calibration_table(weeks_db):
    args = ("backtest", "--db", str(weeks_db), "--since", iso(MONDAY + timedelta(weeks=2)), "--until", iso(END))
    assert "run-out probability" not in run(*args).stdout
    out = run(*args, "--calibration").stdout
    head, rows = out.split("(the same when calibrated):\n")
    lines = rows.splitlines()
    assert lines[0].split() == ["window", "said", "answers", "windows", "on", "average", "ran", "out", "90%",
                                "interval"]
    weekly = [line.split() for line in lines[1:] if line.startswith("weekly")]
    assert weekly and sum(int(r[2]) for r in weekly) == 3 * 48  # every late answer of the three weeks
    assert all(r[1][3] == "-" and 1 <= int(r[3]) <= 3 for r in weekly)
    assert head.startswith("account")  # the scores first, as without --calibration


@pytest.mark.parametrize("args,code,message", [
    (["--every", "1m"], 2, "at least 5m"),
    (["--since", "1d", "--until", "2d"], 2, "the period is empty"),
    (["--since", "2020-01-01", "--until", "2020-02-01"], 1, "no window ended within the period"),
])
def test_backtest_errors(tmp_path, args, code, message):
    db = tmp_path / "w.db"
    fill(db).close()
    result = run("backtest", "--db", str(db), *args)
    assert result.exit_code == code
    assert message in result.stderr


def test_backtest_on_the_demo(tmp_path, monkeypatch):
    # the demo's history ends now: pinned, so that the figures do not depend on the hour the suite runs
    # (unpinned, the weekly comparison flipped at 09:58 UTC on 4 Dec 2026)
    pinned = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
    monkeypatch.setattr("tracker.cli.demo.utcnow", lambda: pinned)
    db = tmp_path / "demo.db"
    assert run("demo", "--db", str(db), "--accounts", "2", "--days", "21", "-o", str(tmp_path / "d.png")).exit_code == 0
    result = run("backtest", "--db", str(db), "--json", "--until", iso(pinned), "--since", iso(pinned - timedelta(days=28)),
                 "--tz", "UTC")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    kinds = {t["kind"]: t for t in data["totals"]}
    assert set(kinds) == {"five_hour", "weekly"}
    assert kinds["weekly"]["mean_abs_error_at_reset"] < kinds["weekly"]["baseline_mean_abs_error_at_reset"]


def test_report_forecasts_the_week_from_the_stored_profile(weeks_db):
    # Monday 01:00 of week 6: four earlier weeks that each ended at 80 % -> about 80 at reset
    data = json.loads(run("report", "--db", str(weeks_db), "--json", "--at", iso(END)).stdout)
    [weekly] = data["accounts"][0]["windows"]
    assert weekly["forecast_method"] == "profile"
    assert weekly["projected_used_percent_at_reset"] == pytest.approx(80, abs=2)
    assert weekly["projected_low"] <= weekly["projected_used_percent_at_reset"] <= weekly["projected_high"]
    assert weekly["exhausts_before_reset"] is False and weekly["burn_rate_percent_per_hour"] == 0.0
    gauges = run("report", "--db", str(weeks_db), "--format", "prometheus", "--at", iso(END)).stdout
    assert 'codex_usage_projected_used_percent_at_reset{account="work",limit="codex",kind="weekly"} 79.' in gauges
    assert 'codex_usage_pace_delta_percent{account="work",limit="codex",kind="weekly"} -0.' in gauges
