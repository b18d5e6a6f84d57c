"""The HTTP client against a real local server (pytest-httpserver), never a mocked requests."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from werkzeug import Response

from tests.fixtures import NOW, USAGE_PATH, make_jwt, usage_body, write_auth
from tracker.collect.accounts import AccountRef, load_account
from tracker.collect.client import MAX_BODY_BYTES, fetch_usage
from tracker.collect.redact import redact
from tracker.collect.urls import check_url, usage_url
from tracker.errors import UnsafeURLError

CLOCK = lambda: datetime.fromtimestamp(NOW, tz=UTC)  # noqa: E731


@pytest.fixture
def account(tmp_path):
    tokens = write_auth(tmp_path / "w.auth.json", "w")
    acc = load_account(AccountRef("w", tmp_path / "w.auth.json"))
    acc.tokens = tokens
    return acc


def fetch(account, url, sleeps=None, **kw):
    sleeps = [] if sleeps is None else sleeps
    return fetch_usage(account, url, timeout=kw.pop("timeout", 5), clock=CLOCK, sleep=sleeps.append, **kw)


def test_sends_the_documented_headers(httpserver, account, usage_url):
    httpserver.expect_oneshot_request(
        USAGE_PATH, headers={"Authorization": f"Bearer {account.tokens['access_token']}",
                             "ChatGPT-Account-Id": "acc-w", "Accept": "application/json",
                             "Origin": "https://chatgpt.com", "Referer": "https://chatgpt.com/"},
    ).respond_with_json(usage_body())
    result = fetch(account, usage_url)
    assert result.status == "ok", result.error
    assert result.payload["plan_type"] == "plus"
    assert result.server_date is None  # the server's Date is weeks from the fixed test clock: not believed
    httpserver.check_assertions()


@pytest.mark.parametrize("status,kind,text", [
    (401, "expired", "codex login"),
    (403, "forbidden", "403"),
    (404, "http_error", "HTTP 404"),
    (418, "http_error", "HTTP 418"),
])
def test_error_statuses_are_not_retried(httpserver, account, usage_url, status, kind, text):
    httpserver.expect_request(USAGE_PATH).respond_with_data("nope " + account.tokens["access_token"], status=status)
    sleeps = []
    result = fetch(account, usage_url, sleeps)
    assert (result.status, result.http_status) == (kind, status)
    assert text in result.error
    assert sleeps == []
    assert len(httpserver.log) == 1
    assert account.tokens["access_token"] not in result.error
    assert account.tokens["access_token"].encode() not in result.body


def test_5xx_is_retried_with_backoff_then_succeeds(httpserver, account, usage_url):
    httpserver.expect_ordered_request(USAGE_PATH).respond_with_data("busy", status=503)
    httpserver.expect_ordered_request(USAGE_PATH).respond_with_data("busy", status=502)
    httpserver.expect_ordered_request(USAGE_PATH).respond_with_json(usage_body())
    sleeps = []
    result = fetch(account, usage_url, sleeps, retries=2)
    assert result.status == "ok"
    assert len(sleeps) == 2 and sleeps[0] < sleeps[1]


def test_retries_are_bounded(httpserver, account, usage_url):
    httpserver.expect_request(USAGE_PATH).respond_with_data("down", status=500)
    result = fetch(account, usage_url, retries=3)
    assert result.status == "http_error"
    assert len(httpserver.log) == 4


def test_429_honours_retry_after(httpserver, account, usage_url):
    httpserver.expect_ordered_request(USAGE_PATH).respond_with_data("slow down", status=429, headers={"Retry-After": "7"})
    httpserver.expect_ordered_request(USAGE_PATH).respond_with_json(usage_body())
    sleeps = []
    assert fetch(account, usage_url, sleeps).status == "ok"
    assert sleeps == [7.0]


def test_429_with_a_long_retry_after_gives_up(httpserver, account, usage_url):
    httpserver.expect_request(USAGE_PATH).respond_with_data("", status=429, headers={"Retry-After": "3600"})
    sleeps = []
    result = fetch(account, usage_url, sleeps)
    assert result.status == "rate_limited"
    assert "3600" in result.error and sleeps == []


def test_html_instead_of_json(httpserver, account, usage_url):
    httpserver.expect_request(USAGE_PATH).respond_with_data("<html>login</html>", content_type="text/html")
    result = fetch(account, usage_url)
    assert result.status == "unparsed"
    assert "HTML" in result.error
    assert result.body == b"<html>login</html>"


def test_redirect_is_not_followed(httpserver, account, usage_url):
    httpserver.expect_request(USAGE_PATH).respond_with_data("", status=302, headers={"Location": "https://evil.example/x"})
    result = fetch(account, usage_url)
    assert result.status == "http_error"
    assert "evil.example" in result.error
    assert len(httpserver.log) == 1


def test_oversized_body_is_refused(httpserver, account, usage_url):
    httpserver.expect_request(USAGE_PATH).respond_with_data(b"x" * (MAX_BODY_BYTES + 10))
    result = fetch(account, usage_url)
    assert result.status == "http_error"
    assert "larger than" in result.error


def test_connection_refused_is_a_network_error(account):
    sleeps = []
    result = fetch(account, "http://127.0.0.1:9/backend-api/wham/usage", sleeps, retries=1)
    assert result.status == "network_error"
    assert len(sleeps) == 1


def test_timeout_is_a_network_error(httpserver, account, usage_url):
    import threading

    release = threading.Event()

    def slow(_request):
        release.wait(2)
        return Response(json.dumps(usage_body()), content_type="application/json")

    httpserver.expect_request(USAGE_PATH).respond_with_handler(slow)
    try:
        result = fetch(account, usage_url, retries=0, timeout=0.2)
    finally:
        release.set()
    assert result.status == "network_error"
    assert "0.2s" in result.error


def test_secret_response_headers_are_removed(httpserver, account, usage_url):
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body(), headers={"Set-Cookie": "session=abc"})
    result = fetch(account, usage_url)
    assert result.headers["Set-Cookie"] == "[REDACTED]"


def test_plain_http_only_to_loopback():
    assert check_url("http://127.0.0.1:8080/x")
    assert check_url("http://localhost/x")
    assert check_url("http://[::1]:80/x")
    assert check_url("https://chatgpt.com/backend-api/wham/usage")
    for bad in ("http://example.com/x", "http://10.0.0.1/x", "ftp://x/y", "chatgpt.com"):
        with pytest.raises(UnsafeURLError):
            check_url(bad)


def test_base_urls_get_the_usage_path():
    assert usage_url("https://chatgpt.com/backend-api") == "https://chatgpt.com/backend-api/wham/usage"
    assert usage_url("https://proxy.example") == "https://proxy.example/api/codex/usage"
    assert usage_url("https://chatgpt.com/backend-api/wham/usage/") == "https://chatgpt.com/backend-api/wham/usage"


def test_redact_finds_tokens_it_was_not_told_about():
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc_DEF-123"
    text = redact(f"token={jwt} Authorization: Bearer opaque123 sess-abcdefghijklmnop")
    assert "eyJ" not in text and "opaque123" not in text and "sess-abcdefgh" not in text


def test_redaction_withholds_a_token_in_any_form_but_not_a_jwt_header():
    from tracker.collect.redact import WITHHELD, carries_secret, redact

    token = make_jwt({"exp": 4_000_000_000, "secret": "ACCESS-redact-form-SECRET"})
    payload = token.split(".")[1]
    for echo in (token.replace(".", "\\u002e"), "/".join(payload[i:i + 7] for i in range(0, len(payload), 7)),
                 base64.b64encode(f"t={token}".encode()).decode(), payload[5:21]):
        assert redact(f'{{"detail": "{echo}"}}', (token,)) == WITHHELD
    other_jwt = make_jwt({"someone": "else"}).rsplit(".", 1)[0] + ".b3RoZXItc2lnbmF0dXJlLWhlcmU"  # same header
    assert not carries_secret(f'{{"id_token": "{other_jwt}"}}', (token,))
    assert redact('{"plan_type": "plus"}', (token,)) == '{"plan_type": "plus"}'
