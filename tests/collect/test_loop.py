"""collect --every: slots, signals, and a real process stopped by SIGTERM/SIGINT."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures import USAGE_PATH, usage_body, write_auth
from tracker.collect.loop import StopFlag, next_slot, run_every


def test_next_slot_is_clock_aligned():
    now = datetime(2026, 11, 20, 10, 3, 17, tzinfo=UTC)
    assert next_slot(now, timedelta(minutes=5)) == datetime(2026, 11, 20, 10, 5, tzinfo=UTC)
    assert next_slot(datetime(2026, 11, 20, 10, 5, tzinfo=UTC), timedelta(minutes=5)) == datetime(2026, 11, 20, 10, 10, tzinfo=UTC)


class FakeStop(StopFlag):
    """Records the waits instead of sleeping; stops after a number of runs."""

    def __init__(self, stop_after_waits: int):
        super().__init__()
        self.waits: list[float] = []
        self.limit = stop_after_waits

    def wait(self, seconds):
        self.waits.append(seconds)
        if len(self.waits) >= self.limit:
            self.event.set()
        return self.event.is_set()


def test_run_every_sleeps_until_each_slot_with_bounded_jitter():
    clock_values = iter([datetime(2026, 11, 20, 10, 3, 0, tzinfo=UTC), datetime(2026, 11, 20, 10, 5, 30, tzinfo=UTC)])
    runs = []
    stop = FakeStop(stop_after_waits=2)
    code = run_every(timedelta(minutes=5), lambda s: runs.append(1) or 0, stop, clock=lambda: next(clock_values))
    assert code == 0 and len(runs) == 2
    assert 120 <= stop.waits[0] <= 130 and 270 <= stop.waits[1] <= 280


def test_a_signal_during_a_collection_stops_before_the_next():
    stop = StopFlag()
    runs = []

    def once(s):
        runs.append(1)
        s.event.set()  # as the handler would on SIGTERM
        return 0

    assert run_every(timedelta(seconds=1), once, stop) == 0
    assert runs == [1]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_foreground_loop_stops_cleanly_on_a_signal(httpserver, usage_url, tmp_path, sig):
    accounts = tmp_path / "accounts"
    write_auth(accounts / "a.auth.json", "a")
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    db = tmp_path / "loop.db"
    env = {**os.environ, "TRACKER_DB": str(db), "TRACKER_ACCOUNT_DIR": str(accounts), "TRACKER_USAGE_URL": usage_url}
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "collect", "--every", "1h", "--quiet"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait for the first collection to be stored
            if db.exists():
                try:
                    with sqlite3.connect(db) as conn:
                        if conn.execute("select count(*) from snapshots").fetchone()[0]:
                            break
                except sqlite3.OperationalError:
                    pass
            time.sleep(0.05)
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0
        assert proc.stderr.read() == ""
    finally:
        proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from snapshots").fetchone() == (1,)
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
