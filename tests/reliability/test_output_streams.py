"""Output to a reader that went away (``| head``) or to a full device: no traceback, no "bug"."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest

from tests.fixtures import T0, store_url
from tracker.records import SnapshotRecord, Usage, Window
from tracker.storage.store import Store


@pytest.fixture
def big_db(tmp_path):
    db = tmp_path / "big.db"
    with Store.open(store_url(db)) as store:
        store.add_snapshots([SnapshotRecord(name, T0 + timedelta(minutes=i), "api", Usage([
            Window("codex", "five_hour", 18000, float(i % 100), None),
            Window("codex", "weekly", 604800, 50.0, None)])) for i in range(3000) for name in ("a", "b")])
    return db


def tracker(*args: str) -> list[str]:
    return [sys.executable, "-m", "tracker", *args]


@pytest.mark.slow
def test_a_reader_that_goes_away_ends_it_quietly(big_db):
    proc = subprocess.Popen(tracker("history", "--db", str(big_db), "--all", "--format", "csv"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().startswith(b"snapshot_id,")
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in err and "internal error" not in err and "Exception ignored" not in err


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_a_full_stdout_is_one_line_and_exit_4(big_db):
    with open("/dev/full", "w") as full:
        done = subprocess.run(tracker("history", "--db", str(big_db), "--all"), stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    assert done.returncode == 4
    assert done.stderr.strip() == "tracker: cannot write the output: No space left on device"
