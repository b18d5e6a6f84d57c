"""prune: deletion, thinning that keeps every window's peak, dry runs, no orphans."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from tracker.cli.root import cli
from tracker.insight.retention import snapshots_to_keep
from tracker.insight.windows import split_windows
from tracker.points import Point
from tracker.records import SnapshotRecord, Usage, Window
from tracker.storage.store import Store

START = datetime(2026, 10, 1, tzinfo=UTC)
STEP = timedelta(minutes=5)


def fill(db, days=3, recent=True):
    """Five-hour windows that fill for 4 hours and reset after 5, every 5 minutes."""
    store = Store.open(f"sqlite:///{db}")
    records = []
    for i in range(int(days * 288)):
        at = START + i * STEP
        window_start = START + timedelta(hours=5) * ((at - START) // timedelta(hours=5))
        used = min(100.0, ((at - window_start) / timedelta(hours=4)) * 90)
        reset = window_start + timedelta(hours=5)
        records.append(SnapshotRecord("w", at, "api", Usage([Window("codex", "five_hour", 18000, round(used, 1), reset)])))
    if recent:
        records.append(SnapshotRecord("w", datetime.now(UTC), "api", Usage([Window("codex", "five_hour", 18000, 1.0, None)])))
    store.add_snapshots(records)
    return store


def peaks(store):
    points = [Point(r.collected_at, r.used_percent, r.reset_at) for r in store.history(newest_first=False)
              if r.collected_at < START + timedelta(days=30)]
    return [w[-1] for w in split_windows(points, 18000)]


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_downsample_keeps_one_per_hour_and_every_peak(tmp_path):
    db = tmp_path / "p.db"
    store = fill(db)
    before_peaks = peaks(store)
    assert run("prune", "--older-than", "1d", "--downsample", "1h", "--db", str(db), "--dry-run").exit_code == 0
    assert store.snapshot_count() == 3 * 288 + 1  # a dry run changes nothing
    result = run("prune", "--older-than", "1d", "--downsample", "1h", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("removed ")
    remaining = store.snapshot_count()
    assert 72 < remaining <= 72 + 5 * len(before_peaks) + 1  # the hours, and a few readings per window
    assert peaks(store) == before_peaks  # every past window's peak survives
    with sqlite3.connect(db) as conn:
        orphans = conn.execute("select count(*) from windows w left join snapshots s on s.id = w.snapshot_id "
                               "where s.id is null").fetchone()
        assert orphans == (0,)
        assert conn.execute("select count(*) from windows").fetchone() == (remaining,)
    store.close()


def test_delete_without_downsample_keeps_recent_rows(tmp_path):
    db = tmp_path / "d.db"
    store = fill(db, days=1)
    result = run("prune", "--older-than", "1d", "--db", str(db))
    assert "removed 288 of 288 snapshots" in result.stdout
    assert store.snapshot_count() == 1
    store.close()


def test_keep_rule_directly():
    at = lambda m: START + timedelta(minutes=m)  # noqa: E731
    minutes = [5 * i for i in range(12)] + [61, 90]
    snaps = [(m, at(m)) for m in minutes]
    rows = [(m, Point(at(m), 10 + m, at(60))) for m in minutes[:12]] + [
        (61, Point(at(61), 1, at(360))), (90, Point(at(90), 5, at(360)))]
    points = {("codex", "five_hour", 18000): rows}
    # the last of each hour; the first window's first three readings (its reset time), its peak and
    # last before the reset; the second window's first and last
    assert snapshots_to_keep(snaps, points, timedelta(hours=1)) == {0, 5, 10, 55, 61, 90}
    assert snapshots_to_keep(snaps, points, None) == set()
    kept = [row for row in rows if row[0] in {0, 5, 10, 55, 61, 90}]
    again = snapshots_to_keep([(m, at(m)) for m, _ in kept], {("codex", "five_hour", 18000): kept}, timedelta(hours=1))
    assert again == {0, 5, 10, 55, 61, 90}  # idempotent


@pytest.mark.slow
def test_prune_does_not_block_a_concurrent_collect(tmp_path):
    """Batches are short transactions: a writer gets in between them."""
    import threading

    db = tmp_path / "c.db"
    store = fill(db, days=5)
    other = Store.open(f"sqlite:///{db}")
    waits = []
    done = threading.Event()

    def writer():
        import time

        while not done.is_set():
            t = time.perf_counter()
            other.add_snapshots([SnapshotRecord("x", datetime.now(UTC), "api", Usage([]))])
            waits.append(time.perf_counter() - t)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        from tracker.insight.retention import prune

        prune(store, datetime.now(UTC) - timedelta(days=1), timedelta(hours=1), batch=50)
    finally:
        done.set()
        thread.join()
    assert waits and max(waits) < 2.0
    store.close()
    other.close()
