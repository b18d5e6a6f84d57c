"""Nothing leaked: a token never reaches a header unvalidated, an echo of it in any form is not
kept, the plain-http rule cannot be bypassed by a URL two parsers read differently, and a
database password is masked."""

from __future__ import annotations

import base64
import contextlib
import json

import pytest
from pytest_httpserver import HTTPServer

from tests.fixtures import (
    SECRETS,
    USAGE_PATH,
    make_jwt,
    one_line_error,
    run,
    stored_text,
    tokens_for,
    write_auth,
)

# -- tokens and ids that a header cannot carry -------------------------------------------------------


def hostile_tokens(case: str) -> dict:
    tokens = tokens_for(f"hostile-{case}")
    tail = f"LEAKTAIL{case.upper()}0123456789"
    if case == "crlf-token":
        tokens["access_token"] += f"\r\nX-Injected: {tail}"
    elif case == "lf-token":
        tokens["access_token"] += f"\n{tail}"
    elif case == "nonascii-token":
        tokens["access_token"] += f"é{tail}"
    elif case == "crlf-id":
        tokens["account_id"] = f"acc\r\nX-Injected: {tail}"
    SECRETS.update({tokens["access_token"], tail})
    return tokens


@pytest.mark.parametrize("case", ["crlf-token", "lf-token", "nonascii-token", "crlf-id"])
def test_a_token_or_id_no_header_can_carry_is_an_auth_error_before_any_request(httpserver, tmp_path, case):
    accounts = tmp_path / "acc"
    write_auth(accounts / "x.auth.json", "x", tokens=hostile_tokens(case))
    httpserver.expect_request(USAGE_PATH).respond_with_json({})
    db = tmp_path / "h.db"
    result = run("collect", "--account-dir", accounts, "--url", httpserver.url_for(USAGE_PATH), "--db", db, "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)[0]["status"] == "auth_error"
    assert "HTTP header cannot carry" in result.stderr
    assert "LEAKTAIL" not in result.output + stored_text(db)
    assert httpserver.log == []


# -- a token echoed in another form ----------------------------------------------------------------


def echoes(token: str) -> dict[str, str]:
    return {
        "json-escaped": token.replace(".", "\\u002e"),
        "base64": base64.b64encode(f"token={token}".encode()).decode(),
        "split on /": "/".join(token[i:i + 20] for i in range(0, len(token), 20)),
        "url-encoded": token.replace(".", "%2E").replace("-", "%2D"),
    }


def carries_run(text: str, token: str) -> bool:
    """An independent oracle: 16 characters of a segment, plainly or once the echo is undone."""
    forms = [text, text.replace("\\u002e", ".").replace("%2E", ".").replace("%2D", "-"), text.replace("/", "")]
    for form in list(forms):
        for word in form.replace('"', " ").split():
            with contextlib.suppress(ValueError):
                forms.append(base64.b64decode(word + "==", validate=False).decode("utf-8", "replace"))
    parts = [p for p in token.split(".") if len(p) >= 16]
    return any(p[i:i + 16] in form for p in parts for i in range(len(p) - 15) for form in forms)


@pytest.mark.parametrize("status", [200, 403, 500])
@pytest.mark.parametrize("form", ["json-escaped", "base64", "split on /", "url-encoded"])
def test_a_token_echoed_in_another_form_is_not_kept_or_shown(httpserver, tmp_path, form, status):
    accounts = tmp_path / "acc"
    tokens = write_auth(accounts / "x.auth.json", "x")
    echo = echoes(tokens["access_token"])[form]
    if status == 200:
        body = json.dumps({"plan_type": echo, "rate_limit": {"limit_id": echo, "primary_window": {"used_percent": 1}},
                           "echo": echo})
    else:
        body = json.dumps({"detail": f"bad token {echo}"})
    httpserver.expect_request(USAGE_PATH).respond_with_data(body, status=status, content_type="application/json")
    db = tmp_path / "e.db"
    result = run("collect", "--account-dir", accounts, "--url", httpserver.url_for(USAGE_PATH), "--db", db,
                 "--retries", "0", "--json")
    raw = run("collect", "--account-dir", accounts, "--url", httpserver.url_for(USAGE_PATH), "--db", db,
              "--retries", "0", "--raw-json", "--raw-headers")
    assert "Traceback" not in result.output
    for text in (result.output, raw.output, stored_text(db)):
        assert not carries_run(text, tokens["access_token"]), form


# -- plain http cannot be smuggled past the loopback rule -------------------------------------------


@pytest.fixture
def thief():
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    server.expect_request("/backend-api/wham/usage").respond_with_json({"rate_limit": None})
    yield server
    server.stop()


@pytest.mark.parametrize("shape", [
    "http://localhost:{thief}\\@127.0.0.1:{port}/backend-api/wham/usage",
    "http://127.0.0.1:{thief}\\\\@127.0.0.1:{port}/backend-api/wham/usage",
    "http://user@127.0.0.1:{thief}/backend-api/wham/usage",
    "http://127.0.0.1:{thief}\t/backend-api/wham/usage",
    "http://127.0.0.1:{thief} @127.0.0.1:{port}/backend-api/wham/usage",
])
def test_an_ambiguous_url_is_refused_before_any_request(httpserver, thief, tmp_path, shape):
    write_auth(tmp_path / "acc" / "x.auth.json", "x")
    url = shape.format(thief=thief.port, port=httpserver.port)
    result = run("collect", "--account-dir", tmp_path / "acc", "--url", url, "--db", tmp_path / "u.db")
    one_line_error(result, 4, "refusing the usage URL")
    assert thief.log == [] and httpserver.log == []


# -- database passwords ----------------------------------------------------------------------------------


def test_db_path_masks_every_password():
    secret = "hunter2-" + make_jwt({"x": 1})[-12:]
    for url in (f"postgresql+psycopg://me:{secret}@db.example/codex",
                f"postgresql+psycopg://me@db.example/codex?sslmode=require&password={secret}"):
        result = run("db", "path", "--db", url)
        assert result.exit_code == 0 and secret not in result.output and "***" in result.output


# -- a webhook's path is its secret: never printed --------------------------------------------------

SLACK = "http://hooks.slack.example/services/T0SECRET/B0SECRET/xoxSECRETxox"


def test_a_webhooks_path_never_shows_when_it_is_refused_shown_or_scheduled(tmp_path, monkeypatch, fake_crontab):
    # A Slack or Discord webhook's path is its token. The refusal of a plain-http webhook printed
    # "(http://hooks.slack.example/services/T0SECRET/B0SECRET/xoxSECRETxox; https, ...)".
    refused = run("notify", "--dry-run", "--webhook", SLACK, "--db", tmp_path / "n.db")
    scheduled = run("schedule", "install", "--scheduler", "cron", "--", "--notify", "--webhook", SLACK)
    config = tmp_path / "config.toml"
    config.write_text(f'[notify]\nwebhooks = ["{SLACK.replace("http:", "https:")}"]\n')
    config.chmod(0o600)
    monkeypatch.setenv("TRACKER_CONFIG", str(config))
    shown = run("config", "show")
    assert refused.exit_code == 4 and scheduled.exit_code == 4 and shown.exit_code == 0
    assert "http://hooks.slack.example/…" in refused.stderr and "https://hooks.slack.example/…" in shown.stdout
    for result in (refused, scheduled, shown):
        assert "SECRET" not in result.output
