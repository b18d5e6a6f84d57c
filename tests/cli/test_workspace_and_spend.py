"""Issue 24 item 4: group, workspace and role spending limits beside the individual one, the
workspace and seat, through a real local server, report (table and --json), Prometheus and an
upgrade of an older database."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest

from tests.fixtures import (
    T0,
    USAGE_PATH,
    database_at,
    iso,
    open_at_head,
    run,
    usage_body,
    write_auth,
)
from tracker.collect.normalize import normalize_payload


def spend(used: float, limit: str = "100.00") -> dict:
    return {"limit": limit, "used": f"{used:.2f}", "remaining": f"{100 - used:.2f}", "used_percent": used,
            "remaining_percent": 100 - used, "reset_after_seconds": 0, "reset_at": 0}


def team_body() -> dict:
    return {**usage_body(), "plan_type": "business", "workspace_id": "ws-7f3a", "workspace_name": "Acme R&D",
            "seat_type": "member",
            "spend_control": {"reached": False, "reached_limit_type": "group", "individual_limit": spend(20),
                              "group_limit": spend(55), "workspace_limit": spend(81.5),
                              "role_limit": {**spend(10), "reset_at": int((T0 + timedelta(days=9)).timestamp())}}}


def test_every_spending_limit_is_its_own_limit():
    usage = normalize_payload(team_body(), T0)
    spends = {w.limit: (w.kind, w.used_percent) for w in usage.windows if w.limit.startswith("spend_")}
    assert spends == {"spend_individual": ("other", 20.0), "spend_group": ("other", 55.0),
                      "spend_workspace": ("other", 81.5), "spend_role": ("other", 10.0)}
    role = next(w for w in usage.windows if w.limit == "spend_role")
    assert role.reset_at == T0 + timedelta(days=9)
    assert (usage.workspace_id, usage.workspace_label, usage.seat_type, usage.spend_reached_type) == \
        ("ws-7f3a", "Acme R&D", "member", "group")


@pytest.mark.parametrize("extra", [
    {"workspace": {"id": "ws-1", "name": "Lab"}, "seat_type": "owner"},
    {"workspaceId": "ws-1", "workspaceLabel": "Lab", "seatType": "owner"},
])
def test_workspace_in_other_shapes(extra):
    usage = normalize_payload({**usage_body(), **extra}, T0)
    assert (usage.workspace_id, usage.workspace_label, usage.seat_type) == ("ws-1", "Lab", "owner")


def test_odd_spending_entries_are_skipped_not_fatal():
    body = {**usage_body(), "spend_control": {"group_limit": "55", "seat_limit": {"used_percent": "x"},
                                              "team_limit": spend(5), "workspace_limit": None}}
    usage = normalize_payload(body, T0)
    assert usage.parsed
    assert [w.limit for w in usage.windows if w.limit.startswith("spend_")] == ["spend_team"]
    plain = normalize_payload(usage_body(), T0)
    assert (plain.workspace_id, plain.seat_type, plain.spend_reached_type) == (None, None, None)


@pytest.fixture
def team_db(httpserver, tmp_path):
    accounts = tmp_path / "accounts"
    write_auth(accounts / "team.auth.json", "team")
    db = tmp_path / "t.db"
    httpserver.expect_ordered_request(USAGE_PATH).respond_with_json(team_body())
    result = run("collect", "--account-dir", str(accounts), "--url", httpserver.url_for(USAGE_PATH),
                 "--db", str(db), "--at", iso(T0), "-q")
    assert result.exit_code == 0, result.stderr
    return db


def test_report_shows_them_beside_the_individual_limit(team_db):
    at = iso(T0 + timedelta(minutes=5))
    [account] = json.loads(run("report", "--db", str(team_db), "--json", "--at", at).stdout)["accounts"]
    assert (account["workspace_id"], account["workspace_label"], account["seat_type"]) == ("ws-7f3a", "Acme R&D", "member")
    used = {w["limit"]: w["used_percent"] for w in account["windows"] if w["limit"].startswith("spend_")}
    assert used == {"spend_group": 55.0, "spend_individual": 20.0, "spend_role": 10.0, "spend_workspace": 81.5}
    table = run("report", "--db", str(team_db), "--at", at, "--tz", "UTC").stdout
    assert "team (business) · last snapshot" in table and "· workspace Acme R&D (member)" in table
    for name in ("spend_individual", "spend_group", "spend_workspace", "spend_role"):
        assert name in table
    text = run("report", "--db", str(team_db), "--at", at, "--format", "prometheus").stdout
    assert 'codex_usage_used_percent{account="team",limit="spend_workspace",kind="other"} 81.5' in text


def test_an_older_database_upgrades_and_keeps_every_row(tmp_path):
    db = tmp_path / "old.db"
    database_at(db, "0007", "team", [("spend_individual", "other", 0), ("codex", "weekly", 604800)])
    open_at_head(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*), count(workspace_id), count(seat_type) FROM snapshots").fetchone() == (3, 0, 0)
        assert conn.execute("SELECT count(*) FROM windows").fetchone() == (6,)
