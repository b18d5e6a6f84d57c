"""`tracker report` end to end: collect at fixed instants from a server whose answers change."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import pytest

from tests.fixtures import T0, iso, run, write_auth
from tracker.insight import outlook
from tracker.insight.forecast import SESSION_HOURS, SESSION_PACE

# The five-hour window: 30 % used at 20 %/h, 3 h left of 5. The session is expected to end (on
# average after SESSION_HOURS, slowing to SESSION_PACE of its slope): 20 x 0.8 x 2 x (1 - e^-1.5)
# = 24.9 points more, not 60.
MORE = 20.0 * SESSION_PACE * SESSION_HOURS * (1 - math.exp(-3 / SESSION_HOURS))
SIGMA = outlook.spread(MORE, 3 / 5, long_window=False)
LOW, HIGH = outlook.range80(30.0, MORE, SIGMA)
P = round(outlook.run_out_probability(30.0, MORE, SIGMA), 3)


def test_report_json_figures(history_db):
    db, _, _ = history_db
    result = run("report", "--db", str(db), "--json", "--at", iso(T0 + timedelta(hours=1)))
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["generated_at"] == "2026-11-20T11:00:00Z"
    [account] = data["accounts"]
    assert (account["account"], account["plan"], account["stale"], account["last_error"]) == ("work", "pro", False, None)
    assert account["last_snapshot_at"] == "2026-11-20T11:00:00Z"
    five, weekly = account["windows"]
    assert five == {
        "limit": "codex", "kind": "five_hour", "window_seconds": 18000,
        "used_percent": 30.0, "remaining_percent": 70.0, "severity": "normal", "reset_at": "2026-11-20T14:00:00Z",
        "burn_rate_percent_per_hour": 20.0, "safe_rate_percent_per_hour": 23.33,
        "exhausts_at": "2026-11-20T14:30:00Z", "exhausts_before_reset": False,
        "reset_since_last_snapshot": False, "last_point_at": "2026-11-20T11:00:00Z",
        "reading_past_reset": False, "projected_used_percent_at_reset": round(30 + MORE, 2),  # 54.86
        "projected_low": round(LOW, 2), "projected_high": round(HIGH, 2), "run_out_probability": P,
        "may_exhaust_before_reset": False,  # 55 expected, 100 outside the 80 % range
        "expected_rate_percent_per_hour": round(MORE / 3, 3), "pace_delta_percent": -10.0,
        "forecast_method": "recent-slope",
    }
    assert weekly["kind"] == "weekly" and weekly["burn_rate_percent_per_hour"] == 4.0
    # No earlier week stored: the window's own average pace, not the last hour's 4 %/h. The week
    # began 4 days ago (reset in 3): 54 % in 97 h is 0.557 %/h, for 71 h more -> 93.5 %.
    assert weekly["forecast_method"] == "window-average"
    assert weekly["projected_used_percent_at_reset"] == 93.53
    assert weekly["pace_delta_percent"] == -3.74  # an even pace would be at 57.74 % (97 of 168 h)
    assert weekly["exhausts_before_reset"] is False and weekly["exhausts_at"] > weekly["reset_at"]
    assert account["runs_out_before_reset"] is False
    assert (account["effective_remaining_percent"], account["binding_kind"]) == (46.0, "weekly")
    assert (account["severity"], weekly["severity"]) == ("normal", "normal")  # 46 % left, lasts


def test_report_as_of_an_earlier_moment(history_db):
    db, _, _ = history_db
    data = json.loads(run("report", "--db", str(db), "--json", "--at", iso(T0 + timedelta(minutes=15))).stdout)
    five = data["accounts"][0]["windows"][0]
    assert five["used_percent"] == 15.0
    assert five["burn_rate_percent_per_hour"] == 20.0


def test_stale_and_last_error_keep_the_last_balance(history_db, tmp_path):
    db, accounts, usage_url = history_db
    write_auth(accounts / "work.auth.json", "work", exp=int((T0 + timedelta(hours=1, minutes=5)).timestamp()))
    run("collect", "--account-dir", str(accounts), "--url", usage_url, "--db", str(db),
        "--at", iso(T0 + timedelta(hours=1, minutes=10)), "-q")
    data = json.loads(run("report", "--db", str(db), "--json", "--at", iso(T0 + timedelta(hours=2))).stdout)
    account = data["accounts"][0]
    assert account["stale"] is True
    assert account["last_error"]["kind"] == "expired"
    assert account["last_error"]["since"] == "2026-11-20T11:10:00Z"
    assert account["windows"][0]["used_percent"] == 30.0
    table = run("report", "--db", str(db), "--at", iso(T0 + timedelta(hours=2)), "--tz", "UTC").stdout
    assert "STALE" in table and "expired since 11:10: run `codex login`" in table
    gauges = run("report", "--db", str(db), "--at", iso(T0 + timedelta(hours=2)), "--format", "prometheus").stdout
    assert 'codex_usage_last_failure_timestamp_seconds{account="work"} 1795173000.0' in gauges
    check = run("check", "--db", str(db), "--at", iso(T0 + timedelta(hours=2)))
    assert check.exit_code == 20 and "work: stale: last snapshot 1h 00m ago (expired: access token expired" in check.stdout


def test_report_table(history_db):
    db, _, _ = history_db
    out = run("report", "--db", str(db), "--at", iso(T0 + timedelta(hours=1)), "--tz", "Asia/Tokyo").stdout
    assert out.startswith("as of Fri 20 Nov 2026 20:00 (Asia/Tokyo)\n\n")
    lines = out.splitlines()[2:]
    assert lines[0].startswith("work (pro) · last snapshot 20:00")
    assert "RUNS OUT" not in lines[0]
    assert lines[1].split() == ["limit", "window", "used%", "left%", "burn", "%/h", "safe", "%/h", "at", "reset",
                                "resets", "runs", "out"]
    assert lines[2].split()[:8] == ["codex", "5h", "30", "70", "20.0", "23.3", f"{30 + MORE:.0f}",
                                    f"({LOW:.0f}-{HIGH:.0f})"]
    assert lines[2].rstrip().endswith("after reset")  # at 20 %/h it would run out at 14:30, after the reset
    assert lines[3].split()[:7] == ["codex", "weekly", "54", "46", "4.0", "0.6", "94"]
    assert lines[3].rstrip().endswith("possibly")  # 94 expected: 100 is within the range


@pytest.mark.parametrize("command,code,stream", [("report", 1, "stderr"), ("check", 20, "stdout")])
def test_no_data_yet(tmp_path, command, code, stream):
    result = run(command, "--db", str(tmp_path / "empty.db"))
    assert result.exit_code == code
    assert "run `tracker collect`" in getattr(result, stream)


def test_unknown_account(history_db):
    db, _, _ = history_db
    result = run("report", "nobody", "--db", str(db))
    assert result.exit_code == 1 and "nobody" in result.stderr


def test_run_out_probability_reaches_prometheus_and_the_notify_rule(history_db):
    db, _, _ = history_db
    at = iso(T0 + timedelta(hours=1))
    prom = run("report", "--db", str(db), "--format", "prometheus", "--at", at).stdout
    line = next(x for x in prom.splitlines() if x.startswith("codex_usage_run_out_probability{") and "five_hour" in x)
    assert float(line.rsplit(" ", 1)[1]) == pytest.approx(P, abs=1e-3)
    # 55 % expected at the reset (P about 0.006), the week 94 % (P about 0.38): no alert at the
    # default 0.5; at --min-probability 0.01 the week's, with its probability, and not the 5h's
    assert 0 < P < 0.01
    quiet = run("notify", "--db", str(db), "--before-reset", "--below", "0", "--dry-run", "--at", at)
    assert "run out" not in quiet.stdout
    loud = run("notify", "--db", str(db), "--before-reset", "--below", "0", "--min-probability", "0.01",
               "--dry-run", "--at", at)
    weekly = next(x for x in prom.splitlines() if x.startswith("codex_usage_run_out_probability{") and "weekly" in x)
    p_week = float(weekly.rsplit(" ", 1)[1])
    assert loud.exit_code == 0 and "weekly window may run out" in loud.stdout
    assert f"({100 * p_week:.0f}% likely)" in loud.stdout and "5h window" not in loud.stdout
