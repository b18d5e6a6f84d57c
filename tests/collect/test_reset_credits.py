"""Reset credits end to end: a real local server answering the usage and the credits list, a real
SQLite file; the list asked at most once an hour, never a POST, never a collect failure."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from tests.fixtures import (
    CREDITS_PATH,
    NOW,
    USAGE_PATH,
    all_secrets,
    credit_item,
    credits_body,
    iso,
    usage_body,
    write_auth,
)
from tracker.cli.root import cli
from tracker.collect.credits import MAX_CREDITS, credits_due, credits_url, parse_credits
from tracker.storage.codec import unpack_body

AT = datetime.fromtimestamp(NOW, tz=UTC)
TOMORROW = AT + timedelta(days=1)


def collect(accounts, url, db, at=AT, *extra):
    result = CliRunner().invoke(cli, ["collect", "--account-dir", str(accounts), "--url", url, "--db", str(db),
                                      "--json", "--retries", "0", "--at", iso(at), *extra], catch_exceptions=False)
    return result


def serve_usage(httpserver, name="work"):
    httpserver.expect_request(USAGE_PATH, headers={"ChatGPT-Account-Id": f"acc-{name}"}).respond_with_json(usage_body())


def credit_requests(httpserver) -> list:
    return [r for r, _ in httpserver.log if r.path == CREDITS_PATH]


@pytest.fixture
def accounts(tmp_path):
    write_auth(tmp_path / "accounts" / "work.auth.json", "work")
    return tmp_path / "accounts"


def test_the_list_is_read_stored_and_shown(httpserver, usage_url, accounts, db_path):
    serve_usage(httpserver)
    httpserver.expect_request(CREDITS_PATH, method="GET", headers={"ChatGPT-Account-Id": "acc-work"}).respond_with_json(
        credits_body(credit_item("rc-1", TOMORROW), credit_item("rc-0", AT - timedelta(days=2), status="redeemed",
                                                                 redeemed_at=iso(AT - timedelta(days=3)))))
    result = collect(accounts, usage_url, db_path)
    assert result.exit_code == 0, result.stderr
    [entry] = json.loads(result.stdout)
    credits = entry["reset_credits"]
    assert (credits["state"], credits["error"], credits["available_count"]) == ("ok", None, 1)
    assert credits["checked_at"] == iso(AT)
    assert [(c["id"], c["status"], c["expires_at"]) for c in credits["credits"]] == [
        ("rc-1", "available", iso(TOMORROW)), ("rc-0", "redeemed", iso(AT - timedelta(days=2)))]
    assert credits["credits"][1]["redeemed_at"] == iso(AT - timedelta(days=3))
    [request] = credit_requests(httpserver)
    assert request.method == "GET" and request.headers["Authorization"].startswith("Bearer ")
    assert not any(r.method != "GET" or "consume" in r.path for r, _ in httpserver.log)  # never redeemed
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("select credit_id, status, reset_type, expires_at from reset_credits order by credit_id").fetchall()
        assert rows == [("rc-0", "redeemed", "codex_rate_limits", int((AT - timedelta(days=2)).timestamp())),
                        ("rc-1", "available", "codex_rate_limits", int(TOMORROW.timestamp()))]
        assert conn.execute("select outcome, available_count from reset_credit_fetches").fetchall() == [("ok", 1)]


@pytest.mark.parametrize("answer", [
    {"status": 404, "body": "Not Found"},
    {"status": 500, "body": "oops"},
    {"status": 200, "body": "<html>Log in</html>", "content_type": "text/html"},
    {"status": 200, "body": "{garbage"},
    {"status": 200, "body": '{"something": "else"}'},
    {"status": 200, "body": '"a string"'},
    {"status": 429, "body": "slow down"},
])
def test_a_failing_credits_endpoint_leaves_collect_green(httpserver, usage_url, accounts, db_path, answer):
    serve_usage(httpserver)
    httpserver.expect_request(CREDITS_PATH).respond_with_data(answer["body"], status=answer["status"],
                                                              content_type=answer.get("content_type"))
    result = collect(accounts, usage_url, db_path)
    assert result.exit_code == 0
    [entry] = json.loads(result.stdout)
    why = entry["reset_credits"]["error"].removeprefix("credits list ")
    assert result.stderr == f"tracker: warning: work: reset credits list not read: {why}\n"  # was silent
    assert entry["status"] == "ok"
    credits = entry["reset_credits"]
    assert credits["state"] == "unknown" and credits["credits"] is None and credits["available_count"] is None
    assert credits["error"]
    assert len(credit_requests(httpserver)) == 1  # no retry: the next hour asks again
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select count(*) from snapshots").fetchone() == (1,)
        assert conn.execute("select count(*) from failures").fetchone() == (0,)
        assert conn.execute("select outcome from reset_credit_fetches").fetchall() == [("unknown",)]


def test_no_server_for_the_list_at_all_leaves_collect_green(httpserver, usage_url, accounts, db_path):
    serve_usage(httpserver)  # nothing answers the credits path: pytest-httpserver's 500 "no handler"
    result = collect(accounts, usage_url, db_path, AT, "--timeout", "2s")
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["reset_credits"]["state"] == "unknown"


def test_asked_at_most_once_an_hour_per_account(httpserver, usage_url, accounts, db_path):
    serve_usage(httpserver)
    httpserver.expect_request(CREDITS_PATH).respond_with_json(credits_body(credit_item("rc-1", TOMORROW)))
    states = []
    for minutes in (0, 5, 59, 60, 61, 90, 125):
        result = collect(accounts, usage_url, db_path, AT + timedelta(minutes=minutes))
        assert result.exit_code == 0
        states.append(json.loads(result.stdout)[0]["reset_credits"]["state"])
    assert states == ["ok", "not_due", "not_due", "ok", "not_due", "not_due", "ok"]
    assert len(credit_requests(httpserver)) == 3
    # a failed request counts too: a 404 is not asked again every five minutes
    httpserver.clear()
    serve_usage(httpserver)
    httpserver.expect_request(CREDITS_PATH).respond_with_data("gone", status=404)
    for minutes in (200, 210):
        collect(accounts, usage_url, db_path, AT + timedelta(minutes=minutes))
    assert len(credit_requests(httpserver)) == 1


def test_a_failed_usage_request_asks_for_no_credits(httpserver, usage_url, accounts, db_path):
    httpserver.expect_request(USAGE_PATH).respond_with_data("no", status=403)
    httpserver.expect_request(CREDITS_PATH).respond_with_json(credits_body())
    result = collect(accounts, usage_url, db_path)
    assert result.exit_code == 3
    assert json.loads(result.stdout)[0]["reset_credits"]["state"] == "not_asked"
    assert credit_requests(httpserver) == []


def test_tokens_echoed_by_the_list_are_never_stored(httpserver, usage_url, tmp_path, db_path):
    tokens = write_auth(tmp_path / "accounts" / "work.auth.json", "work")
    serve_usage(httpserver)
    echo = credit_item("rc-1", TOMORROW, title=f"for {tokens['access_token']}", note=tokens["refresh_token"])
    httpserver.expect_request(CREDITS_PATH).respond_with_json(credits_body(echo))
    result = collect(tmp_path / "accounts", usage_url, db_path)
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["reset_credits"]["credits"][0]["title"] == "[REDACTED]"
    with sqlite3.connect(db_path) as conn:
        [(raw,)] = conn.execute("select raw from reset_credit_fetches").fetchall()
        stored = unpack_body(raw) + repr(conn.execute("select * from reset_credits").fetchall()).encode()
    assert b"rc-1" in unpack_body(raw)
    everything = stored + db_path.read_bytes() + result.stdout.encode()
    for wal in db_path.parent.glob("*.db-wal"):
        everything += wal.read_bytes()
    for secret in all_secrets(tokens):
        assert secret.encode() not in everything


def test_an_older_database_upgrades_and_keeps_its_rows(httpserver, usage_url, accounts, db_path):
    from tracker.storage.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine, "0006")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO accounts (id, name, created_at) VALUES (1, 'work', 0)")
        conn.exec_driver_sql("INSERT INTO snapshots (id, account_id, collected_at, source, reset_credits_available) "
                             "VALUES (1, 1, 1700000000000, 'api', 2)")
    engine.dispose()
    serve_usage(httpserver)
    httpserver.expect_request(CREDITS_PATH).respond_with_json(credits_body(credit_item("rc-1", TOMORROW)))
    assert collect(accounts, usage_url, db_path).exit_code == 0
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select id, reset_credits_available from snapshots order by id").fetchall()[0] == (1, 2)
        assert conn.execute("select count(*) from snapshots").fetchone() == (2,)
        assert conn.execute("select a.name, c.credit_id from reset_credits c join accounts a on a.id = c.account_id"
                            ).fetchall() == [("work", "rc-1")]


def test_a_credit_keeps_its_first_sighting_and_follows_its_status(httpserver, usage_url, accounts, db_path):
    serve_usage(httpserver)
    httpserver.expect_oneshot_request(CREDITS_PATH).respond_with_json(credits_body(credit_item("rc-1", TOMORROW)))
    httpserver.expect_oneshot_request(CREDITS_PATH).respond_with_json(
        credits_body(credit_item("rc-1", TOMORROW, status="redeemed", redeemed_at=iso(AT + timedelta(hours=1)))))
    collect(accounts, usage_url, db_path)
    collect(accounts, usage_url, db_path, AT + timedelta(hours=2))
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select status, redeemed_at, first_seen_at, seen_at from reset_credits").fetchall() == [
            ("redeemed", NOW + 3600, NOW * 1000, (NOW + 7200) * 1000)]


# -- the answer parsed: pure ------------------------------------------------------------------------


def test_shapes_other_clients_accept():
    camel = {"availableCount": 1, "credits": [{"id": "a", "status": "AVAILABLE", "resetType": "codex_rate_limits",
                                                "grantedAt": "2026-11-20T08:00:00+00:00", "expiresAt": 1797000000000,
                                                "redeemedAt": None}]}
    count, [credit] = parse_credits(camel)
    assert count == 1 and credit.status == "available" and credit.reset_type == "codex_rate_limits"
    assert credit.granted_at == datetime(2026, 11, 20, 8, tzinfo=UTC)
    assert credit.expires_at == datetime.fromtimestamp(1797000000, tz=UTC)
    count, credits = parse_credits([{"id": "a", "status": "available"}, {"id": "b", "status": "redeemed"}])
    assert count == 1 and [c.id for c in credits] == ["a", "b"]


def test_hostile_values_are_cleaned_not_trusted():
    items = [{"id": "x\x1b[31m\x00y", "title": "t" * 10_000, "status": "available", "expires_at": "not a date",
              "granted_at": 1e308, "redeemed_at": "9999-01-01T00:00:00Z"},
             {"id": None}, "junk", 7, {"id": {"nested": 1}}, {"id": "x\x1b[31m\x00y", "status": "dup"},
             {"id": True}, {"id": "z", "expires_at": float("nan"), "granted_at": -5}]
    count, credits = parse_credits({"available_count": 1e300, "credits": items})
    assert count is None
    assert [c.id for c in credits] == ["x\\x1b[31m\\x00y", "z"]  # control characters shown, never sent
    first = credits[0]
    assert len(first.title) == 200 and first.expires_at is None and first.granted_at is None
    assert first.redeemed_at is None and credits[1].expires_at is None and credits[1].granted_at is None
    _, many = parse_credits({"credits": [{"id": str(i)} for i in range(5000)]})
    assert len(many) == MAX_CREDITS


def test_where_the_list_is_asked_and_when():
    assert credits_url("https://chatgpt.com/backend-api/wham/usage") == \
        "https://chatgpt.com/backend-api/wham/rate-limit-reset-credits"
    assert credits_url("https://example.com/api/codex/usage") is None
    assert credits_due(None, AT)
    assert not credits_due(AT, AT + timedelta(minutes=59))
    assert credits_due(AT, AT + timedelta(hours=1))
    assert credits_due(AT + timedelta(hours=3), AT)  # the clock went back: ask


@pytest.mark.postgres
def test_the_list_on_postgresql(httpserver, usage_url, accounts, pg_db):
    serve_usage(httpserver)
    httpserver.expect_oneshot_request(CREDITS_PATH).respond_with_json(credits_body(credit_item("rc-1", TOMORROW)))
    httpserver.expect_oneshot_request(CREDITS_PATH).respond_with_json(
        credits_body(credit_item("rc-1", TOMORROW, status="redeemed", redeemed_at=iso(AT))))
    assert collect(accounts, usage_url, pg_db).exit_code == 0
    assert collect(accounts, usage_url, pg_db, AT + timedelta(hours=1)).exit_code == 0  # upserted, not duplicated
    from tracker.storage.store import Store

    with Store.open(pg_db) as store:
        [credit] = store.credit_states()["work"].credits
        assert (credit.id, credit.status, credit.redeemed_at, credit.first_seen_at) == ("rc-1", "redeemed", AT, AT)
        assert store.credit_fetch_times() == {"work": AT + timedelta(hours=1)}
