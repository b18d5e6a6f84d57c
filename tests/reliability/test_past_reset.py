"""Issue 12: a reading whose reset time is already past must be shown as read (flagged), never
silently replaced by "reset, 0 %"."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.fixtures import NOW, USAGE_PATH, iso, run, usage_body, write_auth

AT = datetime.fromtimestamp(NOW, UTC)


def collect_one(httpserver, usage_url, tmp_path, body):
    accounts = tmp_path / "accounts"
    write_auth(accounts / "work.auth.json", "work")
    db = tmp_path / "t.db"
    httpserver.expect_request(USAGE_PATH).respond_with_json(body)
    result = run("collect", "--account-dir", str(accounts), "--url", usage_url, "--db", str(db), "--at", iso(AT), "-q")
    assert result.exit_code == 0, result.stderr
    return db


def test_a_reading_with_a_past_reset_shows_what_was_read(httpserver, usage_url, tmp_path):
    db = collect_one(httpserver, usage_url, tmp_path, usage_body(five_used=42, five_reset=NOW - 600))
    data = json.loads(run("report", "--db", str(db), "--json", "--at", iso(AT + timedelta(minutes=1))).stdout)
    five = data["accounts"][0]["windows"][0]
    assert (five["kind"], five["used_percent"], five["remaining_percent"]) == ("five_hour", 42.0, 58.0)
    assert five["reading_past_reset"] is True and five["reset_since_last_snapshot"] is True
    assert five["reset_at"] == iso(AT - timedelta(minutes=10))
    assert five["projected_used_percent_at_reset"] is None and five["exhausts_before_reset"] is False
    table = run("report", "--db", str(db), "--tz", "UTC", "--at", iso(AT + timedelta(minutes=1))).stdout
    row = next(line for line in table.splitlines() if " 5h " in line)
    assert row.split()[2:4] == ["42", "58"] and "already past when read" in row


def test_a_reset_that_passed_after_the_reading_keeps_the_reading(httpserver, usage_url, tmp_path):
    db = collect_one(httpserver, usage_url, tmp_path, usage_body(five_used=42, five_reset=NOW + 600))
    at = iso(AT + timedelta(minutes=15))
    five = json.loads(run("report", "--db", str(db), "--json", "--at", at).stdout)["accounts"][0]["windows"][0]
    assert (five["used_percent"], five["reset_since_last_snapshot"], five["reading_past_reset"]) == (42.0, True, False)
    table = run("report", "--db", str(db), "--tz", "UTC", "--at", at).stdout
    assert "reset since last snapshot" in table
    # decisions treat it as reset: no "low" alarm from a stale 42 %, and pick counts it as full
    assert run("check", "--db", str(db), "--at", at, "--kind", "five_hour", "--min-remaining", "60").exit_code == 0
