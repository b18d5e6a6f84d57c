"""Issue 14, "Codex as it is today", at the library level: every shape the endpoint and the
session logs have today, the HTML 403, and Codex's own base-URL rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures import NOW, USAGE_PATH, usage_body, write_auth
from tracker.collect.accounts import AccountRef, load_account
from tracker.collect.client import fetch_usage
from tracker.collect.codex_config import base_to_usage_url, chatgpt_base_url, home_usage_url
from tracker.collect.normalize import is_flat, normalize_payload
from tracker.collect.run import collect_accounts
from tracker.errors import UnsafeURLError
from tracker.records import Window

REF = datetime.fromtimestamp(NOW, tz=UTC)
CLOCK = lambda: REF  # noqa: E731
WEEK = 604800


def windows(payload) -> list[tuple]:
    usage = normalize_payload(payload, REF)
    assert usage.parsed, usage.problem
    return [(w.limit, w.kind, w.window_seconds, w.used_percent, w.reset_at and int(w.reset_at.timestamp()))
            for w in usage.windows]


# -- 1. limit families in session logs ------------------------------------------------------

@pytest.mark.parametrize("limits,limit", [
    ({"limit_id": "codex", "limit_name": None}, "codex"),
    ({}, "codex"),  # no limit_id: the main quota
    ({"limit_id": "codex_bengalfox", "limit_name": "GPT-5.3-Codex-Spark"}, "GPT-5.3-Codex-Spark"),
    ({"limit_id": "codex_bengalfox"}, "codex_bengalfox"),  # no name: the id
])
def test_each_limit_family_is_its_own_limit(limits, limit):
    line = {**limits, "primary": {"used_percent": 3.0, "window_minutes": 300, "resets_at": NOW + 60},
            "secondary": {"used_percent": 30.0, "window_minutes": 10080, "resets_at": NOW + 6000},
            "credits": {"has_credits": False, "balance": "5"}, "plan_type": "pro"}
    usage = normalize_payload({"rate_limits": line}, REF)
    assert [(w.limit, w.kind) for w in usage.windows] == [(limit, "five_hour"), (limit, "weekly")]
    assert (usage.plan, usage.credits_balance) == ("pro", "5")


# -- 2. the older flat form -----------------------------------------------------------------

def test_flat_040_lines_are_windows_without_a_reset_time():
    flat = {"primary_used_percent": 12.5, "secondary_used_percent": 40.0, "primary_window_minutes": 300,
            "secondary_window_minutes": 10080, "primary_to_secondary_ratio_percent": 31.0}
    assert is_flat(flat)
    assert windows({"rate_limits": flat}) == [("codex", "five_hour", 18000, 12.5, None),
                                              ("codex", "weekly", WEEK, 40.0, None)]
    # without lengths the position decides; one window alone is fine
    assert windows({"rate_limits": {"secondary_used_percent": 7}}) == [("codex", "weekly", None, 7.0, None)]
    assert not is_flat({"primary": {"used_percent": 1}})


# -- 3. windows by length, not position ------------------------------------------------------

@pytest.mark.parametrize("payload", [
    {"rate_limit": {"primary_window": {"used_percent": 20, "limit_window_seconds": WEEK, "reset_at": NOW + 9},
                    "secondary_window": None}},
    {"rate_limits": {"limit_id": "codex", "primary": {"used_percent": 20, "window_minutes": 10080,
                                                      "resets_at": NOW + 9}, "secondary": None}},
])
def test_weekly_only_payloads(payload):
    assert windows(payload) == [("codex", "weekly", WEEK, 20.0, NOW + 9)]


# -- 4. reset credits and spend control ------------------------------------------------------

SPEND = {"limit": "100.00", "used": "20.00", "remaining": "80.00", "used_percent": 20, "remaining_percent": 80,
         "reset_after_seconds": 0, "reset_at": 0}


def test_reset_credits_and_spend_control():
    payload = {**usage_body(), "rate_limit_reset_credits": {"available_count": 2},
               "spend_control": {"reached": False, "reached_limit_type": "individual",
                                 "individual_limit": {**SPEND, "reset_at": NOW + 86400}}}
    usage = normalize_payload(payload, REF)
    assert usage.reset_credits_available == 2 and usage.spend_control_reached is False
    assert usage.windows[-1] == Window("spend_individual", "other", None, 20.0,
                                       datetime.fromtimestamp(NOW + 86400, tz=UTC))
    assert [w.limit for w in usage.windows] == ["codex", "codex", "spend_individual"]


@pytest.mark.parametrize("payload", [
    {**usage_body(), "individual_limit": SPEND},  # at the root
    {"rate_limit": {**usage_body()["rate_limit"], "individual_limit": SPEND}},  # under rate_limit
    {"rate_limits": {"primary": {"used_percent": 1, "window_minutes": 300}, "individual_limit": SPEND,
                     "spend_control_reached": True}},  # a session-log line
])
def test_individual_limit_wherever_it_is(payload):
    usage = normalize_payload(payload, REF)
    spend = [w for w in usage.windows if w.limit == "spend_individual"]
    assert [(w.used_percent, w.reset_at) for w in spend] == [(20.0, None)]  # 0 means no reset time


@pytest.mark.parametrize("credits,count", [
    ({"available_count": 0}, 0), ({"available_count": 3.0}, 3), ({"available_count": "2"}, None),
    ({"available_count": -1}, None), ({"available_count": True}, None), ({}, None), (None, None), ([1], None),
])
def test_reset_credit_counts_are_checked(credits, count):
    usage = normalize_payload({**usage_body(), "rate_limit_reset_credits": credits}, REF)
    assert usage.parsed and usage.reset_credits_available == count
    assert len(usage.windows) == 2


def test_spend_control_alone_is_understood():
    usage = normalize_payload({"spend_control": {"reached": True, "individual_limit": SPEND}}, REF)
    assert usage.parsed and usage.spend_control_reached is True
    assert [w.limit for w in usage.windows] == ["spend_individual"]


# -- 5. blocked, not unauthorised ------------------------------------------------------------

CHALLENGE = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>challenge</body></html>"


@pytest.fixture
def account(tmp_path):
    write_auth(tmp_path / "w.auth.json", "w")
    return load_account(AccountRef("w", tmp_path / "w.auth.json"))


def test_html_403_is_blocked_and_retried_like_a_5xx(httpserver, account, usage_url):
    httpserver.expect_ordered_request(USAGE_PATH).respond_with_data(CHALLENGE, status=403, content_type="text/html")
    httpserver.expect_ordered_request(USAGE_PATH).respond_with_json(usage_body())
    sleeps = []
    result = fetch_usage(account, usage_url, timeout=5, clock=CLOCK, sleep=sleeps.append)
    assert result.status == "ok" and len(sleeps) == 1 and len(httpserver.log) == 2


def test_html_403_every_time_is_blocked_exit_3(httpserver, account, usage_url):
    httpserver.expect_request(USAGE_PATH).respond_with_data(CHALLENGE, status=403, content_type="text/html")
    sleeps = []
    result = fetch_usage(account, usage_url, timeout=5, retries=2, clock=CLOCK, sleep=sleeps.append)
    assert (result.status, result.http_status) == ("blocked", 403)
    assert "blocked before reaching the account" in result.error
    assert len(sleeps) == 2 and len(httpserver.log) == 3
    [collected] = list(collect_accounts([AccountRef("w", account.path)], usage_url, retries=0, clock=CLOCK,
                                        sleep=lambda s: None))
    assert (collected.status, collected.exit_code) == ("blocked", 3)


@pytest.mark.parametrize("body,content_type", [
    ('{"detail": "Your account is deactivated"}', "application/json"),
    ('{"detail": "no access"}', "text/html"),  # JSON wins over a wrong label
])
def test_json_403_stays_forbidden_and_is_not_retried(httpserver, account, usage_url, body, content_type):
    httpserver.expect_request(USAGE_PATH).respond_with_data(body, status=403, content_type=content_type)
    sleeps = []
    result = fetch_usage(account, usage_url, timeout=5, clock=CLOCK, sleep=sleeps.append)
    assert result.status == "forbidden" and sleeps == [] and len(httpserver.log) == 1


# -- 6. the base URL Codex uses --------------------------------------------------------------

@pytest.mark.parametrize("base,url", [
    ("https://chatgpt.com/backend-api", "https://chatgpt.com/backend-api/wham/usage"),
    ("https://chatgpt.com/backend-api/", "https://chatgpt.com/backend-api/wham/usage"),
    ("https://chatgpt.com", "https://chatgpt.com/backend-api/wham/usage"),
    ("https://chat.openai.com/", "https://chat.openai.com/backend-api/wham/usage"),
    ("https://proxy.example/backend-api", "https://proxy.example/backend-api/wham/usage"),
    ("https://proxy.example/codex", "https://proxy.example/codex/api/codex/usage"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/codex/usage"),
])
def test_base_url_rule(base, url):
    assert base_to_usage_url(base) == url


def test_config_toml_is_read_for_a_codex_home_only(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    assert home_usage_url(home / "auth.json") is None  # no config.toml
    (home / "config.toml").write_text('model = "gpt-5"\n')
    assert chatgpt_base_url(home) is None  # no key
    (home / "config.toml").write_text('model = "gpt-5"\nchatgpt_base_url = "https://proxy.example/backend-api"\n'
                                      "[profiles.x]\nmodel = 'o3'\n")
    assert home_usage_url(home / "auth.json") == "https://proxy.example/backend-api/wham/usage"
    assert home_usage_url(home / "work.auth.json") is None  # not a Codex home's auth.json
    (home / "config.toml").write_text("chatgpt_base_url = [unclosed\n")
    assert home_usage_url(home / "auth.json") is None  # unreadable: the default, as Codex's would be
    (home / "config.toml").write_text('chatgpt_base_url = "http://evil.example"\n')
    with pytest.raises(UnsafeURLError, match="config.toml"):
        home_usage_url(home / "auth.json")


def test_collect_accounts_follows_each_homes_config(httpserver, tmp_path):
    """A home whose config.toml names a base is asked there; the others (and --url) use the default."""
    proxied, plain = tmp_path / "proxied", tmp_path / "plain"
    for home in (proxied, plain):
        write_auth(home / "auth.json", home.name)
    (proxied / "config.toml").write_text(f'chatgpt_base_url = "{httpserver.url_for("/gw")}"\n')
    httpserver.expect_request("/gw/api/codex/usage").respond_with_json(usage_body(five_used=1))
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body(five_used=2))
    refs = [AccountRef("proxied", proxied / "auth.json"), AccountRef("plain", plain / "auth.json")]
    default = httpserver.url_for(USAGE_PATH)
    results = {r.account: r for r in collect_accounts(refs, default, clock=CLOCK, endpoint_fixed=False)}
    assert {n: r.windows[0].used_percent for n, r in results.items()} == {"proxied": 1.0, "plain": 2.0}
    fixed = {r.account: r for r in collect_accounts(refs, default, clock=CLOCK)}
    assert {n: r.windows[0].used_percent for n, r in fixed.items()} == {"proxied": 2.0, "plain": 2.0}


def test_reference_time_matters_only_for_relative_resets():
    later = REF + timedelta(hours=1)
    line = {"rate_limits": {"primary_used_percent": 5, "primary_window_minutes": 300}}
    assert normalize_payload(line, REF).windows == normalize_payload(line, later).windows


def test_session_line_reached_type_and_spend_flag():
    usage = normalize_payload({"rate_limits": {
        "limit_id": "codex", "primary": {"used_percent": 100, "window_minutes": 300},
        "rate_limit_reached_type": {"type": "workspace_member_usage_limit_reached"},
        "spend_control_reached": False}}, REF)
    assert (usage.reached_type, usage.spend_control_reached) == ("workspace_member_usage_limit_reached", False)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_revision_0005_round_trip_keeps_snapshots(backend, tmp_path, request):
    """0004 -> 0005 (and on to head) adds the columns (old rows read as unknown), down to 0004 drops them, and up again."""
    from sqlalchemy import text

    from tests.fixtures import store_url
    from tracker.records import SnapshotRecord
    from tracker.storage.db import SCHEMA_HEAD, current_revision, make_engine, upgrade
    from tracker.storage.store import Store

    url = store_url(tmp_path / "m.db" if backend == "sqlite" else request.getfixturevalue("pg_db"))
    engine = make_engine(url)
    upgrade(engine, "0004")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO accounts (id, name, created_at) VALUES (1, 'old', 0)"))
        conn.execute(text("INSERT INTO snapshots (id, account_id, collected_at, source) VALUES (7, 1, 1, 'api')"))
    upgrade(engine, "head")  # the store writes every column of the head revision
    store = Store(engine)
    store.add_snapshots([SnapshotRecord("old", REF, "api", normalize_payload(
        {**usage_body(), "rate_limit_reset_credits": {"available_count": 4}}, REF))])
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT collected_at, reset_credits_available FROM snapshots ORDER BY 1")).all()
    assert [tuple(r) for r in rows] == [(1, None), (NOW * 1000, 4)]
    from alembic import command

    from tracker.storage.db import alembic_config

    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0004")
    assert current_revision(engine) == "0004"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM snapshots")).scalar() == 2
    upgrade(engine, "head")
    assert current_revision(engine) == SCHEMA_HEAD
    engine.dispose()
