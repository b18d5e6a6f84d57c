"""The usual weeks ``collect`` keeps (table usual_weeks) under faults: two collectors keeping the
same series at once on PostgreSQL, and ``collect`` killed while it writes them. A kept week is a
memo: it may be missing, never wrong, and its write never costs a stored snapshot."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text

from tests.fixtures import (
    CREDITS_PATH,
    USAGE_PATH,
    base_env,
    run,
    sqlite_rows,
    store_url,
    usage_body,
    write_auth,
)
from tracker.cli.demo import fill_demo
from tracker.points import KeptUsualWeek
from tracker.storage.store import Store

END = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


@pytest.mark.postgres
def test_two_writers_keeping_the_same_week_at_once_both_succeed(pg_db):
    """The second writer's row waits for the first's and replaces it (a delete then insert failed
    with a duplicate key: collect raised after its snapshots were stored)."""
    with Store.open(store_url(pg_db)) as store:
        fill_demo(store, accounts=1, days=2, interval=timedelta(minutes=30), seed=1, end=END, tz=UTC)
        key = next(k for k in store.series_keys() if k.kind == "weekly")
        store.engine.dispose()
    first = KeptUsualWeek(END, "a" * 32, (1.0,) * 168, (0.5,))
    second = KeptUsualWeek(END, "b" * 32, (2.0,) * 168, ())
    inserted, errors = threading.Event(), []
    with Store.open(store_url(pg_db)) as one, Store.open(store_url(pg_db)) as two:

        @event.listens_for(one.engine, "after_execute")
        def hold_until_the_other_waits(conn, clause, *_):
            if "INSERT INTO usual_weeks" not in str(clause):
                return
            inserted.set()  # first's row written, not committed: let the second writer run into it
            with two.engine.connect() as watch:  # until the second writer waits on first's lock
                for _ in range(3000):
                    waiting = watch.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                                 "current_database() AND wait_event_type = 'Lock'")).scalar()
                    watch.rollback()  # a transaction keeps its view of pg_stat_activity: look again
                    if waiting or threading.Event().wait(0.01):
                        break

        def keep_first():
            try:
                one.keep_usual_weeks({key: first}, "UTC", "m")
            except Exception as exc:  # noqa: BLE001 - the test reports it
                errors.append(exc)

        writer = threading.Thread(target=keep_first)
        writer.start()
        assert inserted.wait(30)
        two.keep_usual_weeks({key: second}, "UTC", "m")  # raised IntegrityError before
        writer.join(30)
        assert errors == []
        assert two.kept_usual_weeks([key], "UTC", "m") == {key: second}


KILL_AT_THE_WRITE = """
import os, signal, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine

@event.listens_for(Engine, "after_cursor_execute")
def die(conn, cursor, statement, *rest):
    if statement.lstrip().upper().startswith("INSERT INTO USUAL_WEEKS"):
        os.kill(os.getpid(), signal.SIGKILL)  # the row written, its transaction not committed

