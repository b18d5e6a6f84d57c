"""`tracker report` end to end: collect at fixed instants from a server whose answers change."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.helpers import T0, iso, run, write_auth


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
        "used_percent": 30.0, "remaining_percent": 70.0, "reset_at": "2026-11-20T14:00:00Z",
        "burn_rate_percent_per_hour": 20.0, "safe_rate_percent_per_hour": 23.33,
        "exhausts_at": "2026-11-20T14:30:00Z", "exhausts_before_reset": False,
        "reset_since_last_snapshot": False, "last_point_at": "2026-11-20T11:00:00Z",
    }
    assert weekly["kind"] == "weekly" and weekly["burn_rate_percent_per_hour"] == 4.0
    assert weekly["exhausts_at"] == "2026-11-20T22:30:00Z"  # 46 % left at 4 %/h = 11.5 h
    assert weekly["exhausts_before_reset"] is True
    assert account["runs_out_before_reset"] is True


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
    assert out.startswith("as of Fri 20 Nov 20:00 (Asia/Tokyo)\n\n")
    lines = out.splitlines()[2:]
    assert lines[0].startswith("work (pro) · last snapshot 20:00")
    assert "RUNS OUT BEFORE RESET" in lines[0]
    assert lines[1].split() == ["limit", "window", "used%", "left%", "burn", "%/h", "safe", "%/h", "resets", "runs", "out"]
    assert lines[2].split()[:7] == ["codex", "5h", "30", "70", "20.0", "23.3", "23:00"]
    assert lines[2].rstrip().endswith("after reset")
    assert lines[3].rstrip().endswith("(!)")


def test_no_data_yet(tmp_path):
    result = run("report", "--db", str(tmp_path / "empty.db"))
    assert result.exit_code == 1
    assert "run `tracker collect`" in result.stderr


def test_unknown_account(history_db):
    db, _, _ = history_db
    result = run("report", "nobody", "--db", str(db))
    assert result.exit_code == 1 and "nobody" in result.stderr
