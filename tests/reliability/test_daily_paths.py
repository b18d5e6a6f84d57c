"""What runs every day stays cheap as the history grows, and the wheel upgrades with what it ships."""

from __future__ import annotations

import random
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tracker.insight.retention import prune, snapshots_to_keep
from tracker.records import SnapshotRecord, Usage, Window
from tracker.storage.store import Store


def test_deleting_failures_by_time_uses_an_index(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'i.db'}")
    with store.engine.connect() as conn:
        plan = " ".join(row[-1] for row in conn.execute(text("EXPLAIN QUERY PLAN DELETE FROM failures WHERE at < 5")))
    store.close()
    assert "USING COVERING INDEX ix_failures_at" in plan or "USING INDEX ix_failures_at" in plan, plan


def random_history(store, days: int, seed: int) -> None:
    """Windows that fill at random rates and reset at random moments, with gaps."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    at, used, reset, records = start, 0.0, start + timedelta(hours=5), []
    while at < start + timedelta(days=days):
        at += timedelta(minutes=rng.choice([5, 5, 5, 17, 240]))
        if at >= reset or rng.random() < 0.01:
            used, reset = 0.0, at + timedelta(hours=5)
        used = min(100.0, used + rng.random() * 3)
        records.append(SnapshotRecord("w", at, "api", Usage([Window("codex", "five_hour", 18000, round(used, 1), reset)])))
    store.add_snapshots(records)


@pytest.mark.parametrize("bucket", [None, timedelta(hours=1), timedelta(minutes=25), timedelta(days=10)])
def test_prune_in_slices_keeps_exactly_what_the_whole_history_would(tmp_path, bucket, monkeypatch):
    store = Store.open(f"sqlite:///{tmp_path / 'p.db'}")
    random_history(store, days=70, seed=7)
    cutoff = datetime(2025, 3, 1, tzinfo=UTC)
    account = store.account_ids()["w"]
    everything = store.old_snapshots(account, cutoff)
    expected = snapshots_to_keep(everything, store.old_window_points(account, cutoff), bucket)
    loaded = []
    real = store.old_snapshots
    monkeypatch.setattr(store, "old_snapshots", lambda *a, **k: loaded.append(real(*a, **k)) or loaded[-1])
    summary = prune(store, cutoff, bucket)
    monkeypatch.undo()
    kept = {sid for sid, _ in store.old_snapshots(account, cutoff)}
    assert kept == expected and summary.snapshots_kept == len(expected)
    assert max(len(rows) for rows in loaded) < len(everything) / 3  # never the whole old history at once
    store.close()


@pytest.mark.slow
def test_the_wheel_upgrades_with_the_migrations_it_ships(tmp_path):
    """Build the wheel, run from it (not the checkout): its packaged migrations reach SCHEMA_HEAD."""
    import importlib.util
    from pathlib import Path

    import tracker
    from tracker.storage.db import SCHEMA_HEAD

    if importlib.util.find_spec("hatchling") is None:
        pytest.skip("hatchling is not installed (pip install -e '.[dev]')")
    root = Path(tracker.__file__).resolve().parent.parent
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "dist"), str(root)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    wheel = next((tmp_path / "dist").glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        shipped = sorted(n.rsplit("/", 1)[1] for n in archive.namelist()
                         if n.startswith("tracker/_migrations/versions/") and n.endswith(".py"))
        archive.extractall(tmp_path / "site")
    in_checkout = sorted(p.name for p in (root / "migrations" / "versions").glob("*.py"))
    assert shipped == in_checkout
    db, site = tmp_path / "w.db", tmp_path / "site"
    code = (f"import sys; sys.path.insert(0, {str(site)!r}); from tracker.storage.db import migrations_dir, current_revision; "
            f"from tracker.storage.store import Store; s = Store.open('sqlite:///{db}'); "
            "print(migrations_dir()); print(current_revision(s.engine))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.splitlines() == [str(site / "tracker" / "_migrations"), SCHEMA_HEAD], out.stderr