from tracker.cli.root import cli
sys.argv[0] = "tracker"
cli()
"""


def test_collect_killed_while_keeping_the_usual_week_loses_nothing_and_serves_no_stale_week(tmp_path, httpserver):
    """History rewritten under a kept week (as an import or a prune does), then ``collect`` killed
    with SIGKILL inside the transaction that keeps the new one: the snapshot it stored stays, the
    stale row stays, and the report is the one learned afresh; the next run keeps the new week."""
    db, accounts = tmp_path / "k.db", tmp_path / "accounts"
    with Store.open(store_url(db)) as store:
        fill_demo(store, accounts=1, days=20, interval=timedelta(minutes=30), seed=3, end=END, tz=UTC)
        name = store.series_keys()[0].account
    write_auth(accounts / f"{name}.auth.json", name)
    weekly_reset = sqlite_rows(db, "SELECT max(reset_at) FROM windows JOIN series ON series.id = series_id "
                                   "WHERE kind = 'weekly'")[0][0]
    body = usage_body(10, 50, five_reset=int(END.timestamp()) + 7200, weekly_reset=weekly_reset)
    httpserver.expect_request(USAGE_PATH).respond_with_json(body)
    httpserver.expect_request(CREDITS_PATH).respond_with_json({"available_count": 0, "credits": []})
    # the history under the kept week changes: its fingerprint no longer matches
    sqlite_rows(db, "UPDATE windows SET used_percent = used_percent / 2")
    stale = sqlite_rows(db, "SELECT series_id, readings FROM usual_weeks WHERE rates IS NOT NULL")
    assert stale
    snapshots = sqlite_rows(db, "SELECT count(*) FROM snapshots")[0][0]
    at = (END + timedelta(minutes=5)).isoformat()

    def report(path):
        result = run("report", "--json", "--db", path, "--tz", "UTC", "--at", at)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["accounts"]

    def learned_afresh():
        fresh = tmp_path / "fresh.db"
        fresh.unlink(missing_ok=True)
        with sqlite3.connect(db) as source, sqlite3.connect(fresh) as copy:
            source.backup(copy)  # the database and its WAL
        sqlite_rows(fresh, "DELETE FROM usual_weeks")
        return report(fresh)

    assert report(db) == learned_afresh()  # a reader alone: the stale row is not served
    env = base_env(db, accounts, httpserver.url_for(USAGE_PATH))
    killed = subprocess.run([sys.executable, "-c", KILL_AT_THE_WRITE, "collect", "--quiet", "--tz", "UTC", "--at", at],
                            env=env, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert sqlite_rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert sqlite_rows(db, "SELECT count(*) FROM snapshots")[0][0] == snapshots + 1  # stored before the kill
    assert sqlite_rows(db, "SELECT series_id, readings FROM usual_weeks WHERE rates IS NOT NULL") == stale

    assert any(w["forecast_method"] == "profile" for a in learned_afresh() for w in a["windows"])
    assert report(db) == learned_afresh()  # nor after the killed write
    again = subprocess.run([sys.executable, "-m", "tracker", "collect", "--quiet", "--tz", "UTC", "--at", at],
                           env=env, capture_output=True, text=True, timeout=120)
    assert (again.returncode, again.stderr) == (0, "")
    kept = sqlite_rows(db, "SELECT series_id, readings FROM usual_weeks WHERE rates IS NOT NULL")
    assert len(kept) == len(stale) and set(kept) != set(stale)
    assert report(db) == learned_afresh()


@pytest.mark.parametrize("quiet", [False, True])
def test_a_usual_week_that_cannot_be_kept_is_a_warning_not_a_failed_collection(tmp_path, httpserver, monkeypatch,
                                                                                quiet):
    """The kept week is a memo: when its write fails (a full disk, the database busy past its
    timeout; here a trigger refusing it), the snapshots are stored, the results printed, the
    exit code that of the collection, and one warning line says it (none with --quiet)."""
    db, accounts = tmp_path / "w.db", tmp_path / "accounts"
    with Store.open(store_url(db)) as store:
        fill_demo(store, accounts=1, days=20, interval=timedelta(minutes=30), seed=5, end=END, tz=UTC)
        name = store.series_keys()[0].account
    sqlite_rows(db, "DELETE FROM usual_weeks")
    for verb in ("INSERT", "UPDATE"):
        sqlite_rows(db, f"CREATE TRIGGER no_{verb.lower()} BEFORE {verb} ON usual_weeks "
                        "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    write_auth(accounts / f"{name}.auth.json", name)
    weekly_reset = sqlite_rows(db, "SELECT max(reset_at) FROM windows JOIN series ON series.id = series_id "
                                   "WHERE kind = 'weekly'")[0][0]
    httpserver.expect_request(USAGE_PATH).respond_with_json(
        usage_body(10, 50, five_reset=int(END.timestamp()) + 7200, weekly_reset=weekly_reset))
    httpserver.expect_request(CREDITS_PATH).respond_with_json({"available_count": 0, "credits": []})
    snapshots = sqlite_rows(db, "SELECT count(*) FROM snapshots")[0][0]
    for key, value in base_env(db, accounts, httpserver.url_for(USAGE_PATH)).items():
        monkeypatch.setenv(key, value)
    result = run("collect", *(["--quiet"] if quiet else []), "--tz", "UTC",
                 "--at", (END + timedelta(minutes=5)).isoformat())
    assert result.exit_code == 0, result.output
    assert sqlite_rows(db, "SELECT count(*) FROM snapshots")[0][0] == snapshots + 1
    assert sqlite_rows(db, "SELECT count(*) FROM usual_weeks")[0][0] == 0
    if quiet:
        assert result.stderr == "" and result.stdout == ""
    else:
        assert result.stderr == ("tracker: warning: usual weeks not kept (reports learn them again): "
                                 "database or disk is full\n")
        assert name in result.stdout  # the results were printed


@pytest.mark.parametrize("damage", [
    "rates = CAST(zeroblob(7) AS BLOB)",  # not a whole number of floats
    "rates = substr(rates, 1, 800)",  # 100 hours, not 168
    "rates = CAST(x'000000000000f87f' || substr(rates, 9) AS BLOB)",  # a NaN first hour
    "rates = 'text, not numbers'",  # another type in the column
    "ratios = CAST(x'000000000000f07f000000000000f07f' AS BLOB)",  # two infinite ratios
    "rates = CAST(x'000000000000f0bf' || substr(rates, 9) AS BLOB)",  # a negative rate
])
def test_a_damaged_kept_week_is_learned_again_not_served(tmp_path, damage):
    """A kept row edited by hand or damaged on disk, its fingerprints intact: the report is the
    one learned from the readings (was a struct error, an IndexError or NaN figures)."""
    db = tmp_path / "d.db"
    with Store.open(store_url(db)) as store:
        fill_demo(store, accounts=1, days=20, interval=timedelta(minutes=30), seed=7, end=END, tz=UTC)
    assert sqlite_rows(db, "SELECT count(*) FROM usual_weeks WHERE rates IS NOT NULL")[0][0]
    at = (END - timedelta(minutes=5)).isoformat()

    def report():
        result = run("report", "--json", "--db", db, "--tz", "UTC", "--at", at)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["accounts"]

    kept = report()
    sqlite_rows(db, f"UPDATE usual_weeks SET {damage} WHERE rates IS NOT NULL")
    assert report() == kept
    assert any(w["forecast_method"] == "profile" for a in kept for w in a["windows"])
