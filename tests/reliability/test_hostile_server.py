"""A server that misbehaves in every way we know: each answer is handled, recorded as a failure
with a clear message (or, where api-notes says so, clamped), and never a traceback."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
from click.testing import CliRunner
from werkzeug import Response

from tests.fixtures import USAGE_PATH, write_auth
from tracker.cli.root import cli


def collect(accounts, url, db, *extra):
    result = CliRunner().invoke(cli, ["collect", "--account-dir", str(accounts), "--url", url, "--db", str(db),
                                      "--json", "--retries", "0", *extra], catch_exceptions=False)
    assert "Traceback" not in result.stderr
    return result, {r["account"]: r for r in json.loads(result.stdout)}


@pytest.fixture
def one_account(tmp_path):
    write_auth(tmp_path / "acc" / "x.auth.json", "x")
    return tmp_path / "acc"


def slow_loris(_request):
    def drip():
        for _ in range(100):
            yield b" "
            time.sleep(0.05)  # the hostile server's pace, not a timing check

    return Response(drip(), content_type="application/json")


CASES = {
    "slow-loris": (lambda h: h.respond_with_handler(slow_loris), "network_error", "not complete within 1s"),
    "50 MB body": (lambda h: h.respond_with_data(b"[" + b"0," * 25_000_000 + b"0]"), "http_error", "larger than 4 MiB"),
    "malformed JSON": (lambda h: h.respond_with_data('{"rate_limit": {', content_type="application/json"),
                       "unparsed", "not JSON"),
    "HTML login page": (lambda h: h.respond_with_data("<!doctype html><title>Log in</title>", content_type="text/html"),
                        "unparsed", "HTML"),
    "NaN": (lambda h: h.respond_with_data('{"rate_limit": {"primary_window": {"used_percent": NaN}}}'),
            "unparsed", "not a finite number"),
    "wrong types": (lambda h: h.respond_with_json({"plan_type": 5, "rate_limit": {"primary_window": {"used_percent": [1]}}}),
                    "unparsed", "not a number"),
    "rate_limit a list": (lambda h: h.respond_with_json({"rate_limit": [1, 2]}), "unparsed", "not an object"),
    "429 with a long Retry-After": (lambda h: h.respond_with_data("slow down", status=429, headers={"Retry-After": "3600"}),
                                    "rate_limited", "retry after 3600s"),
    "503": (lambda h: h.respond_with_data("<html>503</html>", status=503), "http_error", "HTTP 503"),
}


@pytest.mark.parametrize("setup,status,text", CASES.values(), ids=CASES.keys())
def test_each_hostile_answer_is_a_recorded_failure(httpserver, one_account, tmp_path, setup, status, text):
    setup(httpserver.expect_request(USAGE_PATH))
    db = tmp_path / "h.db"
    result, rows = collect(one_account, httpserver.url_for(USAGE_PATH), db, "--timeout", "1")
    assert rows["x"]["status"] == status
    assert text in rows["x"]["error"]
    assert result.exit_code in (2, 3)
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(f"tracker: x: {status}: ")
    with sqlite3.connect(db) as conn:
        assert conn.execute("select kind from failures").fetchall() == [(status,)]


def test_odd_numbers_are_read_as_api_notes_say(httpserver, one_account, tmp_path):
    """Strings for numbers are read; percentages are clamped to 0..100; impossible reset times dropped."""
    httpserver.expect_request(USAGE_PATH).respond_with_json({"rate_limit": {
        "primary_window": {"used_percent": "-20", "limit_window_seconds": "18000", "reset_at": 5},
        "secondary_window": {"used_percent": 250, "limit_window_seconds": 604800, "reset_at": 32503680000}}})
    result, rows = collect(one_account, httpserver.url_for(USAGE_PATH), tmp_path / "o.db")
    windows = rows["x"]["windows"]
    assert [(w["kind"], w["used_percent"], w["reset_at"]) for w in windows] == [
        ("five_hour", 0.0, None), ("weekly", 100.0, None)]


def test_redirect_to_another_host_never_gets_the_token(httpserver, one_account, tmp_path):
    from pytest_httpserver import HTTPServer

    thief = HTTPServer(host="127.0.0.1", port=0)
    thief.start()
    try:
        thief.expect_request("/steal").respond_with_json({"rate_limit": None})
        httpserver.expect_request(USAGE_PATH).respond_with_data(
            "", status=307, headers={"Location": thief.url_for("/steal")})
        result, rows = collect(one_account, httpserver.url_for(USAGE_PATH), tmp_path / "r.db")
        assert rows["x"]["status"] == "http_error" and "redirected" in rows["x"]["error"]
        assert thief.log == []
    finally:
        thief.stop()
