"""Issue 24 item 4: a window of about 30 days is its own kind, ``monthly``, on every path (collect
against a real local server, import-sessions, report, status, chart, notify, Prometheus, the
forecast scaled to a month, the migration of series stored as "weekly"); and a weekly-only main
quota through notify and the forecast too."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug import Response

from tests.fixtures import T0, USAGE_PATH, database_at, iso, open_at_head, png_size, run, write_auth
from tracker.collect.normalize import normalize_payload
from tracker.insight.forecast import forecast_window
from tracker.insight.usual_week import build_profile, history_for
from tracker.points import Point

DAY = 86400
MONTH = 30 * DAY
WEEK = 7 * DAY
MONTH_RESET = T0 + timedelta(days=20)  # ten days into a 30-day window
AT = iso(T0 + timedelta(hours=4))


def month_body(used: float, week: float | None = None) -> dict:
    """A free account: the monthly window as `primary`, `secondary` null (or a week beside it)."""
    primary = {"used_percent": used, "limit_window_seconds": MONTH, "reset_at": int(MONTH_RESET.timestamp())}
    secondary = None if week is None else {"used_percent": week, "limit_window_seconds": WEEK,
                                           "reset_at": int((T0 + timedelta(days=3)).timestamp())}
    return {"plan_type": "free", "rate_limit": {"allowed": True, "limit_reached": False,
                                                 "primary_window": primary, "secondary_window": secondary},
            "credits": {"has_credits": False, "unlimited": False, "balance": "0"}}


def collect(httpserver, accounts, db, body, minute, *extra):
    httpserver.expect_ordered_request(USAGE_PATH).respond_with_json(body)
    return run("collect", "--account-dir", str(accounts), "--url", httpserver.url_for(USAGE_PATH),
               "--db", str(db), "--at", iso(T0 + timedelta(minutes=minute)), "--tz", "UTC", *extra)


@pytest.fixture
def month_db(httpserver, tmp_path):
    """`free` has only a monthly window: 30 % used ten days in, +1 % an hour for four hours."""
    accounts = tmp_path / "accounts"
    write_auth(accounts / "free.auth.json", "free")
    db = tmp_path / "m.db"
    for i in range(5):
        result = collect(httpserver, accounts, db, month_body(30 + i), 60 * i, "-q")
        assert result.exit_code == 0, result.stderr
    return db, accounts


@pytest.mark.parametrize(("seconds", "kind"), [
    (18000, "five_hour"), (WEEK, "weekly"), (10 * DAY, "weekly"), (28 * DAY, "monthly"), (MONTH, "monthly"),
    (31 * DAY, "monthly"), (90 * DAY, "other"), (2 * DAY, "other"),
])
def test_windows_are_labelled_by_length(seconds, kind):
    usage = normalize_payload({"rate_limit": {"primary_window": {"used_percent": 1, "limit_window_seconds": seconds}}},
                              T0)
    assert [w.kind for w in usage.windows] == [kind]


def test_a_month_beside_a_week_and_beside_five_hours():
    both = normalize_payload(month_body(10, week=40), T0)
    assert sorted((w.kind, w.window_seconds) for w in both.windows) == [("monthly", MONTH), ("weekly", WEEK)]
    lines = {"primary": {"used_percent": 5, "window_minutes": 300}, "secondary": {"used_percent": 9, "window_minutes": 43200}}
    assert [w.kind for w in normalize_payload({"rate_limits": lines}, T0).windows] == ["five_hour", "monthly"]


def test_monthly_collect_table_and_json(httpserver, tmp_path):
    accounts = tmp_path / "accounts"
    write_auth(accounts / "free.auth.json", "free")
    db = tmp_path / "c.db"
    table = collect(httpserver, accounts, db, month_body(30), 0)
    assert table.exit_code == 0, table.stderr
    header, row = table.stdout.splitlines()
    assert header.split()[:8] == ["account", "plan", "5h", "left%", "5h", "resets", "weekly", "left%"]
    assert "monthly left%" in header and row.split()[:2] == ["free", "free"] and "70" in row.split()
    compact = collect(httpserver, accounts, db, month_body(30.5), 3, "--width", "70")
    assert compact.stdout.splitlines()[0].split() == ["account", "5h", "left%", "resets", "wk", "left%", "resets",
                                                      "mo", "left%", "resets", "status"]
    as_json = collect(httpserver, accounts, db, month_body(31), 5, "--json")
    [item] = json.loads(as_json.stdout)
    assert [(w["kind"], w["window_seconds"]) for w in item["windows"]] == [("monthly", MONTH)]


def only_account(db, at: str) -> dict:
    """`report --json`'s one account, its one window under ``window``."""
    result = run("report", "--db", str(db), "--json", "--at", at)
    assert result.exit_code == 0, result.stderr
    [account] = json.loads(result.stdout)["accounts"]
    [account["window"]] = account["windows"]
    return account


