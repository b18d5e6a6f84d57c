"""`tracker collect` killed with SIGKILL at random moments: nothing half-written, next run fine."""

from __future__ import annotations

import random
import signal
import sqlite3
import time

import pytest

from tests.fixtures import base_env, tracker_process

pytestmark = pytest.mark.slow


def test_twenty_kills_leave_a_consistent_database(tmp_path, many_accounts, latency_server):
    accounts = many_accounts(20)
    url = latency_server(max_delay=0.2, seed=7)
    db = tmp_path / "crash.db"
    env = base_env(db, accounts, url)
    rng = random.Random(20261129)
    # the schema first: creating it takes over a second on a busy machine, and twenty kills all
    # before it existed left no table to check ("no such table: snapshots", a loaded xdist run)
    created = tracker_process(["db", "upgrade"], env)
    assert created.communicate(timeout=120)[0] and created.returncode == 0
    for _ in range(20):
        proc = tracker_process(["collect", "--quiet", "--concurrency", "4"], env)
        time.sleep(rng.uniform(0.05, 1.5))  # a random moment: start-up, requests in flight, or writing
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        partial = conn.execute(
            "select count(*) from snapshots s where (select count(*) from windows w where w.snapshot_id = s.id) != 2"
        ).fetchone()
        assert partial == (0,)  # a snapshot has all its windows or is absent
        before = conn.execute("select count(*) from snapshots").fetchone()[0]
    proc = tracker_process(["collect", "--quiet"], env)
    _, err = proc.communicate(timeout=120)
    assert (proc.returncode, err) == (0, "")
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from snapshots").fetchone()[0] == before + 20
