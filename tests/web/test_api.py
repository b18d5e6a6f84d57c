"""The JSON endpoints over a real uvicorn server on 127.0.0.1: contract, downsampling, guards."""

from __future__ import annotations

import base64
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
import requests

from tests.fixtures import DEMO_ACCOUNTS, END, SECRETS, get
from tracker.insight.report import build_report
from tracker.insight.windows import daily_consumption
from tracker.points import SeriesKey
from tracker.storage.store import Store
from tracker.views.report import report_json
from tracker.web.security import CONTENT_SECURITY_POLICY

TOKEN = "serve-TOKEN-0123456789abcdef"
SECRETS.add(TOKEN)  # the end-of-suite sweep fails the run if it shows up in any output or file


def test_report_is_the_report_json_contract(server, shared_demo_url, clock):
    response = get(server, "/api/report")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    store = Store.open(shared_demo_url)
    try:
        expected = report_json(build_report(store, (), clock.now, timedelta(hours=1), timedelta(minutes=30)))
    finally:
        store.close()
    assert response.json() == expected
    assert [a["account"] for a in response.json()["accounts"]] == DEMO_ACCOUNTS


def test_series_of_a_week_has_every_point_lines_resets_and_projection(server, shared_demo_url, clock):
    body = get(server, "/api/series", params={"account": "work", "kind": "five_hour"}).json()
    assert {"account", "limit", "kind", "window_seconds", "since", "until", "stored", "returned", "downsampled",
            "lines", "resets", "projection", "next_reset", "exhausts_before_reset"} <= body.keys()
    assert (body["account"], body["kind"], body["window_seconds"]) == ("work", "five_hour", 18000)
    assert body["until"] == "2026-11-18T11:06:00Z" and body["since"] == "2026-11-11T11:06:00Z"
    store = Store.open(shared_demo_url)
    try:
        stored = store.points(SeriesKey("work", "codex", "five_hour", 18000), clock.now - timedelta(days=7), clock.now)
    finally:
        store.close()
    flat = [point for line in body["lines"] for point in line]
    assert not body["downsampled"] and body["stored"] == body["returned"] == len(stored) == len(flat)
    assert flat == [[p.at.timestamp(), p.used_percent] for p in stored]
    assert len(body["lines"]) > 1 and body["resets"] == sorted(body["resets"])
    assert all(body["lines"][0][0][0] <= t <= flat[-1][0] for t in body["resets"])
    assert body["next_reset"] is not None  # the period reaches "now": the current window is marked


def test_the_projection_is_the_forecast_path_from_the_last_point(server, clock):
    body = get(server, "/api/series", params={"account": "work", "kind": "weekly"}).json()
    window = next(w for a in get(server, "/api/report").json()["accounts"] if a["account"] == "work"
                  for w in a["windows"] if w["kind"] == "weekly")
    path = body["projection"]
    assert path[0] == body["lines"][-1][-1]  # it starts at the last reading
    assert [t for t, _ in path] == sorted(t for t, _ in path) and [v for _, v in path] == sorted(v for _, v in path)
    assert path[-1][0] <= body["next_reset"] == datetime.fromisoformat(window["reset_at"]).timestamp()
    end = 100.0 if window["exhausts_before_reset"] else window["projected_used_percent_at_reset"]
    assert path[-1][1] == pytest.approx(end, abs=0.5)


def test_a_long_period_is_downsampled_in_the_database_keeping_peaks(server):
    full = get(server, "/api/series", params={"account": "work", "kind": "weekly", "since": "8d"}).json()
    small = get(server, "/api/series", params={"account": "work", "kind": "weekly", "since": "8d",
                                                "points": 100}).json()
    assert small["downsampled"] and small["stored"] == full["stored"] > 1000
    points = [p for line in small["lines"] for p in line]
    everything = [p for line in full["lines"] for p in line]
    assert len(points) == small["returned"] <= 100
    assert points == sorted(points) and set(map(tuple, points)) <= set(map(tuple, everything))
    assert points[0] == everything[0] and points[-1] == everything[-1]
    assert max(v for _, v in points) == max(v for _, v in everything)


def test_period_is_respected(server):
    body = get(server, "/api/series", params={"account": "personal", "kind": "weekly",
                                              "since": "2026-11-15T00:00:00Z", "until": "2026-11-16T00:00Z"}).json()
    times = [t for line in body["lines"] for t, _ in line]
    start, end = (datetime(2026, 11, d, tzinfo=UTC).timestamp() for d in (15, 16))
    assert min(times) == start and max(times) <= end
    assert len(times) == 289 - 12  # a day of 5-minute points, less the demo's gap from 23:05
    assert body["projection"] == [] and body["next_reset"] is None  # a past period: no projection


@pytest.mark.parametrize(("params", "status", "message"), [
    ({"account": "work", "kind": "hourly"}, 400, "kind must be one of"),
    ({"account": "nobody", "kind": "weekly"}, 404, "no weekly series for account 'nobody'"),
    ({"kind": "weekly"}, 400, "account is required"),
    ({"account": "work", "since": "yesterdayish"}, 400, "not a time"),
    ({"account": "work", "since": "1d", "until": "2d"}, 400, "since must be before until"),
    ({"account": "work", "points": "5000"}, 400, "points must be between"),
    ({"account": "work", "points": "many"}, 400, "points must be a whole number"),
])
def test_series_errors_are_json_with_a_status(server, params, status, message):
    response = get(server, "/api/series", params=params)
    assert response.status_code == status
    assert message in response.json()["error"]