def test_monthly_report_paces_a_month_not_a_week(month_db):
    db, _ = month_db
    account = only_account(db, AT)
    window = account["window"]
    assert (window["kind"], window["used_percent"], account["binding_kind"]) == ("monthly", 34.0, "monthly")
    # Ten days and four hours of thirty gone: on pace is 33.9 %; read as a week it would be "over".
    assert window["pace_delta_percent"] == pytest.approx(34.0 - 100 * (10 * 24 + 4) / (30 * 24), abs=0.01)
    assert window["forecast_method"] == "window-average"  # no earlier month yet: the window's own pace
    # 34 % over 244 h, for the 476 h left: 66.3 % more, 100.3 % at the reset. The expectation just
    # reaches 100, which for a long window is a little under even odds (people stop; outlook's
    # mixture): it may run out, not "runs out".
    assert window["projected_used_percent_at_reset"] == 100.0 and window["exhausts_before_reset"] is False
    assert 0.4 < window["run_out_probability"] < 0.5 and window["projected_high"] == 100.0
    table = run("report", "--db", str(db), "--at", AT, "--tz", "UTC").stdout
    assert "monthly" in table and "weekly" not in table


def test_monthly_status_chart_and_prometheus(month_db, tmp_path):
    db, _ = month_db
    status = run("status", "--db", str(db), "--at", AT, "--tz", "UTC")
    # 100.3 % expected at the reset: "may run out" (no ↘ time, not critical), at 66 % left
    assert status.exit_code == 0 and status.stdout == "free mo 66%\n"
    [item] = json.loads(run("status", "--db", str(db), "--at", AT, "--format", "json").stdout)
    assert [w["kind"] for w in item["windows"]] == ["monthly"] and item["severity"] == "normal"
    assert 0.4 < item["windows"][0]["run_out_probability"] < 0.5
    assert run("status", "--db", str(db), "--at", AT, "--kind", "weekly").stdout == "free no data\n"
    out = tmp_path / "month.png"
    chart = run("chart", "--db", str(db), "-o", str(out), "--since", iso(T0 - timedelta(days=1)), "--until", AT,
                "--tz", "UTC")
    assert chart.exit_code == 0, chart.stderr
    assert png_size(out)[0] > 100
    svg = tmp_path / "month.svg"
    assert run("chart", "--db", str(db), "-o", str(svg), "--kind", "monthly", "--until", AT).exit_code == 0
    assert "Monthly window" in svg.read_text() and "usage:free:monthly" in svg.read_text()
    assert "sum of increases of the monthly window" in svg.read_text()
    text = run("report", "--db", str(db), "--at", AT, "--format", "prometheus").stdout
    assert 'codex_usage_remaining_percent{account="free",limit="codex",kind="monthly"} 66.0' in text
    assert 'kind="weekly"' not in text


@pytest.fixture
def hook(httpserver):
    received: list[dict] = []

    def record(request):
        received.append(request.get_json())
        return Response("ok")

    httpserver.expect_request("/hook", method="POST").respond_with_handler(record)
    return httpserver.url_for("/hook"), received


def test_monthly_and_weekly_only_notify(month_db, httpserver, hook):
    db, accounts = month_db
    url, received = hook
    result = run("notify", "--db", str(db), "--at", AT, "--tz", "UTC", "--below", "70", "--webhook", url)
    assert result.exit_code == 0, result.stderr
    [notice] = received
    assert (notice["kind"], notice["rule"]) == ("monthly", "below")
    assert notice["message"].startswith("Codex free: monthly window 66% left (below 70%)")
    received.clear()
    weekly = {"plan_type": "plus", "rate_limit": {"primary_window": {
        "used_percent": 92, "limit_window_seconds": WEEK, "reset_at": int((T0 + timedelta(days=3)).timestamp())},
        "secondary_window": None}}
    write_auth(accounts / "plus.auth.json", "plus")
    for minute, body in ((300, weekly), (360, {**weekly, "rate_limit": {**weekly["rate_limit"], "primary_window": {
            **weekly["rate_limit"]["primary_window"], "used_percent": 95}}})):
        httpserver.expect_oneshot_request(USAGE_PATH).respond_with_json(body)
        collected = run("collect", "--account-dir", str(accounts), "plus", "--url", httpserver.url_for(USAGE_PATH),
                        "--db", str(db), "--at", iso(T0 + timedelta(minutes=minute)), "-q")
        assert collected.exit_code == 0, collected.stderr
    again = run("notify", "plus", "--db", str(db), "--at", iso(T0 + timedelta(minutes=361)), "--tz", "UTC",
                "--below", "10", "--before-reset", "--webhook", url)
    assert again.exit_code == 0, again.stderr
    assert sorted((n["kind"], n["rule"]) for n in received) == [("weekly", "before_reset"), ("weekly", "below")]


