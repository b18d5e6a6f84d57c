"""``tracker prune``: delete or thin old snapshots in small batches.

Thinning keeps, per account, the last snapshot of every bucket (one per hour by default) and,
per window, the last snapshot before every reset, so each past window's peak survives. Each
batch is its own short transaction: a concurrent ``collect`` waits a few milliseconds at most.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.analysis import split_windows
from tracker.points import Point

BATCH = 500


@dataclass
class PruneSummary:
    cutoff: datetime
    accounts: int = 0
    snapshots_examined: int = 0
    snapshots_removed: int = 0
    windows_removed: int = 0
    failures_removed: int = 0
    dry_run: bool = False

    @property
    def snapshots_kept(self) -> int:
        return self.snapshots_examined - self.snapshots_removed


def snapshots_to_keep(
    snapshots: Sequence[tuple[int, datetime]],
    series_points: dict[tuple, list[tuple[int, Point]]],
    bucket: timedelta | None,
) -> set[int]:
    """Ids to keep among old snapshots: none without a bucket (delete all), else the last of each
    bucket plus the last snapshot of every window (its peak before the reset)."""
    if bucket is None:
        return set()
    keep: dict[int, int] = {}
    size = bucket.total_seconds()
    for snapshot_id, at in snapshots:
        keep[int(at.timestamp() // size)] = snapshot_id  # ordered by time: the last one wins
    kept = set(keep.values())
    for (_limit, _kind, seconds), rows in series_points.items():
        by_time = {point.at: snapshot_id for snapshot_id, point in rows}
        for window in split_windows([point for _, point in rows], seconds):
            kept.add(by_time[window[-1].at])
    return kept


def prune(store, cutoff: datetime, downsample: timedelta | None, dry_run: bool = False,  # noqa: ANN001
          batch: int = BATCH) -> PruneSummary:
    summary = PruneSummary(cutoff, dry_run=dry_run)
    for account_id in store.account_ids().values():
        snapshots = store.old_snapshots(account_id, cutoff)
        if not snapshots:
            continue
        summary.accounts += 1
        summary.snapshots_examined += len(snapshots)
        points = store.old_window_points(account_id, cutoff) if downsample or dry_run else {}
        keep = snapshots_to_keep(snapshots, points, downsample)
        doomed = [sid for sid, _ in snapshots if sid not in keep]
        summary.snapshots_removed += len(doomed)
        if dry_run:
            summary.windows_removed += sum(1 for rows in points.values() for sid, _ in rows if sid not in keep)
            continue
        for start in range(0, len(doomed), batch):
            summary.windows_removed += store.delete_snapshots(account_id, doomed[start:start + batch])
    summary.failures_removed = store.delete_failures_before(cutoff, dry_run=dry_run)
    return summary
