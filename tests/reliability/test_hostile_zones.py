"""The machine's zone comes from TZ or the /etc/localtime link: whatever they hold, the tracker
falls back to a fixed offset rather than reading files or failing (the usual week is kept on it)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, tzinfo

import pytest

from tests.fixtures import run
from tracker.timeutil import local_zone

HOSTILE_TZ = ["../../../../etc/passwd", "/etc/passwd", ":/etc/shadow", "Europe/../../../etc/passwd",
              "Europe/Berlin\n", "\x1b[31m", "A" * 5000, "EST+5EDT,M3.2.0,M11.1.0",
              "Not/A_Zone", " ", "💥"]


@pytest.mark.parametrize("value", HOSTILE_TZ)
def test_a_hostile_tz_falls_back_to_an_offset(monkeypatch, value):
    monkeypatch.setenv("TZ", value)
    zone = local_zone()
    assert isinstance(zone, tzinfo)
    assert getattr(zone, "key", None) in (None, "UTC")  # no file outside the zone database was read as a zone
    assert datetime(2026, 3, 29, 12, tzinfo=UTC).astimezone(zone).utcoffset() is not None


def test_tz_names_the_zone_with_its_clock_changes(monkeypatch):
    monkeypatch.setenv("TZ", ":Europe/Berlin")
    zone = local_zone()
    winter, summer = datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 7, 6, tzinfo=UTC)
    assert (zone.utcoffset(winter.astimezone(zone)).seconds, zone.utcoffset(summer.astimezone(zone)).seconds) \
        == (3600, 7200)
    monkeypatch.setenv("TZ", "Etc/UTC")
    assert local_zone() is UTC


@pytest.mark.parametrize("value", ["../../../../etc/passwd", "Europe/Berlin\n", "A" * 5000])
def test_the_demo_report_and_backtest_run_under_a_hostile_tz(tmp_path, monkeypatch, value):
    db = tmp_path / "d.db"
    assert run("demo", "--db", db, "--accounts", "1", "--days", "8", "-o", tmp_path / "d.png").exit_code == 0
    monkeypatch.setenv("TZ", value)
    report = run("report", "--db", db, "--json")
    assert report.exit_code == 0, report.output
    assert json.loads(report.stdout)["accounts"][0]["windows"]
    backtest = run("backtest", "--db", db, "--since", "7d")
    assert backtest.exit_code in (0, 1) and "Traceback" not in backtest.output