def test_weekly_only_forecast_in_report(httpserver, tmp_path):
    accounts = tmp_path / "accounts"
    write_auth(accounts / "plus.auth.json", "plus")
    db = tmp_path / "w.db"
    reset = int((T0 + timedelta(days=3)).timestamp())
    for i in range(4):
        body = {"plan_type": "plus", "rate_limit": {"primary_window": {
            "used_percent": 60 + 2 * i, "limit_window_seconds": WEEK, "reset_at": reset}, "secondary_window": None}}
        assert collect(httpserver, accounts, db, body, 60 * i, "-q").exit_code == 0
    window = only_account(db, iso(T0 + timedelta(hours=3)))["window"]
    assert window["kind"] == "weekly" and window["forecast_method"] == "window-average"
    assert window["projected_used_percent_at_reset"] == 100.0 and 0.5 < window["run_out_probability"] <= 1.0
    assert window["pace_delta_percent"] == pytest.approx(66 - 100 * (4 * 24 + 3) / (7 * 24), abs=0.01)


def month_points(start: datetime, months: int, per_hour: float = 0.1) -> list[Point]:
    """Steady work on weekdays 9-17 h, one reading an hour, through ``months`` 30-day windows."""
    points, used = [], 0.0
    for hour in range(months * 30 * 24):
        at = start + timedelta(hours=hour)
        window = hour // (30 * 24)
        if hour % (30 * 24) == 0:
            used = 0.0
        if at.weekday() < 5 and 9 <= at.hour < 17:
            used = min(100.0, used + per_hour)
        points.append(Point(at, used, start + timedelta(days=30 * (window + 1))))
    return points


def test_monthly_forecast_learns_from_three_months():
    start = datetime(2026, 8, 3, tzinfo=UTC)  # a Monday
    points = month_points(start, 4)
    window_start = start + timedelta(days=90)
    assert history_for(MONTH) == timedelta(days=90) and history_for(WEEK) == timedelta(weeks=4)
    profile = build_profile([p for p in points if p.at < window_start], MONTH, window_start)
    assert profile is not None and len(profile.ratios) >= 2  # whole past months: the range has a spread
    assert all(r == pytest.approx(1.0, abs=0.1) for r in profile.ratios)
    now = window_start + timedelta(days=12)
    figures = forecast_window([p for p in points if p.at <= now], now, MONTH, profile)
    # A month of this work: 22 weekdays x 8 h x 0.1 = about 17.6 %.
    assert figures.method == "profile" and figures.projected == pytest.approx(17.6, abs=1.5)
    assert figures.projected_low < figures.projected < figures.projected_high or \
        figures.projected_low == figures.projected_high
    short = build_profile([p for p in points if window_start - timedelta(weeks=4) <= p.at < window_start],
                          MONTH, window_start)
    assert short is not None and len(short.ratios) == 0  # four weeks hold no whole month


def test_monthly_sessions_import(tmp_path):
    home, db = tmp_path / ".codex", tmp_path / "s.db"
    path = home / "sessions/2026/11/20/rollout-m.jsonl"
    path.parent.mkdir(parents=True)
    lines = []
    for i in range(4):
        stamp = (T0 + timedelta(minutes=30 * i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        lines.append(json.dumps({"timestamp": stamp, "type": "event_msg", "payload": {
            "type": "token_count", "info": None, "rate_limits": {
                "limit_id": "codex", "primary": {"used_percent": 20 + i, "window_minutes": 43200,
                                                 "resets_at": int(MONTH_RESET.timestamp())},
                "secondary": None, "plan_type": "free"}}}))
    path.write_text("\n".join(lines) + "\n")
    result = run("import-sessions", "--db", str(db), "--codex-home", f"free={home}", "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(run("history", "--db", str(db), "--format", "json").stdout)
    assert {(r["kind"], r["window_seconds"]) for r in rows} == {("monthly", MONTH)}
    assert run("status", "--db", str(db), "--at", iso(T0 + timedelta(hours=2))).stdout.startswith("free mo 77%")


def test_series_stored_as_weekly_become_monthly_on_upgrade(tmp_path):
    db = tmp_path / "old.db"
    database_at(db, "0006", "free", [("codex", "weekly", seconds) for seconds in (WEEK, MONTH, 90 * DAY)])
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO notifications VALUES ('free', 'codex', 'weekly', 'below', 'desktop', 1, NULL)")
    open_at_head(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT id, kind FROM series ORDER BY id").fetchall() == \
            [(1, "weekly"), (2, "monthly"), (3, "other")]
        assert conn.execute("SELECT count(*) FROM windows").fetchone() == (9,)
        assert conn.execute("SELECT kind FROM notifications").fetchall() == [("weekly",)]  # a week remains
