"""A database that cannot be written: read-only directory or file, or a full disk."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.reliability.conftest import base_env, tracker_process


def make_read_only(path: Path) -> None:
    """chmod is not enough for root: use the immutable flag there (skip if it is not allowed)."""
    if os.geteuid() != 0:
        path.chmod(0o555 if path.is_dir() else 0o444)
        return
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
        pytest.skip("running as root without chattr +i: cannot make a path read-only")


def undo_read_only(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    path.chmod(0o755 if path.is_dir() else 0o644)


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
    assert len(err.splitlines()) == 1 and "cannot create the database" in err
    assert "Traceback" not in err


def test_read_only_database_file(tmp_path, many_accounts, latency_server):
    accounts, url = many_accounts(2), latency_server(0)
    db = tmp_path / "ro.db"
    env = base_env(db, accounts, url)
    assert tracker_process(["collect", "--quiet"], env).wait(timeout=60) == 0
    with sqlite3.connect(db) as conn:
        conn.execute("pragma wal_checkpoint(TRUNCATE)")
    make_read_only(db)
    try:
        proc = tracker_process(["collect", "--quiet"], env)
        _, err = proc.communicate(timeout=60)
        report = tracker_process(["report"], env)
        report_out, _ = report.communicate(timeout=60)
    finally:
        undo_read_only(db)
    assert proc.returncode == 4
    assert len(err.splitlines()) == 1 and err.startswith("tracker: database error:")
    assert "Traceback" not in err
    assert report.returncode == 0 and "acct00" in report_out  # reading still works
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from snapshots").fetchone() == (2,)


def test_disk_full(tmp_path, many_accounts, latency_server):
    accounts, url = many_accounts(3), latency_server(0)
    db = tmp_path / "full.db"
    env = base_env(db, accounts, url)
    assert tracker_process(["collect", "--quiet"], env).wait(timeout=60) == 0
    with sqlite3.connect(db) as conn:
        conn.execute("pragma wal_checkpoint(TRUNCATE)")

    def tiny_file_limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    proc = tracker_process(["collect", "--quiet"], env, preexec_fn=tiny_file_limit)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 4, err
    assert len(err.splitlines()) == 1 and "database error" in err and "Traceback" not in err
    proc = tracker_process(["collect", "--quiet"], env)  # space is back: the next run works
    assert proc.wait(timeout=60) == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        assert conn.execute("select count(*) from snapshots").fetchone() == (6,)
