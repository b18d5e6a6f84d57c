"""Hostile names in exports, tokens too short to be secrets, names no account can have at the
dashboard, and session lines from the future (issue 22, items 12-14)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures import END, NOW, USAGE_PATH, Clock, fill, run, usage_body, write_auth, write_log

HOSTILE = ['=HYPERLINK("http://evil.example/?x","click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\tTAB", "\rCR"]


def _collect_hostile_limits(tmp_path, httpserver) -> str:
    body = usage_body()
    body["additional_rate_limits"] = [
        {"limit_name": name, "rate_limit": {"primary_window": {"used_percent": 5, "limit_window_seconds": 1800,
                                                               "reset_at": NOW + 600}}}
        for name in HOSTILE]
    httpserver.expect_request(USAGE_PATH).respond_with_json(body)
    write_auth(tmp_path / "accounts" / "work.auth.json", "work")
    db = tmp_path / "t.db"
    result = run("collect", "--db", db, "--account-dir", tmp_path / "accounts",
                 "--url", httpserver.url_for("/backend-api"))
    assert result.exit_code == 0, result.output
    return str(db)


@pytest.mark.parametrize("command", [["export", "--format", "csv"], ["history", "--format", "csv"]])
def test_csv_cells_that_a_spreadsheet_would_run_are_text(tmp_path, httpserver, command):
    db = _collect_hostile_limits(tmp_path, httpserver)
    result = run(*command, "--db", db)
    assert result.exit_code == 0, result.output
    cells = [cell for row in csv.reader(io.StringIO(result.stdout)) for cell in row]
    formulas = [name for name in HOSTILE if name[0] in "=+-@"]  # tab and CR are escaped when read
    limits = {cell for cell in cells if cell.lstrip("'") in formulas}
    assert limits == {"'" + name for name in formulas}  # every one there, every one neutralised
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [c for c in cells if c.startswith("-") and not _number(c)]


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_a_token_too_short_to_be_a_secret_is_refused_before_any_request(tmp_path, httpserver):
    write_auth(tmp_path / "accounts" / "short.auth.json", "short",
               tokens={"access_token": "codex", "refresh_token": "codex", "account_id": "acc-short"})
    result = run("collect", "--db", tmp_path / "t.db", "--account-dir", tmp_path / "accounts",
                 "--url", httpserver.url_for("/backend-api"))
    assert result.exit_code == 1
    assert "too short to be a real token" in result.stderr
    assert len(httpserver.log) == 0


def test_a_short_refresh_token_does_not_blank_the_words_it_spells(tmp_path, httpserver):
    from tests.fixtures import tokens_for

    tokens = {**tokens_for("words"), "refresh_token": "codex"}
    write_auth(tmp_path / "accounts" / "words.auth.json", "words", tokens=tokens)
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    db = tmp_path / "t.db"
    assert run("collect", "--db", db, "--account-dir", tmp_path / "accounts",
               "--url", httpserver.url_for("/backend-api")).exit_code == 0
    report = json.loads(run("report", "--json", "--db", db).stdout)
    assert {w["limit"] for w in report["accounts"][0]["windows"]} == {"codex"}


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_url(request, tmp_path):
    pytest.importorskip("starlette", reason="the web extra is not installed (pip install -e '.[dev]')")
    url = request.getfixturevalue("pg_db") if request.param == "postgresql" else f"sqlite:///{tmp_path / 'd.db'}"
    return fill(url, accounts=1, days=1)


@pytest.mark.parametrize("path", ["/api/series?account=work%00x&kind=weekly", "/api/daily?account=work%00x",
                                  "/api/resets?account=work%00x", "/api/series?account=" + "a" * 300])
def test_a_name_no_account_can_have_is_404_on_every_backend(demo_url, path):
    import requests

    from tracker.web.server import RunningServer, ServeOptions

    with RunningServer(ServeOptions(db_url=demo_url, clock=Clock(END + timedelta(minutes=1)))) as server:
        answer = requests.get(server.url + path.lstrip("/"), timeout=10)
        assert answer.status_code == 404, answer.text
        assert "error" in answer.json()
        assert requests.get(server.url + "api/report", timeout=10).status_code == 200  # still serving


def test_a_session_line_from_the_future_is_skipped_and_counted(tmp_path):
    home = tmp_path / ".codex"
    now = datetime.now(UTC)

    def line(at: datetime, used: float) -> str:
        return json.dumps({"timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "type": "event_msg",
                           "payload": {"type": "token_count", "rate_limits": {"primary": {
                               "used_percent": used, "window_minutes": 300,
                               "resets_at": int(at.timestamp()) + 3600}}}})

    write_log(home / "sessions/2026/12/01/rollout-a.jsonl",
              [line(now - timedelta(hours=1), 20.0), line(now + timedelta(days=400), 99.0)])
    db = tmp_path / "t.db"
    result = run("import-sessions", "--codex-home", f"me={home}", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["imported"] == 1 and summary["skipped"].get("in_the_future") == 1
    history = json.loads(run("history", "--db", db, "--format", "json", "--all").stdout)
    assert [row["used_percent"] for row in history] == [20.0]


@pytest.fixture
def small_server(tmp_path):
    pytest.importorskip("starlette", reason="the web extra is not installed (pip install -e '.[dev]')")
    from tracker.web.server import RunningServer, ServeOptions

    url = fill(f"sqlite:///{tmp_path / 'd.db'}", accounts=3, days=1)
    with RunningServer(ServeOptions(db_url=url, clock=Clock(END + timedelta(minutes=1)))) as server:
        yield server


@pytest.mark.parametrize(("headers", "status"), [
    ({"Origin": "https://evil.example"}, 403),
    ({"Sec-Fetch-Site": "cross-site"}, 403),
    ({"Sec-Fetch-Site": "same-site"}, 403),
    ({"Origin": "null"}, 403),
    ({"Sec-Fetch-Site": "same-origin"}, 200),
    ({}, 200),
])
def test_another_site_s_page_cannot_call_the_api(small_server, headers, status):
    import requests

    for path in ("api/report", "api/resets?since=7d", "api/healthz"):
        answer = requests.get(small_server.url + path, headers=headers, timeout=10)
        assert answer.status_code == status, (path, answer.text)
        assert answer.headers["x-frame-options"] == "DENY"
    own = small_server.url.rstrip("/").split("//", 1)[1]
    assert requests.get(small_server.url + "api/report", headers={"Origin": f"http://{own}"},
                        timeout=10).status_code == 200


def test_the_ledger_s_cost_is_bounded_per_request(small_server):
    import requests

    every = requests.get(small_server.url + "api/resets?since=40d", timeout=10)
    assert every.status_code == 400 and "account-days" in every.json()["error"]
    one = requests.get(small_server.url + "api/resets?account=work&since=90d", timeout=10)
    assert one.status_code == 200, one.text


def test_a_database_replaced_or_deleted_while_serving_is_followed(tmp_path):
    import os
    import shutil

    import requests

    pytest.importorskip("starlette", reason="the web extra is not installed (pip install -e '.[dev]')")
    from tracker.web.server import RunningServer, ServeOptions

    live, other = tmp_path / "live.db", tmp_path / "other.db"
    fill(f"sqlite:///{live}", accounts=1, days=1)
    fill(f"sqlite:///{other}", accounts=3, days=1)
    with RunningServer(ServeOptions(db_url=f"sqlite:///{live}", clock=Clock(END + timedelta(minutes=1)))) as server:
        def accounts() -> list[str]:
            answer = requests.get(server.url + "api/report", timeout=10)
            assert answer.status_code == 200, answer.text
            return [a["account"] for a in answer.json()["accounts"]]

        assert accounts() == ["work"]
        shutil.copy(other, tmp_path / "incoming.db")
        os.replace(tmp_path / "incoming.db", live)  # a backup restored under the same name
        assert [accounts() for _ in range(5)] == [["personal", "research", "work"]] * 5
        live.unlink()
        gone = requests.get(server.url + "api/report", timeout=10)
        assert gone.status_code == 503 and "gone" in gone.json()["error"]


def test_half_open_connections_are_closed_and_the_server_keeps_answering(tmp_path):
    import socket
    import time

    import requests

    pytest.importorskip("starlette", reason="the web extra is not installed (pip install -e '.[dev]')")
    from tracker.web.server import RunningServer, ServeOptions

    url = fill(f"sqlite:///{tmp_path / 'd.db'}", accounts=1, days=1)
    with RunningServer(ServeOptions(db_url=url, clock=Clock(END + timedelta(minutes=1)),
                                    request_timeout=0.3)) as server:
        host, port = server.sock.getsockname()[:2]
        idle = [socket.create_connection((host, port), timeout=5) for _ in range(20)]
        half = [socket.create_connection((host, port), timeout=5) for _ in range(20)]
        for s in half:
            s.sendall(b"GET /api/report HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the blank line
        assert requests.get(server.url + "api/healthz", timeout=5).status_code == 200
        closed = 0
        deadline = time.monotonic() + 5  # a bound on the server's own timer, not a sleep
        for s in idle + half:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            with contextlib.suppress(TimeoutError, ConnectionResetError):
                closed += s.recv(1) == b""
            s.close()
        assert closed == 40
        bad = socket.create_connection((host, port), timeout=5)
        bad.sendall(b"GARBAGE\r\n\r\n")
        answer = b""
        while chunk := bad.recv(4096):
            answer += chunk
        bad.close()
        assert answer.startswith(b"HTTP/1.1 400") and b"content-security-policy" in answer.lower()
        assert b"x-frame-options: deny" in answer.lower()
