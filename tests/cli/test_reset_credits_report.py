"""Reset credits shown and advised: report (table and --json), Prometheus and notify, from a
history collected from a local server answering the usage and the credits list."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from werkzeug import Response

from tests.fixtures import (
    CREDITS_PATH,
    T0,
    USAGE_PATH,
    body,
    credit_item,
    credits_body,
    iso,
    run,
    write_auth,
)

NOW = T0 + timedelta(hours=1)
TOMORROW = NOW + timedelta(days=1)
LATER = NOW + timedelta(days=20)


def history(httpserver, tmp_path, weekly_start: float, credits: dict | None, status: int = 200, count=None):
    """Five collections 15 minutes apart (weekly rising 1 % each) and one credits list."""
    accounts = tmp_path / "accounts"
    write_auth(accounts / "work.auth.json", "work")
    db = tmp_path / "t.db"
    url = httpserver.url_for(USAGE_PATH)
    if credits is None:
        httpserver.expect_request(CREDITS_PATH).respond_with_data("nope", status=status)
    else:
        httpserver.expect_request(CREDITS_PATH).respond_with_json(credits)
    for i in range(5):
        answer = body(10 + 5 * i, weekly_start + i)
        if count is not None:
            answer["rate_limit_reset_credits"] = {"available_count": count}
        httpserver.expect_ordered_request(USAGE_PATH).respond_with_json(answer)
        result = run("collect", "--account-dir", str(accounts), "--url", url, "--db", str(db),
                     "--at", iso(T0 + timedelta(minutes=15 * i)), "-q")
        assert result.exit_code == 0, result.stderr
    return db


def report(db, *args):
    result = run("report", "--db", str(db), "--at", iso(NOW), "--tz", "UTC", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_a_credit_expiring_tomorrow_is_flagged(httpserver, tmp_path):
    db = history(httpserver, tmp_path, 20, credits_body(
        credit_item("rc-soon", TOMORROW), credit_item("rc-later", LATER),
        credit_item("rc-used", LATER, status="redeemed", redeemed_at=iso(T0))))
    [account] = json.loads(report(db, "--json"))["accounts"]
    assert [(c["id"], c["status"], c["expires_at"], c["usable"]) for c in account["reset_credits"]] == [
        ("rc-soon", "available", iso(TOMORROW), True), ("rc-later", "available", iso(LATER), True),
        ("rc-used", "redeemed", iso(LATER), False)]
    assert account["reset_credits_usable"] == 2
    assert account["reset_credits_earliest_expiry"] == iso(TOMORROW)
    assert account["reset_credits_state"]["state"] == "ok"
    assert [(a["kind"], a["credit_id"], a["expires_at"]) for a in account["credit_advice"]] == [
        ("expires_soon", "rc-soon", iso(TOMORROW))]  # the weekly window lasts: no advice to use one
    text = report(db)
    assert "reset credits: 2 usable, first expires" in text and "(in 1d 0h)" in text
    assert "→ a reset credit expires unused in 1d 0h (Full reset (Weekly + 5 hr))" in text
    metrics = report(db, "--format", "prometheus")
    assert 'codex_usage_reset_credits_available{account="work"} 2.0' in metrics
    assert (f'codex_usage_reset_credits_earliest_expiry_timestamp_seconds{{account="work"}} '
            f'{TOMORROW.timestamp()!r}') in metrics


def test_a_window_that_will_run_out_and_an_available_credit(httpserver, tmp_path):
    db = history(httpserver, tmp_path, 92, credits_body(credit_item("rc-later", LATER)))
    [account] = json.loads(report(db, "--json"))["accounts"]
    weekly = next(w for w in account["windows"] if w["kind"] == "weekly")
    assert weekly["run_out_probability"] >= 0.5
    [advice] = account["credit_advice"]
    assert (advice["kind"], advice["window"], advice["credit_id"]) == ("use_credit", "weekly", "rc-later")
    assert advice["run_out_probability"] == weekly["run_out_probability"]
    assert "weekly will probably run out before its reset" in report(db)


def test_no_credit_no_advice_and_an_unknown_list_says_so(httpserver, tmp_path):
    db = history(httpserver, tmp_path, 92, None, status=404)
    [account] = json.loads(report(db, "--json"))["accounts"]
    assert account["reset_credits"] is None and account["credit_advice"] == []
    assert (account["reset_credits_usable"], account["reset_credits_earliest_expiry"]) == (None, None)
    assert account["reset_credits_state"]["state"] == "unknown"
    assert "HTTP 404" in account["reset_credits_state"]["error"]
    assert "reset credits" not in report(db)  # nothing usable known: no line


def test_an_unknown_list_falls_back_on_the_usage_answers_count(httpserver, tmp_path):
    db = history(httpserver, tmp_path, 92, None, status=500, count=1)
    [account] = json.loads(report(db, "--json"))["accounts"]
    assert account["reset_credits_usable"] == 1 and account["reset_credits"] is None
    [advice] = account["credit_advice"]
    assert (advice["kind"], advice["window"], advice["credit_id"]) == ("use_credit", "weekly", None)
    text = report(db)
    assert "reset credits: 1 usable (list unreadable, last asked 11:00)" in text
    assert "→ weekly will probably run out before its reset" in text and "1 reset credit available" in text


@pytest.mark.parametrize("wait,fires", [("48h", True), ("12h", False)])
def test_notify_before_a_credit_expires_unused_once_per_credit(httpserver, tmp_path, wait, fires):
    db = history(httpserver, tmp_path, 20, credits_body(credit_item("rc-soon", TOMORROW), credit_item("rc-far", LATER)))
    hooks = []
    httpserver.expect_request("/hook", method="POST").respond_with_handler(
        lambda request: hooks.append(request.get_json()) or Response("ok"))
    args = ("notify", "--db", str(db), "--below", "0", "--credit-expiry", wait, "--tz", "UTC",
            "--webhook", httpserver.url_for("/hook"))
    for hours in (0, 1, 2):  # the same credit, still unused: one notification for the episode
        result = run(*args, "--at", iso(NOW + timedelta(hours=hours)))
        assert result.exit_code == 0, result.stderr
    credit_hooks = [h for h in hooks if h["rule"] == "credit_expiry"]
    if not fires:
        assert credit_hooks == []
        return
    [hook] = credit_hooks
    assert hook["kind"] == "credit:rc-soon" and hook["account"] == "work"
    assert hook["message"] == f"Codex work: a reset credit expires unused {TOMORROW:%a %d %b %H:%M} (in 1d 0h)"
    assert hook["reset_at"] == iso(TOMORROW)


def test_the_config_file_sets_the_credit_expiry_rule(httpserver, tmp_path, monkeypatch):
    db = history(httpserver, tmp_path, 20, credits_body(credit_item("rc-soon", TOMORROW)))
    config = tmp_path / "config.toml"
    config.write_text('[notify]\ncredit_expiry = "48h"\nbelow = 0\n')
    monkeypatch.setenv("TRACKER_CONFIG", str(config))
    result = run("notify", "--db", str(db), "--dry-run", "--tz", "UTC", "--at", iso(NOW))
    assert result.exit_code == 0, result.stderr
    assert "a reset credit expires unused" in result.stdout
    config.write_text('[notify]\ncredit_expiry = "12h"\nbelow = 0\n')
    assert "expires unused" not in run("notify", "--db", str(db), "--dry-run", "--tz", "UTC", "--at", iso(NOW)).stdout
