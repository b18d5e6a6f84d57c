"""A database that cannot be written: read-only directory or file, or a full disk."""

from __future__ import annotations

import resource
import signal
import sqlite3

from tests.fixtures import base_env, make_read_only, tracker_process, undo_read_only


def collected_once(tmp_path, many_accounts, latency_server, accounts: int):
    """A database with one successful collection, its WAL folded into the main file."""
    db = tmp_path / "faults.db"
    env = base_env(db, many_accounts(accounts), latency_server(0))
    assert tracker_process(["collect", "--quiet"], env).wait(timeout=60) == 0
    with sqlite3.connect(db) as conn:
        conn.execute("pragma wal_checkpoint(TRUNCATE)")
    return db, env


def assert_one_line(err: str, expected: str) -> None:
    assert len(err.splitlines()) == 1 and expected in err, err
    assert "Traceback" not in err


def test_read_only_directory(tmp_path, many_accounts, latency_server):
    accounts, url = many_accounts(2), latency_server(0)
    locked = tmp_path / "locked"
    locked.mkdir()
    make_read_only(locked)
    try:
        proc = tracker_process(["collect", "--quiet"], base_env(locked / "t.db", accounts, url))
        _, err = proc.communicate(timeout=60)
    finally:
        undo_read_only(locked)
    assert proc.returncode == 4
    assert_one_line(err, "cannot create the database")


def test_read_only_database_file(tmp_path, many_accounts, latency_server):
    db, env = collected_once(tmp_path, many_accounts, latency_server, 2)
    make_read_only(db)
    try:
        proc = tracker_process(["collect", "--quiet"], env)
        _, err = proc.communicate(timeout=60)
        report = tracker_process(["report"], env)
        report_out, _ = report.communicate(timeout=60)
    finally:
        undo_read_only(db)
    assert proc.returncode == 4
    assert_one_line(err, "tracker: database error:")
    assert report.returncode == 0 and "acct00" in report_out  # reading still works
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from snapshots").fetchone() == (2,)


def test_disk_full(tmp_path, many_accounts, latency_server):
    db, env = collected_once(tmp_path, many_accounts, latency_server, 3)

    def tiny_file_limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    proc = tracker_process(["collect", "--quiet"], env, preexec_fn=tiny_file_limit)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 4, err
    assert_one_line(err, "tracker: database error:")
    proc = tracker_process(["collect", "--quiet"], env)  # space is back: the next run works
    assert proc.wait(timeout=60) == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        assert conn.execute("select count(*) from snapshots").fetchone() == (6,)
