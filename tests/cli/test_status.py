"""`tracker status`: every format, exact output, on a history collected at fixed instants."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.fixtures import T0, iso, run

AT = iso(T0 + timedelta(hours=1))


def status(db, *args):
    return run("status", "--db", str(db), "--at", AT, "--tz", "UTC", *args)


def test_text_line(history_db):
    db, _, _ = history_db
    result = status(db)
    assert result.exit_code == 0
    assert result.stdout == "work 5h 70% · wk 46%\n"


def test_one_kind_and_tmux(history_db):
    db, _, _ = history_db
    assert status(db, "--kind", "five_hour").stdout == "work 5h 70%\n"
    assert status(db, "--format", "tmux").stdout == "#[fg=green]work 5h 70% · wk 46%#[default]\n"


def test_waybar(history_db):
    db, _, _ = history_db
    out = json.loads(status(db, "--format", "waybar").stdout)
    assert out == {"text": "work 5h 70% · wk 46%",
                   "tooltip": "work 5h: 70% left, resets 14:00\n"
                              "work wk: 46% left, resets Mon 23 Nov 10:00 (32% chance to run out first)",
                   "class": "normal", "percentage": 46}


def test_i3blocks_and_json(history_db):
    db, _, _ = history_db
    assert status(db, "--format", "i3blocks").stdout == (
        "work 5h 70% · wk 46%\nwork 46%\n#98c379\n")
    item, = json.loads(status(db, "--format", "json").stdout)
    assert item["account"] == "work" and item["severity"] == "normal" and item["stale"] is False
    assert [w["kind"] for w in item["windows"]] == ["five_hour", "weekly"]
    assert item["windows"][0]["remaining_percent"] == 70


def test_stale_is_marked_never_fresh(history_db):
    db, _, _ = history_db
    later = run("status", "--db", str(db), "--at", iso(T0 + timedelta(hours=3)), "--tz", "UTC", "--kind", "five_hour")
    assert later.stdout == "work 5h 70% · stale (2h 00m ago)\n"
    waybar = json.loads(run("status", "--db", str(db), "--at", iso(T0 + timedelta(hours=3)), "--kind", "five_hour",
                            "--format", "waybar").stdout)
    assert waybar["class"] == "stale" and "stale: last snapshot 2h 00m ago" in waybar["tooltip"]


def test_runs_out_before_reset_is_critical_with_its_time():
    from datetime import UTC, datetime

    from tracker.insight.forecast import Forecast
    from tracker.insight.report import AccountReport, Report, WindowReport
    from tracker.points import SeriesKey
    from tracker.views.status import render_status

    now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    week = Forecast(60.0, 40.0, now + timedelta(days=2), now, 2.0, 0.8, now + timedelta(hours=20), True,
                    projected=100.0)
    report = Report(now, [AccountReport("work", "plus", now, False, None,
                                        [WindowReport(SeriesKey("work", "codex", "weekly", 604800), week)])])
    assert render_status(report, ("five_hour", "weekly"), "text", UTC) == "work wk 40% ↘ Sat 21 Nov 06:00"
    assert '"class": "critical"' in render_status(report, ("weekly",), "waybar", UTC)


@pytest.mark.parametrize("fmt", ["text", "waybar"])
def test_unknown_account(history_db, fmt):
    db, _, _ = history_db
    result = status(db, "--account", "nobody", "--format", fmt)
    assert result.exit_code == 1 and "no account named 'nobody'" in result.stderr
