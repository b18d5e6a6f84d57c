"""What a second adversarial pass found after the hardening: each class, one line, never exit 5."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading

import pytest
from werkzeug import Response

from tests.fixtures import (
    USAGE_PATH,
    make_jwt,
    one_line_error,
    run,
    session_line,
    sqlite_rows,
    tokens_for,
    usage_body,
    write_auth,
    write_log,
)

AT = "2026-11-18T11:06:40Z"  # tests.fixtures.NOW: the usage body's reset times are relative to it


@pytest.fixture
def collected(tmp_path, httpserver):
    """One account named with a newline and an ANSI sequence, collected once."""
    name = "evil\x1b]0;t\x07\nx"
    write_auth(tmp_path / "auth.json", "evil")
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body(95, 40))
    db = tmp_path / "t.db"
    result = run("collect", "--auth", f"ok={tmp_path / 'auth.json'}", "--url", httpserver.url_for(USAGE_PATH),
                 "--db", db, "-q", "--at", AT)
    assert result.exit_code == 0, result.output
    sqlite_rows_before = sqlite_rows(db, "select count(*) from snapshots")
    import sqlite3

    with sqlite3.connect(db) as conn:  # as a file-named account or an older version could have stored it
        conn.execute("update accounts set name = ?", (name,))
    return db, sqlite_rows_before


# -- numbers and sizes that overflowed ------------------------------------------------------------


def usage_error(result, text: str) -> None:
    assert result.exit_code == 2 and text in result.stderr and "internal error" not in result.stderr, result.output


def test_a_huge_row_limit_is_a_usage_error(collected):
    db, _ = collected
    usage_error(run("history", "--db", db, "--limit", str(2**63)), "is not in the range")


def test_a_reversed_period_is_a_usage_error_not_no_data(collected):
    db, _ = collected
    for command in ("history", "export", "resets"):
        usage_error(run(command, "--db", db, "--since", "1d", "--until", "3d"), "the period is empty")


def test_a_far_moment_shows_its_year_and_the_future_is_refused(collected):
    db, _ = collected
    past = run("report", "--db", db, "--at", "1999-01-01", "--tz", "UTC")
    assert past.exit_code == 1 and "no snapshots at or before Fri 01 Jan 1999 00:00" in past.stderr
    usage_error(run("report", "--db", db, "--at", "2099-01-01", "--tz", "UTC"), "is in the future")


def test_a_huge_name_is_shortened_in_tables():
    from tracker.render import MAX_CELL, table

    text = table(["limit", "used"], [["x" * 200_000, 1.0], ["codex", 2.0]])
    assert max(len(line) for line in text.splitlines()) < MAX_CELL + 20 and "…" in text


# -- session logs: nesting and dates that broke every rerun ---------------------------------------


def test_a_line_nested_fifty_thousand_deep_is_skipped_and_the_rest_imported(tmp_path):
    home = tmp_path / ".codex"
    deep = json.dumps({"timestamp": "2026-11-16T02:00:00Z", "type": "event_msg",
                       "payload": {"type": "token_count"}})[:-2] + ', "rate_limits": ' + "[" * 50_000 + "]" * 50_000 + "}}"
    write_log(home / "sessions" / "rollout-a.jsonl", [session_line(0, 10.0), deep, session_line(5, 12.0)])
    first = run("import-sessions", "--codex-home", home, "--db", tmp_path / "t.db", "--json")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["imported"] == 2 and summary["skipped"].get("not_json") == 1


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00Z", "2999-01-01T00:00:00Z"])
def test_session_dates_out_of_any_plausible_range_are_skipped(tmp_path, stamp):
    home = tmp_path / ".codex"
    odd = json.loads(session_line(0, 50.0))
    odd["timestamp"] = stamp
    write_log(home / "sessions" / "rollout-a.jsonl", [json.dumps(odd), session_line(5, 12.0)])
    db = tmp_path / "t.db"
    summary = json.loads(run("import-sessions", "--codex-home", home, "--db", db, "--json").stdout)
    assert summary["imported"] == 1 and summary["skipped"].get("bad_timestamp") == 1
    prune = run("prune", "--older-than", "1d", "--dry-run", "--db", db)
    assert prune.exit_code == 0 and prune.stdout.startswith("would remove 1 of 1 snapshots"), prune.output
    backtest = run("backtest", "--since", "36500d", "--db", db)  # one reading: no window has ended
    assert backtest.exit_code == 1 and "no window ended" in backtest.stderr, backtest.output


# -- names and server text reach the terminal escaped ----------------------------------------------


def test_status_check_and_notify_escape_account_names(collected):
    db, _ = collected
    for args in (("status",), ("status", "--format", "i3blocks"), ("check",), ("notify", "--dry-run")):
        result = run(*args, "--db", db, "--at", AT)
        assert "\x1b" not in result.output and "\x07" not in result.output, args
        assert "evil\\x1b]0;t\\x07\\x0ax" in result.output, args
    assert len(run("status", "--db", db, "--at", AT).stdout.splitlines()) == 1


def test_raw_bodies_never_reach_the_terminal_raw(tmp_path, httpserver):
    write_auth(tmp_path / "a.auth.json", "a")
    httpserver.expect_request(USAGE_PATH).respond_with_response(
        Response('{"plan_type": "plus\x1b]0;PWNED\x07", "rate_limit": {}}', content_type="application/json"))
    result = run("collect", "--auth", tmp_path / "a.auth.json", "--url", httpserver.url_for(USAGE_PATH),
                 "--db", tmp_path / "t.db", "--raw-json")
    assert "\x1b" not in result.stdout and "\\x1b]0;PWNED\\x07" in result.stdout


# -- names, URLs and tokens refused before any request ---------------------------------------------


@pytest.mark.parametrize("value,text", [("", "--auth needs a file"), ("a\nb=FILE", "not a usable account name"),
                                        (" =FILE", "not a usable account name")])
def test_unusable_account_names_are_refused(tmp_path, value, text):
    write_auth(tmp_path / "x.auth.json", "x")
    result = run("collect", "--auth", value.replace("FILE", str(tmp_path / "x.auth.json")), "--db", tmp_path / "t.db")
    one_line_error(result, 2, text)
    assert not (tmp_path / "t.db").exists()


def test_import_under_an_unusable_name_is_refused(tmp_path):
    (tmp_path / ".codex").mkdir()
    one_line_error(run("import-sessions", "--codex-home", tmp_path / ".codex", "--account", "a\nb",
                       "--db", tmp_path / "t.db"), 2, "not a usable account name")


@pytest.mark.parametrize("suffix", ["?x=1", "#frag", "#@evil.example/backend-api"])
def test_a_usage_url_with_a_query_or_fragment_is_refused(tmp_path, httpserver, suffix):
    write_auth(tmp_path / "a.auth.json", "a")
    result = run("collect", "--auth", tmp_path / "a.auth.json", "--url", httpserver.url_for("/backend-api") + suffix,
                 "--db", tmp_path / "t.db")
    one_line_error(result, 4, "no ?query or #fragment")
    assert httpserver.log == []


def test_schedule_refuses_an_unsafe_url_it_would_run_every_five_minutes():
    one_line_error(run("schedule", "install", "--print", "--scheduler", "cron", "--", "--url",
                       "http://evil.example/x"), 4, "plain http")


def test_a_token_that_expired_before_the_epoch_is_not_sent(tmp_path, httpserver):
    tokens = tokens_for("old")
    tokens["access_token"] = make_jwt({"exp": -1e308})
    write_auth(tmp_path / "old.auth.json", "old", tokens=tokens)
    result = run("collect", "--auth", tmp_path / "old.auth.json", "--url", httpserver.url_for(USAGE_PATH),
                 "--db", tmp_path / "t.db")
    assert result.exit_code == 1 and "expired" in result.stderr and httpserver.log == []


def test_pick_path_is_absolute_whatever_the_directory_collect_ran_in(tmp_path, httpserver, monkeypatch):
    write_auth(tmp_path / "accts" / "work.auth.json", "work")
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body(10, 10))
    monkeypatch.chdir(tmp_path)
    run("collect", "--account-dir", "accts", "--url", httpserver.url_for(USAGE_PATH), "--db", tmp_path / "t.db", "-q")
    assert run("pick", "--path", "--db", tmp_path / "t.db").stdout == f"work\t{tmp_path / 'accts' / 'work.auth.json'}\n"


def test_notify_dry_run_creates_nothing(tmp_path):
    one_line_error(run("notify", "--dry-run", "--db", tmp_path / "typo" / "x.db"), 1, "no database at")
    assert not (tmp_path / "typo").exists()


# -- Ctrl-C is an interruption, not an auth problem -------------------------------------------------


@pytest.mark.slow
def test_ctrl_c_during_collect_exits_130_and_keeps_the_database(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted = threading.Event()

    def accept():
        conn, _ = listener.accept()  # hold the request: never answer
        accepted.set()
        conn.recv(1024)

    threading.Thread(target=accept, daemon=True).start()
    write_auth(tmp_path / "a.auth.json", "a")
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/backend-api/wham/usage"
    # As from a terminal: a shell's background job (or CI started as one) runs with SIGINT ignored,
    # and Python then installs no Ctrl-C handler at all, so the child gets the default one back.
    interactive = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                   "from tracker.cli.entry import main; sys.exit(main())")
    proc = subprocess.Popen([sys.executable, "-c", interactive, "collect", "--auth", str(tmp_path / "a.auth.json"),
                             "--url", url, "--db", str(tmp_path / "t.db"), "--timeout", "30"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert accepted.wait(timeout=60)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)  # generous for a loaded machine; a swallowed Ctrl-C exits != 130
    listener.close()
    assert proc.returncode == 130, err
    assert err.strip().startswith("tracker: interrupted") and "Traceback" not in err


# -- numbers in messages ------------------------------------------------------------------------------


@pytest.mark.parametrize("value,expected", [("inf", None), ("nan", None), ("1e308", None), ("-5", 0.0), ("30", 30.0)])
def test_retry_after_that_no_one_can_wait_for_is_ignored(value, expected):
    from datetime import UTC, datetime

    from tracker.collect.client import _retry_after

    assert _retry_after(value, datetime.now(UTC)) == expected


def test_cron_refuses_a_period_it_cannot_express_in_words():
    result = run("schedule", "install", "--print", "--scheduler", "cron", "--every", "7d")
    assert result.exit_code == 2 and "1w is neither" in result.stderr


def test_an_additional_limit_named_like_the_main_quota_keeps_its_own_series():
    from datetime import UTC, datetime

    from tracker.collect.normalize import normalize_payload

    body = usage_body(10, 20)
    body["additional_rate_limits"] = [{"limit_name": "codex", "rate_limit": {
        "primary_window": {"used_percent": 99, "limit_window_seconds": 18000}}}]
    usage = normalize_payload(body, datetime.now(UTC))
    assert [(w.limit, w.kind, w.used_percent) for w in usage.windows if w.kind == "five_hour"] == [
        ("codex", "five_hour", 10.0), ("codex (additional)", "five_hour", 99.0)]


def test_one_current_window_per_kind_after_an_answer_with_a_nonsense_length(tmp_path):
    from datetime import UTC, datetime, timedelta

    from tracker.records import SnapshotRecord, Usage, Window
    from tracker.storage.store import Store

    now = datetime.now(UTC)
    with Store.open(f"sqlite:///{tmp_path / 't.db'}") as store:
        store.add_snapshots([
            SnapshotRecord("bob", now - timedelta(minutes=10), "api",
                           Usage([Window("codex", "five_hour", None, 42.0, now + timedelta(hours=2))])),
            SnapshotRecord("bob", now - timedelta(minutes=5), "api",
                           Usage([Window("codex", "five_hour", 18000, 58.0, now + timedelta(hours=2))]))])
    out = run("status", "--db", tmp_path / "t.db", "--kind", "five_hour").stdout
    assert out == "bob 5h 42%\n"


def test_a_database_server_that_refuses_is_one_line():
    one_line_error(run("report", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/x"), 4, "Connection refused")


# -- the final pass: accounts, notify episodes, unknown names ----------------------------------------


def _history(db, names=("work", "home"), count=200):
    from datetime import UTC, datetime, timedelta

    from tracker.records import SnapshotRecord, Usage, Window
    from tracker.storage.store import Store

    start = datetime.now(UTC) - timedelta(days=2)
    with Store.open(f"sqlite:///{db}") as store:
        store.add_snapshots([SnapshotRecord(name, start + timedelta(minutes=5 * i), "api", Usage([
            Window("codex", "five_hour", 18000, float(i % 90), None),
            Window("codex", "weekly", 604800, 50.0, None)])) for i in range(count) for name in names])


def test_forget_leaves_the_database_consistent_and_foreign_keys_on(tmp_path):
    import sqlite3

    db = tmp_path / "t.db"
    _history(db)
    assert run("accounts", "forget", "work", "--yes", "--db", db).stdout == "forgot work (200 snapshots)\n"
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma foreign_key_check").fetchall() == []
        assert conn.execute("select count(*) from windows").fetchone() == (400,)
    from tracker.storage.store import Store

    with Store.open(f"sqlite:///{db}") as store, store._write() as conn:  # the pooled connection checks again
        assert conn.exec_driver_sql("pragma foreign_keys").scalar() == 1


def test_accounts_commands_never_create_a_database(tmp_path):
    for args in (("rename", "a", "b"), ("forget", "a", "--yes")):
        one_line_error(run("accounts", *args, "--db", tmp_path / "nodir" / "x.db"), 1, "no database at")
    assert not (tmp_path / "nodir").exists()


def test_unknown_names_are_an_error_not_an_empty_answer(tmp_path):
    db = tmp_path / "t.db"
    _history(db)
    for command in ("history", "resets", "backtest"):
        one_line_error(run(command, "nosuch", "--db", db), 1, "no account named 'nosuch'")


def test_an_account_name_longer_than_its_column_is_refused(tmp_path):
    db = tmp_path / "t.db"
    _history(db)
    one_line_error(run("accounts", "rename", "work", "x" * 201, "--db", db), 2, "at most 200 characters")


def test_notify_exec_from_the_environment_is_one_command(tmp_path, monkeypatch):
    db = tmp_path / "t.db"
    _history(db, names=("work",))
    monkeypatch.setenv("TRACKER_NOTIFY_EXEC", 'echo "$TRACKER_ACCOUNT low" >> ' + str(tmp_path / "out"))
    result = run("notify", "--db", db, "--below", "100")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out").read_text() == "work low\n" * 2  # five-hour and weekly: one command each


def test_rename_carries_the_episodes_and_forget_ends_them(tmp_path):
    db = tmp_path / "t.db"
    _history(db, names=("work",))
    out = tmp_path / "out"
    notify = ("notify", "--db", db, "--below", "100", "--exec", f"echo sent >> {out}")
    run(*notify)
    assert out.read_text().count("sent") == 2
    run("accounts", "rename", "work", "job", "--db", db)
    run(*notify)
    assert out.read_text().count("sent") == 2  # the same episodes: nothing new
    run("accounts", "forget", "job", "--yes", "--db", db)
    _history(db, names=("job",))
    run(*notify)
    assert out.read_text().count("sent") == 4  # a new account under the old name starts afresh


def test_history_limit_and_all_together_is_a_usage_error(tmp_path):
    db = tmp_path / "t.db"
    _history(db)
    result = run("history", "--db", db, "--limit", "3", "--all")
    assert result.exit_code == 2 and "not both" in result.stderr


# -- the last pass: loops and nesting where a file is expected -----------------------------------------


def test_a_symlink_loop_where_a_file_is_expected_is_one_line_or_skipped(tmp_path):
    (tmp_path / "l1").symlink_to(tmp_path / "l2")
    (tmp_path / "l2").symlink_to(tmp_path / "l1")
    one_line_error(run("report", "--db", tmp_path / "l1"), 4, "points back to itself")
    home = tmp_path / ".codex"
    write_log(home / "sessions" / "rollout-a.jsonl", [session_line(0, 10.0)])
    (home / "sessions" / "rollout-b.jsonl").symlink_to(home / "sessions" / "rollout-b.jsonl")
    summary = json.loads(run("import-sessions", "--codex-home", home, "--db", tmp_path / "t.db", "--json").stdout)
    assert summary["imported"] == 1 and summary["skipped"].get("symlink_loop") == 1


def test_a_config_toml_nested_beyond_reason_means_the_default_url(tmp_path):
    from tracker.collect.codex_config import chatgpt_base_url

    (tmp_path / "config.toml").write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert chatgpt_base_url(tmp_path) is None


def test_a_file_name_that_is_not_utf8_names_no_account(tmp_path, httpserver):
    accounts = tmp_path / "accts"
    write_auth(accounts / "good.auth.json", "good")
    write_auth(accounts / "x.auth.json", "bad")
    os.rename(accounts / "x.auth.json", os.fsencode(accounts) + b"/\xff\xfe.auth.json")
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body(10, 10))
    result = run("collect", "--account-dir", accounts, "--url", httpserver.url_for(USAGE_PATH),
                 "--db", tmp_path / "t.db", "--json")
    assert result.exit_code == 0, result.output
    assert [r["account"] for r in json.loads(result.stdout)] == ["good"]
