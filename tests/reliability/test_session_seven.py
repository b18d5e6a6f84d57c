"""Seventh adversarial pass (session of 2026-12-04): URLs no parser can read, where the tracker
reads or checks a URL (the usage URL, a Codex home's config.toml, webhooks, `schedule install`)."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest

from tests.fixtures import (
    CREDITS_PATH,
    HIST_T0,
    USAGE_PATH,
    counting_lines,
    run,
    sqlite_rows,
    usage_body,
    write_auth,
    write_log,
)

UNPARSABLE = ["https://[::1", "https://[zz]/x"]  # urlsplit raises ValueError for both


def test_a_codex_home_whose_base_url_does_not_parse_fails_that_account_only(httpserver, tmp_path):
    # urlsplit's ValueError escaped: exit 5 "internal error (ValueError: Invalid IPv6 URL)", and the
    # other home was not collected either
    good, bad = tmp_path / "good", tmp_path / "bad"
    for home in (good, bad):
        write_auth(home / "auth.json", home.name)
    (good / "config.toml").write_text(f'chatgpt_base_url = "{httpserver.url_for("/backend-api")}"\n')
    (bad / "config.toml").write_text('chatgpt_base_url = "https://[::1"\n')
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    httpserver.expect_request(CREDITS_PATH).respond_with_json([])
    db = tmp_path / "h.db"
    result = run("collect", "--codex-home", f"good={good}", "--codex-home", f"bad={bad}", "--db", db,
                 "--retries", "0", "--json")
    assert result.exit_code == 4, result.output
    assert {r["account"]: r["status"] for r in json.loads(result.stdout)} == {"good": "ok", "bad": "unsafe_url"}
    assert result.stderr.count("\n") == 1 and "bad: unsafe_url" in result.stderr and "cannot be parsed" in result.stderr
    assert sqlite_rows(db, "SELECT count(*) FROM snapshots") == [(1,)]


@pytest.mark.parametrize("url", [*UNPARSABLE, "http://127.0.0.1:0/usage"])
def test_a_usage_url_that_does_not_parse_or_names_port_0_is_refused_in_one_line(httpserver, tmp_path, url):
    # exit 5 for the first two; port 0 was sent to port 80 ("connection refused by 127.0.0.1:80")
    write_auth(tmp_path / "acc" / "a.auth.json", "a")
    result = run("collect", "--account-dir", tmp_path / "acc", "--url", url, "--db", tmp_path / "c.db")
    assert result.exit_code == 4, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("tracker: refusing the usage URL: ")
    assert not httpserver.log


@pytest.mark.parametrize("url", UNPARSABLE)
def test_a_webhook_that_does_not_parse_is_refused_and_shown_masked(tmp_path, monkeypatch, url):
    # notify was exit 5; `config show` of such a file too
    db = tmp_path / "n.db"
    result = run("notify", "--dry-run", "--webhook", url, "--db", db)
    assert result.exit_code == 4 and result.stderr.count("\n") == 1, result.output
    assert "webhook: refusing the webhook URL (<a URL that does not parse>" in result.stderr
    config = tmp_path / "config.toml"
    config.write_text(f'[notify]\nwebhooks = ["{url}"]\n')
    config.chmod(0o600)
    monkeypatch.setenv("TRACKER_CONFIG", str(config))
    shown = run("config", "show")
    assert shown.exit_code == 0, shown.output
    assert "<a URL that does not parse>" in shown.stdout


@pytest.mark.parametrize(("url", "why"), [("http://hooks.example/x", "plain http to hooks.example"),
                                           ("https://[::1", "<a URL that does not parse>")])
def test_schedule_install_refuses_a_webhook_every_run_would_refuse(fake_crontab, url, why):
    # installed without a word: every scheduled `collect --notify` then failed (exit 4) at its webhook
    before = fake_crontab.read_text()
    result = run("schedule", "install", "--scheduler", "cron", "--", "--notify", "--webhook", url)
    assert result.exit_code == 4, result.output
    assert result.stderr.count("\n") == 1 and why in result.stderr
    assert fake_crontab.read_text() == before


# -- alembic_version edited: a revision no version wrote, an empty table -----------------------------


@pytest.mark.parametrize(("edit", "said"), [
    ("UPDATE alembic_version SET version_num = '11'", "names a schema revision no codex-quota-history wrote ('11'"),
    ("UPDATE alembic_version SET version_num = 'deadbeef'", "names a schema revision no codex-quota-history wrote"),
    ("DELETE FROM alembic_version", "an empty alembic_version table (its row was deleted?)"),
])
def test_an_edited_alembic_version_is_named_as_it_is_by_readers_and_writers(tmp_path, edit, said):
    # '11' passed as revision 11 <= 0011: report said "run `tracker db upgrade`", which then failed
    # ("Can't locate revision '11'"); 'deadbeef' was "written by a newer version"; an emptied table
    # was "no alembic_version table (was it dropped?)"
    db = tmp_path / "v.db"
    assert run("db", "upgrade", "--db", db).exit_code == 0
    with sqlite3.connect(db) as conn:
        conn.execute(edit)
    before = db.read_bytes()
    for args in (["report"], ["db", "upgrade"], ["prune", "--older-than", "1d"]):
        result = run(*args, "--db", db)
        assert result.exit_code == 4 and result.stderr.count("\n") == 1, (args, result.output)
        assert said in result.stderr, (args, result.stderr)
    assert db.read_bytes() == before


# -- two imports of the same session logs at once ----------------------------------------------------


def test_two_imports_of_the_same_logs_at_once_store_each_snapshot_once(tmp_path, monkeypatch):
    # Each import checked which snapshots were stored, then stored the rest in another transaction:
    # a second import between the two stored everything too (four cron runs at once: 8,998 snapshots
    # for 2,478 lines, every token counted 3.6 times in `tracker limits`). The second import here
    # runs exactly between the first's check and its insert.
    from sqlalchemy import event

    import tracker.storage.db as db_module
    from tracker.collect.sessions import import_sessions
    from tracker.storage.store import Store

    lines = counting_lines(20)
    home = tmp_path / ".codex"
    write_log(home / "sessions/2026/11/09/rollout-a.jsonl", lines)
    db = tmp_path / "i.db"
    url = f"sqlite:///{db}"
    first = Store.open(url)
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 200)  # the second waits this long for the first's lock
    second = Store.open(url)
    outcome = {}

    @event.listens_for(first.engine, "after_cursor_execute")
    def the_other_import_runs_now(conn, cursor, statement, *_):
        if "FROM series JOIN accounts" in statement and not outcome:
            try:
                outcome["second"] = import_sessions(second, [("me", home)], now=HIST_T0 + timedelta(days=1)).imported
            except Exception as exc:  # the database locked by the first: it stores nothing now, all on its next run
                outcome["second"] = type(exc).__name__

    imported = import_sessions(first, [("me", home)], now=HIST_T0 + timedelta(days=1)).imported
    first.close()
    second.close()
    assert outcome, "the second import never ran"
    again = run("import-sessions", "--codex-home", f"me={home}", "--db", db)
    assert again.exit_code == 0, again.output
    assert sqlite_rows(db, "SELECT count(*), sum(input_tokens) FROM snapshots") == [(20, 20_000)], (imported, outcome)


# -- the status line's state file replaced by a FIFO or a link to /dev/zero -----------------------------


@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_a_state_file_that_is_a_fifo_or_dev_zero_never_hangs_the_status_line(tmp_path, kind):
    # `tracker status` (a prompt's, a status bar's) opened it and read to the end: blocked for ever on
    # a FIFO with no writer, and read /dev/zero until the memory ran out
    import os
    import subprocess
    import sys

    db = tmp_path / "s.db"
    assert run("db", "upgrade", "--db", db).exit_code == 0
    state = tmp_path / "s.db.status.json"
    if kind == "fifo":
        os.mkfifo(state)
    else:
        state.symlink_to("/dev/zero")
    done = subprocess.run([sys.executable, "-m", "tracker", "status", "--db", str(db)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "TRACKER_HOME": str(tmp_path)})
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, (done.returncode, done.stderr)


def test_a_state_file_nested_200000_deep_falls_back_to_the_database(tmp_path):
    # the status fast path's json.loads raised RecursionError: a traceback instead of the status line
    import os
    import subprocess
    import sys

    db = tmp_path / "s.db"
    assert run("db", "upgrade", "--db", db).exit_code == 0
    (tmp_path / "s.db.status.json").write_text("[" * 200_000 + "]" * 200_000)
    done = subprocess.run([sys.executable, "-m", "tracker", "status", "--db", str(db)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "TRACKER_HOME": str(tmp_path)})
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, (done.returncode, done.stderr)


def test_a_usage_answer_nested_200000_deep_is_the_servers_fault_not_an_internal_error(httpserver, tmp_path):
    # json.loads raised RecursionError: stored and shown as "unparsed: internal error (RecursionError);
    # please report it", a bug of ours, for what is a broken answer of the server's
    write_auth(tmp_path / "acc" / "a.auth.json", "a")
    httpserver.expect_request(USAGE_PATH).respond_with_data("[" * 200_000 + "]" * 200_000,
                                                            content_type="application/json")
    db = tmp_path / "n.db"
    result = run("collect", "--account-dir", tmp_path / "acc", "--url", httpserver.url_for("/backend-api"),
                 "--db", db, "--retries", "0")
    assert result.exit_code == 3, result.output
    assert result.stderr.count("\n") == 1 and "internal error" not in result.stderr, result.stderr
    assert "a: unparsed: the server answered 200 with a body that is not JSON" in result.stderr
    assert sqlite_rows(db, "SELECT kind FROM failures") == [("unparsed",)]


def test_calibration_skips_a_probability_that_is_no_number():
    # a NaN or out-of-range probability (a damaged reading's forecast) raised ValueError in int()
    from tracker.insight.backtest import Step, calibration

    reset = HIST_T0 + timedelta(days=7)
    steps = [Step(reset - timedelta(hours=h), reset, 0.0, 0.0, 100.0, "profile", True, True, False, p)
             for h, p in ((1, float("nan")), (2, float("inf")), (3, -0.5), (4, 1.5), (5, 0.95))]
    [tenth] = calibration(steps)
    assert (tenth.low, tenth.steps, tenth.windows, tenth.ran_out) == (0.9, 1, 1, 1.0)
