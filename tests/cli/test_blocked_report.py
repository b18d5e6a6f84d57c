"""`report` says how long each account was blocked in the last 7 days (issue 24 item 2), from
generated session logs through import-sessions: exact to the readings, the same as the reset
ledger's blocked time, overlapping windows counted once; in the table, --json and Prometheus
(with the credits balance)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures import iso, run

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # a Monday
STEP = timedelta(minutes=5)
# (first use, hours to fill at a steady pace) of three five-hour windows on Monday and Tuesday
WINDOWS = [(T0 + timedelta(hours=2), 3.0), (T0 + timedelta(hours=8), 6.0), (T0 + timedelta(days=1, hours=3), 1.5)]
WEEK_RESET = T0 + timedelta(days=5)
WEEK_FULL = T0 + timedelta(days=1, hours=5)  # the week is used up from Tuesday 11:00 to the end


def line(at: datetime, five: float, five_reset: datetime, week: float) -> str:
    return json.dumps({"timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "type": "event_msg", "payload": {
        "type": "token_count", "info": None, "rate_limits": {
            "limit_id": "codex",
            "primary": {"used_percent": five, "window_minutes": 300, "resets_at": int(five_reset.timestamp())},
            "secondary": {"used_percent": week, "window_minutes": 10080, "resets_at": int(WEEK_RESET.timestamp())},
            "credits": {"has_credits": True, "unlimited": False, "balance": "7.25"}, "plan_type": "plus"}}})


def five_hour(at: datetime) -> tuple[float, datetime]:
    for start, fill_hours in WINDOWS:
        if start <= at < start + timedelta(hours=5):
            return min(100.0, round(100 * (at - start) / timedelta(hours=fill_hours), 1)), start + timedelta(hours=5)
    return 0.0, at + timedelta(hours=5)  # idle: the reset time floats with the clock


@pytest.fixture(scope="module")
def blocked_db(tmp_path_factory):
    root = tmp_path_factory.mktemp("blocked")
    home, db = root / ".codex", root / "b.db"
    path = home / "sessions/2026/11/23/rollout-blocked.jsonl"
    path.parent.mkdir(parents=True)
    lines, at = [], T0
    while at <= T0 + timedelta(days=2):
        five, reset = five_hour(at)
        week = 100.0 if at >= WEEK_FULL else round(min(99.0, 80 * (at - T0) / (WEEK_FULL - T0)), 1)
        lines.append(line(at, five, reset, week))
        at += STEP
    path.write_text("\n".join(lines) + "\n")
    result = run("import-sessions", "--db", str(db), "--codex-home", f"heavy={home}")
    assert result.exit_code == 0, result.stderr
    return db


def report_at(db, at: datetime) -> dict:
    result = run("report", "--db", str(db), "--json", "--at", iso(at), "--stale-after", "1d")
    assert result.exit_code == 0, result.stderr
    [account] = json.loads(result.stdout)["accounts"]
    return account


def test_blocked_hours_exact_to_the_readings(blocked_db):
    # Monday: the 08:00-13:00 window is full from 11:00 (3 h of use) to its reset: 2 h; the second
    # never fills (6 h to fill a five-hour window). Tuesday's 09:00-14:00 window is full at 10:30;
    # read at 10:58, it is still blocked: 28 min so far.
    account = report_at(blocked_db, T0 + timedelta(days=1, hours=4, minutes=58))
    spans = [(s["kind"], s["from"], s["until"], s["open"]) for s in account["blocked_spans"]]
    assert spans == [
        ("five_hour", iso(T0 + timedelta(hours=5)), iso(T0 + timedelta(hours=7)), False),
        ("five_hour", iso(T0 + timedelta(days=1, hours=4, minutes=30)),
         iso(T0 + timedelta(days=1, hours=4, minutes=58)), True),
    ]
    assert account["blocked_seconds_this_week"] == 2 * 3600 + 28 * 60


def test_the_full_week_and_the_full_five_hours_count_once(blocked_db):
    at = T0 + timedelta(days=2)
    account = report_at(blocked_db, at)
    week = [s for s in account["blocked_spans"] if s["kind"] == "weekly"]
    assert [(s["from"], s["until"], s["open"]) for s in week] == [(iso(WEEK_FULL), iso(at), True)]
    # 2 h on Monday, and from Tuesday 10:30 on: the five-hour window full to 14:00 and the week
    # from 11:00 to now overlap, counted once
    assert account["blocked_seconds_this_week"] == 2 * 3600 + 30 * 60 + (at - WEEK_FULL).total_seconds()
    ledger = json.loads(run("resets", "--db", str(blocked_db), "--json", "--since", iso(T0), "--until", iso(at)).stdout)
    five_resets = [e for e in ledger if e["kind"] == "five_hour" and e["event"] == "reset" and e["blocked_seconds"]]
    assert sorted(e["blocked_seconds"] for e in five_resets) == [2 * 3600, 3 * 3600 + 30 * 60]  # the ledger agrees


def test_blocked_in_the_table_and_prometheus(blocked_db):
    at = T0 + timedelta(days=2)
    table = run("report", "--db", str(blocked_db), "--at", iso(at), "--stale-after", "1d", "--tz", "UTC").stdout
    assert "· credits 7.25 · blocked 21 h 30 m this week" in table
    text = run("report", "--db", str(blocked_db), "--at", iso(at), "--stale-after", "1d", "--format", "prometheus").stdout
    assert 'codex_usage_blocked_seconds_this_week{account="heavy"} 77400.0' in text
    assert 'codex_usage_credits_balance{account="heavy"} 7.25' in text


def test_a_week_later_nothing_is_blocked(blocked_db):
    account = report_at(blocked_db, T0 + timedelta(days=10))
    assert account["blocked_seconds_this_week"] == 0 and account["blocked_spans"] == []
