"""Eight collectors at once on one SQLite file, 50 accounts, random latency."""

from __future__ import annotations

import sqlite3

import pytest

from tests.fixtures import base_env, tracker_process

pytestmark = pytest.mark.slow


def test_eight_processes_fifty_accounts_store_everything_exactly_once(tmp_path, many_accounts, latency_server):
    accounts = many_accounts(50)
    url = latency_server(max_delay=0.15)
    db = tmp_path / "contended.db"
    procs = [tracker_process(["collect", "--quiet"], base_env(db, accounts, url)) for _ in range(8)]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        outcomes.append((proc.returncode, err))
    assert outcomes == [(0, "")] * 8, [o for o in outcomes if o != (0, "")]
    with sqlite3.connect(db) as conn:
        per_account = conn.execute("select account_id, count(*) from snapshots group by account_id").fetchall()
        assert len(per_account) == 50 and {n for _, n in per_account} == {8}  # once per run, per account
        assert conn.execute("select count(*) from windows").fetchone() == (800,)
        assert conn.execute("select count(*) from failures").fetchone() == (0,)
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
