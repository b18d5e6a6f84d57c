"""Nothing lost: an interrupted or limited import resumes, one bad answer costs only its account,
``-o`` never replaces what is not a regular file, and a foreign database is never modified."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import timedelta

import pytest

import tracker.collect.session_files
import tracker.collect.sessions
from tests.fixtures import LOG_T0 as T0
from tests.fixtures import (
    USAGE_PATH,
    one_line_error,
    run,
    session_line,
    sqlite_rows,
    usage_body,
    write_auth,
    write_log,
)
from tracker.collect.sessions import import_sessions
from tracker.storage.store import Store

# -- import-sessions: progress describes only what was stored -----------------------------------


@pytest.fixture
def long_log(tmp_path):
    home = tmp_path / ".codex"
    write_log(home / "sessions/2026/11/16/rollout-a.jsonl", [session_line(m, used=m / 10) for m in range(300)])
    return home


@pytest.mark.parametrize("interruption", [RuntimeError, KeyboardInterrupt])
def test_an_interrupted_import_resumes_where_the_stored_part_ends(tmp_path, long_log, monkeypatch, interruption):
    monkeypatch.setattr(tracker.collect.sessions, "BATCH", 50)
    monkeypatch.setattr(tracker.collect.session_files, "BLOCK_BYTES", 4096)
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    real_add, calls = store.add_new_snapshots, []

    def add_then_fail(account, records):
        calls.append(len(records))
        if len(calls) == 3:
            raise interruption("killed half way")
        return real_add(account, records)

    monkeypatch.setattr(store, "add_new_snapshots", add_then_fail)
    with pytest.raises(interruption):
        import_sessions(store, [("me", long_log)])
    stored = store.snapshot_count()
    assert 0 < stored < 300
    monkeypatch.setattr(store, "add_new_snapshots", real_add)
    again = import_sessions(store, [("me", long_log)])
    assert store.snapshot_count() == 300, again.as_dict()
    assert import_sessions(store, [("me", long_log)]).files_read == 0  # now it is read to the end
    store.close()


def test_a_limited_import_does_not_mark_the_older_part_as_read(tmp_path, long_log):
    db = tmp_path / "l.db"
    since = (T0 + timedelta(minutes=200)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert run("import-sessions", "--codex-home", long_log, "--db", db, "--since", since).exit_code == 0
    assert sqlite_rows(db, "select count(*) from snapshots") == [(100,)]
    assert run("import-sessions", "--codex-home", long_log, "--db", db).exit_code == 0
    assert sqlite_rows(db, "select count(*) from snapshots") == [(300,)]


# -- collect: every account is stored on its own --------------------------------------------------

HUGE = {
    "window 1e308": {"rate_limit": {"primary_window": {"used_percent": 5, "limit_window_seconds": 1e308}}},
    "window 3e9 s": {"rate_limit": {"primary_window": {"used_percent": 5, "limit_window_seconds": 3e9}}},
    "long plan_type": {**usage_body(), "plan_type": "p" * 300},
    "long limit_id": {"rate_limit": {"limit_id": "L" * 500, "primary_window": {"used_percent": 5}}},
    "long balance": {**usage_body(), "credits": {"balance": "9" * 400}},
    "long reached type": {**usage_body(), "rate_limit_reached_type": {"type": "t" * 300}},
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db(request, tmp_path):
    return tmp_path / "c.db" if request.param == "sqlite" else request.getfixturevalue("pg_db")


def test_one_unstorable_answer_never_drops_the_other_accounts(httpserver, tmp_path, any_db):
    accounts = tmp_path / "acc"
    names = [f"a{i}" for i in range(len(HUGE))]
    for name, body in zip(names, HUGE.values(), strict=True):
        write_auth(accounts / f"{name}.auth.json", name)
        httpserver.expect_request(USAGE_PATH, headers={"ChatGPT-Account-Id": f"acc-{name}"}).respond_with_json(body)
    long_name = "n" * 200  # a file name as long as the file system allows, and a long account id
    tokens = write_auth(accounts / f"{long_name}.auth.json", "long")
    tokens["account_id"] = "i" * 300
    write_auth(accounts / f"{long_name}.auth.json", "long", tokens=tokens)
    httpserver.expect_request(USAGE_PATH, headers={"ChatGPT-Account-Id": "i" * 300}).respond_with_json(usage_body())
    result = run("collect", "--account-dir", accounts, "--url", httpserver.url_for(USAGE_PATH), "--db", any_db,
                 "--json", "--retries", "0")
    statuses = {r["account"]: r["status"] for r in json.loads(result.stdout)}
    assert statuses == {**dict.fromkeys(names, "ok"), long_name: "ok"}, result.stderr
    assert result.exit_code == 0
    history = run("export", "--db", any_db, "--format", "json")
    assert {row["account"] for row in json.loads(history.stdout)} == {*names, long_name}


def test_a_refused_snapshot_becomes_a_failure_row_and_the_rest_is_kept(httpserver, tmp_path, monkeypatch):
    from tracker.records import UnstorableValue

    accounts = tmp_path / "acc"
    for name in ("good", "bad"):
        write_auth(accounts / f"{name}.auth.json", name)
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    real = Store.add_snapshots

    def refuse_bad(self, records, infos=None):
        if records[0].account == "bad":
            raise UnstorableValue("a value the database cannot hold (DataError: value too long)")
        return real(self, records, infos)

    monkeypatch.setattr(Store, "add_snapshots", refuse_bad)
    db = tmp_path / "r.db"
    result = run("collect", "--account-dir", accounts, "--url", httpserver.url_for(USAGE_PATH), "--db", db, "-q")
    assert result.exit_code == 3 and "bad: unparsed: response not storable" in result.stderr
    assert sqlite_rows(db, "select count(*) from snapshots") == [(1,)]
    assert sqlite_rows(db, "select kind from failures") == [("unparsed",)]


# -- -o: only regular files are replaced ----------------------------------------------------------


@pytest.fixture
def reportable_db(tmp_path):
    from tracker.records import SnapshotRecord, Usage, Window

    db = tmp_path / "o.db"
    store = Store.open(f"sqlite:///{db}")
    store.add_snapshots([SnapshotRecord("w", T0, "api", Usage([Window("codex", "five_hour", 18000, 5.0, None)]))])
    store.close()
    return db


def test_output_through_a_symlink_keeps_the_link(tmp_path, reportable_db):
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert run("export", "--db", reportable_db, "-o", link).exit_code == 0
    assert link.is_symlink() and target.read_text().startswith("snapshot_id,")


def test_output_into_a_fifo_is_streamed_not_replaced(tmp_path, reportable_db):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run("export", "--db", reportable_db, "-o", fifo)
    reader.join(timeout=30)
    assert result.exit_code == 0 and received and received[0].startswith(b"snapshot_id,")
    assert fifo.is_fifo()


def test_output_into_a_fifo_nobody_reads_is_refused_not_blocking(tmp_path, reportable_db):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    one_line_error(run("export", "--db", reportable_db, "-o", fifo), 4, "nothing reads it")
    assert fifo.is_fifo()


@pytest.mark.parametrize("where,code,text", [
    ("missing/dir/out.csv", 2, "does not exist"),
    (".", 2, "is a directory"),
])
def test_output_to_a_path_that_cannot_be_a_file_is_one_line(tmp_path, reportable_db, where, code, text):
    one_line_error(run("export", "--db", reportable_db, "-o", tmp_path / where), code, text)
    one_line_error(run("report", "--db", reportable_db, "--format", "prometheus", "-o", tmp_path / where), code, text)


# -- a database that is not ours is never modified --------------------------------------------------


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


READERS = [["report"], ["history"], ["export"], ["check"], ["pick"], ["chart", "-o", "c.png"],
           ["report", "--format", "prometheus"]]


@pytest.fixture
def foreign_db(tmp_path):
    import sqlite3

    db = tmp_path / "notes.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table notes (id integer primary key, body text)")
        conn.execute("insert into notes (body) values ('mine')")
    conn.close()
    return db


@pytest.mark.parametrize("args", [*READERS, ["collect"], ["import-sessions"], ["prune", "--older-than", "1d"]],
                         ids=lambda a: " ".join(a))
def test_a_foreign_sqlite_file_is_never_modified(tmp_path, foreign_db, args, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".codex").mkdir()
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / ".codex"))
    write_auth(tmp_path / ".codex" / "auth.json", "foreign")
    before = digest(foreign_db)
    result = run(*args, "--db", foreign_db)
    assert result.exit_code == 4 and "not a tracker database" in result.output, result.output
    assert digest(foreign_db) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("notes")) == ["notes.db"]


@pytest.mark.parametrize("args", READERS, ids=lambda a: " ".join(a))
def test_readers_never_create_a_database(tmp_path, args, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(*args, "--db", tmp_path / "nodir" / "x.db")
    assert result.exit_code == (20 if args[0] == "check" else 1), result.output
    assert "no database at" in result.output
    assert not (tmp_path / "nodir").exists()
