"""Issue 14 end to end: weekly-only accounts on every path, limit families and flat lines through
import-sessions, reset credits and spend control in report and Prometheus, the HTML 403, and the
config.toml base URL, all through real click invocations, a real local server and real databases."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.fixtures import T0, USAGE_PATH, iso, png_size, run, write_auth

AT = iso(T0 + timedelta(hours=1))
WEEK = 604800
WEEK_RESET = int((T0 + timedelta(days=3)).timestamp())


def weekly_only(used: float) -> dict:
    """A plan whose only window is weekly, sent as `primary` with `secondary` null."""
    return {"plan_type": "plus", "rate_limit": {
        "allowed": True, "limit_reached": False,
        "primary_window": {"used_percent": used, "limit_window_seconds": WEEK, "reset_at": WEEK_RESET},
        "secondary_window": None}}


def collect_series(httpserver, accounts, db, bodies, *extra):
    """Collect once per body, 15 minutes apart from T0."""
    results = []
    for i, payload in enumerate(bodies):
        httpserver.expect_ordered_request(USAGE_PATH).respond_with_json(payload)
        result = run("collect", "--account-dir", str(accounts), "--url", httpserver.url_for(USAGE_PATH),
                     "--db", str(db), "--at", iso(T0 + timedelta(minutes=15 * i)), "--tz", "UTC", *extra)
        assert result.exit_code == 0, result.stderr
        results.append(result)
    return results


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def weekly_db(request, httpserver, tmp_path):
    """`work` has only a weekly window: 50 % used, 1 %/15 min; on SQLite and PostgreSQL."""
    accounts = tmp_path / "accounts"
    write_auth(accounts / "work.auth.json", "work")
    db = tmp_path / "w.db" if request.param == "sqlite" else request.getfixturevalue("pg_db")
    collect_series(httpserver, accounts, db, [weekly_only(50 + i) for i in range(5)], "-q")
    return db, accounts


# -- 3. weekly-only accounts on every path ---------------------------------------------------

def test_weekly_only_collect(httpserver, tmp_path):
    accounts = tmp_path / "accounts"
    write_auth(accounts / "work.auth.json", "work")
    db = tmp_path / "c.db"
    [table] = collect_series(httpserver, accounts, db, [weekly_only(40)])
    header, row = table.stdout.splitlines()
    assert row.split()[:4] == ["work", "plus", "-", "-"] and "60" in row.split()
    [as_json] = collect_series(httpserver, accounts, db, [weekly_only(41)], "--json")
    [item] = json.loads(as_json.stdout)
    assert [(w["kind"], w["window_seconds"], w["used_percent"]) for w in item["windows"]] == [("weekly", WEEK, 41.0)]


def test_weekly_only_report(weekly_db):
    db, _ = weekly_db
    result = run("report", "--db", str(db), "--json", "--at", AT)
    assert result.exit_code == 0, result.stderr
    [account] = json.loads(result.stdout)["accounts"]
    [window] = account["windows"]
    assert (window["kind"], window["used_percent"], window["burn_rate_percent_per_hour"]) == ("weekly", 54.0, 4.0)
    assert (account["effective_remaining_percent"], account["binding_kind"]) == (46.0, "weekly")
    table = run("report", "--db", str(db), "--at", AT, "--tz", "UTC").stdout
    assert "weekly" in table and " 5h " not in table


def test_weekly_only_chart(weekly_db, tmp_path):
    db, _ = weekly_db
    out = tmp_path / "week.png"
    result = run("chart", "--db", str(db), "-o", str(out), "--since", iso(T0 - timedelta(days=1)),
                 "--until", AT, "--tz", "UTC")
    assert result.exit_code == 0, result.stderr
    assert png_size(out)[0] > 100
    only_five = run("chart", "--db", str(db), "-o", str(tmp_path / "5h.png"), "--kind", "five_hour",
                    "--since", iso(T0 - timedelta(days=1)), "--until", AT)
    assert only_five.exit_code == 1 and not (tmp_path / "5h.png").exists()  # nothing to draw: one line


def test_weekly_only_check(weekly_db):
    db, _ = weekly_db
    assert run("check", "--db", str(db), "--at", AT).exit_code == 0
    low = run("check", "--db", str(db), "--at", AT, "--min-remaining", "50")
    assert low.exit_code == 10 and low.stdout.startswith("work: weekly window: 46% left (below 50%)")
    assert len(low.stdout.splitlines()) == 1
    assert run("check", "--db", str(db), "--at", AT, "--kind", "five_hour", "--min-remaining", "50").exit_code == 0


def test_weekly_only_pick(weekly_db):
    db, accounts = weekly_db
    assert run("pick", "--db", str(db), "--at", AT).stdout == "work\n"
    assert run("pick", "--db", str(db), "--at", AT, "--kind", "weekly", "--path").stdout == \
        f"work\t{accounts / 'work.auth.json'}\n"


def test_weekly_only_status(weekly_db):
    db, _ = weekly_db
    result = run("status", "--db", str(db), "--at", AT, "--tz", "UTC")
    assert (result.exit_code, result.stdout) == (0, "work wk 46%\n")
    waybar = json.loads(run("status", "--db", str(db), "--at", AT, "--format", "waybar").stdout)
    assert waybar["percentage"] == 46 and waybar["class"] == "normal"


def test_weekly_only_prometheus(weekly_db):
    db, _ = weekly_db
    text = run("report", "--db", str(db), "--at", AT, "--format", "prometheus").stdout
    assert 'codex_usage_remaining_percent{account="work",limit="codex",kind="weekly"} 46.0' in text
    assert 'kind="five_hour"' not in text and "NaN" not in text
    assert 'codex_usage_effective_remaining_percent{account="work"} 46.0' in text


def rollout_line(minute: int, limits: dict) -> str:
    stamp = (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return json.dumps({"timestamp": stamp, "type": "event_msg", "payload": {
        "type": "token_count", "info": None, "rate_limits": limits}})


def write_rollout(home, name, lines):
    path = home / "sessions/2026/11/20" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def test_weekly_only_import_sessions_then_report(tmp_path):
    home, db = tmp_path / ".codex", tmp_path / "s.db"
    write_rollout(home, "rollout-w.jsonl", [rollout_line(15 * i, {
        "limit_id": "codex", "primary": {"used_percent": 50 + i, "window_minutes": 10080, "resets_at": WEEK_RESET},
        "secondary": None, "credits": None, "plan_type": "plus"}) for i in range(5)])
    result = run("import-sessions", "--db", str(db), "--codex-home", f"work={home}", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["imported"] == 5
    rows = json.loads(run("history", "--db", str(db), "--format", "json").stdout)
    assert {(r["limit"], r["kind"], r["window_seconds"]) for r in rows} == {("codex", "weekly", WEEK)}
    assert run("status", "--db", str(db), "--at", AT).stdout == "work wk 46%\n"


# -- 1 and 2. limit families and flat lines through import-sessions ---------------------------

def test_import_sessions_keeps_each_family_and_counts_flat_lines(tmp_path):
    home, db = tmp_path / ".codex", tmp_path / "f.db"

    def family(minute, limit_id, five, weekly, name=None):
        return rollout_line(minute, {
            "limit_id": limit_id, "limit_name": name, "plan_type": "pro", "credits": None,
            "primary": {"used_percent": five, "window_minutes": 300, "resets_at": WEEK_RESET - 86400},
            "secondary": {"used_percent": weekly, "window_minutes": 10080, "resets_at": WEEK_RESET}})

    # The main quota twice; Spark (written more often) four times, at other values.
    write_rollout(home, "rollout-new.jsonl", [
        family(0, "codex", 10, 30), family(1, "codex_bengalfox", 1, 2, "GPT-5.3-Codex-Spark"),
        family(2, "codex_bengalfox", 2, 3, "GPT-5.3-Codex-Spark"), family(3, "codex", 12, 31),
        family(4, "codex_bengalfox", 3, 4, "GPT-5.3-Codex-Spark"),
        family(5, "codex_bengalfox", 4, 5, "GPT-5.3-Codex-Spark"),
    ])
    write_rollout(home, "rollout-old.jsonl", [
        rollout_line(-60, {"primary_used_percent": 5.0, "secondary_used_percent": 28.0,
                           "primary_window_minutes": 300, "secondary_window_minutes": 10080,
                           "primary_to_secondary_ratio_percent": 20.0}),
        rollout_line(-30, {"primary_used_percent": 8.0, "secondary_used_percent": 29.0}),
    ])
    result = run("import-sessions", "--db", str(db), "--codex-home", f"work={home}")
    assert result.exit_code == 0, result.stderr
    assert "8 snapshots imported" in result.stdout
    assert "2 events in the older flat form (no reset time)" in result.stdout
    rows = json.loads(run("history", "--db", str(db), "--format", "json", "--all").stdout)
    main = [(r["kind"], r["used_percent"]) for r in rows if r["limit"] == "codex"]
    spark = [(r["kind"], r["used_percent"]) for r in rows if r["limit"] == "GPT-5.3-Codex-Spark"]
    assert main == [("five_hour", 5.0), ("weekly", 28.0), ("five_hour", 8.0), ("weekly", 29.0),
                    ("five_hour", 10.0), ("weekly", 30.0), ("five_hour", 12.0), ("weekly", 31.0)]
    assert [u for k, u in spark if k == "weekly"] == [2.0, 3.0, 4.0, 5.0]
    assert all(r["reset_at"] is None for r in rows[:4])  # the flat lines carry no reset time
    report = json.loads(run("report", "--db", str(db), "--json", "--at", iso(T0 + timedelta(minutes=6))).stdout)
    [account] = report["accounts"]
    assert {(w["limit"], w["kind"]): w["used_percent"] for w in account["windows"]} == {
        ("codex", "five_hour"): 12.0, ("codex", "weekly"): 31.0,
        ("GPT-5.3-Codex-Spark", "five_hour"): 4.0, ("GPT-5.3-Codex-Spark", "weekly"): 5.0}
    again = run("import-sessions", "--db", str(db), "--codex-home", f"work={home}", "--json")
    assert json.loads(again.stdout)["imported"] == 0


def test_flat_lines_reset_is_inferred_from_a_drop(tmp_path):
    home, db = tmp_path / ".codex", tmp_path / "d.db"
    write_rollout(home, "rollout-flat.jsonl", [
        rollout_line(15 * i, {"primary_used_percent": used, "primary_window_minutes": 300})
        for i, used in enumerate([60.0, 70.0, 3.0, 5.0])])
    assert run("import-sessions", "--db", str(db), "--codex-home", f"work={home}").exit_code == 0
    resets = json.loads(run("resets", "--db", str(db), "--json", "--since", iso(T0 - timedelta(days=1)),
                            "--until", AT).stdout)
    [reset] = resets if isinstance(resets, list) else resets["resets"]
    assert (reset["used_before"], reset["used_after"]) == (70.0, 3.0)


# -- 4. reset credits and spend control ------------------------------------------------------

def with_extras(used: float, spend_used: float, credits: int) -> dict:
    payload = {"plan_type": "team", "rate_limit": {
        "primary_window": {"used_percent": used, "limit_window_seconds": 18000,
                           "reset_at": int((T0 + timedelta(hours=4)).timestamp())},
        "secondary_window": {"used_percent": used, "limit_window_seconds": WEEK, "reset_at": WEEK_RESET}},
        "rate_limit_reset_credits": {"available_count": credits},
        "spend_control": {"reached": False, "reached_limit_type": "individual", "individual_limit": {
            "limit": "50.00", "used": str(spend_used / 2), "remaining": str(50 - spend_used / 2),
            "used_percent": spend_used, "remaining_percent": 100 - spend_used,
            "reset_after_seconds": 0, "reset_at": WEEK_RESET}}}
    return payload


def test_reset_credits_and_spend_limit_in_report_and_prometheus(httpserver, tmp_path):
    accounts, db = tmp_path / "accounts", tmp_path / "r.db"
    write_auth(accounts / "work.auth.json", "work")
    collect_series(httpserver, accounts, db, [with_extras(10 + i, 20 + 2 * i, 3 if i < 4 else 2) for i in range(5)],
                   "-q")
    data = json.loads(run("report", "--db", str(db), "--json", "--at", AT).stdout)
    [account] = data["accounts"]
    assert account["reset_credits_available"] == 2  # as the latest snapshot said
    spend = [w for w in account["windows"] if w["limit"] == "spend_individual"]
    assert [(w["kind"], w["used_percent"], w["burn_rate_percent_per_hour"], w["reset_at"]) for w in spend] == \
        [("other", 28.0, 8.0, iso(T0 + timedelta(days=3)))]
    assert account["effective_remaining_percent"] == 86.0  # a spending limit is not the Codex quota
    table = run("report", "--db", str(db), "--at", AT, "--tz", "UTC").stdout
    [head] = [line for line in table.splitlines() if line.startswith("work")]
    assert "· 2 reset credits" in head
    assert "spend_individual" in table
    text = run("report", "--db", str(db), "--at", AT, "--format", "prometheus").stdout
    assert 'codex_usage_reset_credits_available{account="work"} 2.0' in text
    assert "# TYPE codex_usage_reset_credits_available gauge" in text
    assert 'codex_usage_used_percent{account="work",limit="spend_individual",kind="other"} 28.0' in text


def test_credits_balance_in_report_status_and_heading(httpserver, tmp_path):
    accounts, db = tmp_path / "accounts", tmp_path / "c.db"
    write_auth(accounts / "work.auth.json", "work")
    payloads = [dict(with_extras(10 + i, 20, 2), credits={"has_credits": True, "unlimited": False,
                                                         "balance": balance})
                for i, balance in enumerate(["20.00", "15.00", "12.50"])]
    collect_series(httpserver, accounts, db, payloads, "-q")
    data = json.loads(run("report", "--db", str(db), "--json", "--at", AT).stdout)
    assert data["accounts"][0]["credits_balance"] == "12.50"  # the latest, verbatim
    [status] = json.loads(run("status", "--db", str(db), "--at", AT, "--format", "json").stdout)
    assert status["credits_balance"] == "12.50"
    [head] = [line for line in run("report", "--db", str(db), "--at", AT, "--tz", "UTC").stdout.splitlines()
              if line.startswith("work")]
    assert "· credits 12.50" in head


def test_zero_credits_balance_is_kept_but_not_shown(history_db):
    db, _, _ = history_db
    data = json.loads(run("report", "--db", str(db), "--json", "--at", AT).stdout)
    assert "credits_balance" in data["accounts"][0]
    assert "credits " not in run("report", "--db", str(db), "--at", AT).stdout


def test_no_reset_credits_field_means_none_shown(history_db):
    db, _, _ = history_db
    data = json.loads(run("report", "--db", str(db), "--json", "--at", AT).stdout)
    assert data["accounts"][0]["reset_credits_available"] is None
    assert "reset credit" not in run("report", "--db", str(db), "--at", AT).stdout
    assert "codex_usage_reset_credits_available{" not in run(
        "report", "--db", str(db), "--at", AT, "--format", "prometheus").stdout


# -- 5. blocked ------------------------------------------------------------------------------

def test_html_403_is_blocked_exit_3_and_stored(httpserver, tmp_path):
    accounts, db = tmp_path / "accounts", tmp_path / "b.db"
    write_auth(accounts / "work.auth.json", "work")
    httpserver.expect_request(USAGE_PATH).respond_with_data(
        "<!DOCTYPE html><html><title>Attention Required!</title></html>", status=403, content_type="text/html")
    result = run("collect", "--account-dir", str(accounts), "--url", httpserver.url_for(USAGE_PATH),
                 "--db", str(db), "--retries", "1", "-q")
    assert result.exit_code == 3
    assert "work: blocked: HTTP 403 with an HTML page: the request was blocked before reaching the account" \
        in result.stderr
    assert len(httpserver.log) == 2  # retried once, like a 5xx
    errors = json.loads(run("history", "--db", str(db), "--errors", "--format", "json").stdout)
    assert [(e["kind"], e["http_status"]) for e in errors] == [("blocked", 403)]


# -- 6. config.toml's chatgpt_base_url ---------------------------------------------------------

def test_codex_home_config_toml_sets_the_url_and_url_wins(httpserver, tmp_path, monkeypatch):
    home, db = tmp_path / ".codex-work", tmp_path / "u.db"
    write_auth(home / "auth.json", "work")
    (home / "config.toml").write_text(f'chatgpt_base_url = "{httpserver.url_for("/backend-api")}"\n')
    httpserver.expect_request(USAGE_PATH).respond_with_json(weekly_only(30))
    result = run("collect", "--codex-home", str(home), "--db", str(db), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)[0]["windows"][0]["used_percent"] == 30.0
    httpserver.expect_request("/elsewhere/usage").respond_with_json(weekly_only(31))
    explicit = run("collect", "--codex-home", str(home), "--db", str(db), "--json",
                   "--url", httpserver.url_for("/elsewhere/usage"))
    assert json.loads(explicit.stdout)[0]["windows"][0]["used_percent"] == 31.0
    monkeypatch.setenv("TRACKER_USAGE_URL", httpserver.url_for("/elsewhere/usage"))
    from_env = run("collect", "--codex-home", str(home), "--db", str(db), "--json")
    assert json.loads(from_env.stdout)[0]["windows"][0]["used_percent"] == 31.0
    # the default home ($CODEX_HOME) follows its file too
    monkeypatch.delenv("TRACKER_USAGE_URL")
    monkeypatch.setenv("CODEX_HOME", str(home))
    default = run("collect", "--db", str(db), "--json")
    assert json.loads(default.stdout)[0]["account"] == "default"
    assert [request.path for request, _ in httpserver.log].count(USAGE_PATH) == 2


def test_unsafe_config_toml_url_is_refused_before_any_request(httpserver, tmp_path):
    home = tmp_path / ".codex-work"
    write_auth(home / "auth.json", "work")
    (home / "config.toml").write_text('chatgpt_base_url = "http://evil.example/backend-api"\n')
    result = run("collect", "--codex-home", str(home), "--db", str(tmp_path / "x.db"))
    assert result.exit_code == 4
    assert "config.toml" in result.stderr and "plain http" in result.stderr
    assert httpserver.log == []