def test_daily_is_the_weekly_windows_use_per_local_day(server, shared_demo_url, clock):
    from zoneinfo import ZoneInfo

    body = get(server, "/api/daily", params={"account": "work", "tz": "Asia/Tokyo", "days": 3}).json()
    assert [d["date"] for d in body["days"]] == ["2026-11-16", "2026-11-17", "2026-11-18"]
    store = Store.open(shared_demo_url)
    try:
        points = store.points(SeriesKey("work", "codex", "weekly", 604800), None, clock.now)
    finally:
        store.close()
    totals = daily_consumption(points, 604800, ZoneInfo("Asia/Tokyo"))
    assert [d["used_percent"] for d in body["days"]] == [
        round(totals.get(date.fromisoformat(d["date"]), 0.0), 2) for d in body["days"]]
    assert get(server, "/api/daily", params={"account": "work", "tz": "Mars/Olympus"}).status_code == 400
    assert get(server, "/api/daily", params={"account": "work", "days": 0}).status_code == 400


def test_healthz(server):
    from tracker.storage.db import SCHEMA_HEAD

    assert get(server, "/api/healthz").json() == {"status": "ok", "schema": SCHEMA_HEAD}


def test_an_empty_database_says_to_collect(start_server, tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    Store.open(url).close()
    response = get(start_server(url), "/api/report")
    assert response.status_code == 404
    assert "run `tracker collect` first" in response.json()["error"]


# -- the guard ----------------------------------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.inline, self.attributes = [], [], []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.attributes += [name for name, _ in attrs]
        if tag == "script":
            self.scripts.append(dict(attrs).get("src"))
            self._in_script = True

    def handle_endtag(self, tag):
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline.append(data)


def test_page_and_assets_carry_a_strict_csp_and_no_inline_script(server):
    page = get(server, "/")
    assert page.status_code == 200 and 'data-refresh-ms="30000"' in page.text
    parsed = _Page()
    parsed.feed(page.text)
    assert parsed.scripts == ["/static/vendor/uPlot.iife.min.js", "/static/app.js"] and not parsed.inline
    assert "style" not in parsed.attributes and not [a for a in parsed.attributes if a.startswith("on")]
    for path in ("/", "/static/app.js", "/static/vendor/uPlot.iife.min.js", "/api/report", "/api/series", "/nope"):
        headers = get(server, path).headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-store"
        assert "server" not in headers
    assert "unsafe" not in CONTENT_SECURITY_POLICY and "script-src 'self'" in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
@pytest.mark.parametrize("path", ["/api/report", "/", "/static/app.js"])
def test_get_only(server, method, path):
    response = requests.request(method, server.url + path.lstrip("/"), timeout=10)
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"


def test_a_foreign_host_header_is_refused_on_loopback(server):
    assert get(server, "/api/report", headers={"Host": "attacker.example"}).status_code == 400
    port = server.url.rsplit(":", 1)[1].rstrip("/")
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "localhost"):
        assert get(server, "/api/healthz", headers={"Host": host}).status_code == 200


def test_the_token_is_required_on_every_request_and_never_echoed(start_server, demo_url):
    store = Store.open(demo_url)
    with store.engine.begin() as conn:  # an auth file path is stored for the account
        from tracker.storage.schema import accounts

        conn.execute(accounts.update().values(source_path="/home/me/secret-keys/work.auth.json"))
    store.close()
    server = start_server(demo_url, token=TOKEN)
    basic = "Basic " + base64.b64encode(f"me:{TOKEN}".encode()).decode()
    seen = []
    for path in ("/", "/static/app.js", "/api/report", "/api/series?account=work", "/api/daily?account=work",
                 "/api/resets", "/api/resets?account=work", "/api/healthz"):
        for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": "Basic !!"},
                        {"Authorization": TOKEN}):
            refused = get(server, path, headers=headers)
            assert refused.status_code == 401, (path, headers)
            assert refused.headers["www-authenticate"].startswith("Basic")
            seen.append(refused)
        for headers in ({"Authorization": f"Bearer {TOKEN}"}, {"Authorization": basic}):
            response = get(server, path, headers=headers)
            assert response.status_code == 200, path
            seen.append(response)
    for response in seen:
        text = response.text + str(response.headers)
        assert TOKEN not in text and "secret-keys" not in text and "auth.json" not in text


def test_raw_bodies_never_leave_the_server(server):
    everything = "".join(get(server, p).text for p in (
        "/api/report", "/api/series?account=work", "/api/series?account=research&kind=weekly",
        "/api/daily?account=work", "/api/resets"))
    assert "rate_limit" not in everything and "primary_window" not in everything
    assert not re.search(r"@example\.com", everything)


def test_series_on_postgresql(pg_db, start_server):
    from tests.fixtures import fill

    fill(pg_db, days=3)
    server = start_server(pg_db)
    body = get(server, "/api/series", params={"account": "work", "kind": "five_hour", "points": 50}).json()
    assert body["downsampled"] and 2 < body["returned"] <= 50 and body["stored"] > 500
    assert get(server, "/api/report").json()["accounts"][0]["account"] == "personal"
    assert END.tzinfo is UTC


def test_a_database_error_is_503_with_one_line(start_server, demo_url, tmp_path):
    import sqlite3

    with sqlite3.connect(tmp_path / "demo.db") as conn:  # damaged behind the server's back
        conn.execute("DROP TABLE windows")
    response = get(start_server(demo_url), "/api/series", params={"account": "work"})
    assert response.status_code == 503
    assert response.json() == {"error": "database error: no such table: windows"}
