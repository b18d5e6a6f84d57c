"""``tracker prune``: delete or thin old snapshots in small batches.

Thinning keeps, per account, the last snapshot of every bucket (one per hour by default) and,
per window, the last snapshot before every reset, so each past window's peak survives. Each
batch is its own short transaction: a concurrent ``collect`` waits a few milliseconds at most.

The old history is walked in slices of about a week, aligned to the buckets, so memory follows
a slice, not the years being pruned; the first point after a slice tells whether the slice's
last point ended its window, so the result is the same as over the whole history at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tracker.insight.windows import split_windows
from tracker.points import Point

BATCH = 500
SLICE = timedelta(days=7)


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


def slices(start: datetime, cutoff: datetime, bucket: timedelta | None) -> Iterator[tuple[datetime, datetime]]:
    """[since, until) ranges covering [start, cutoff), about SLICE long, on bucket boundaries."""
    size = bucket.total_seconds() if bucket else SLICE.total_seconds()
    step = size * max(1, math.ceil(SLICE.total_seconds() / size))
    edge = math.floor(start.timestamp() / step) * step
    while True:
        since = datetime.fromtimestamp(edge, tz=UTC)
        if since >= cutoff:
            return
        edge += step
        yield since, min(cutoff, datetime.fromtimestamp(edge, tz=UTC))


def prune(store, cutoff: datetime, downsample: timedelta | None, dry_run: bool = False,
          batch: int = BATCH) -> PruneSummary:
    summary = PruneSummary(cutoff, dry_run=dry_run)
    for account_id in store.account_ids().values():
        oldest = store.oldest_snapshot_at(account_id)
        if oldest is None or oldest >= cutoff:
            continue
        summary.accounts += 1
        for since, until in slices(oldest, cutoff, downsample):
            _prune_slice(store, account_id, since, until, cutoff, downsample, summary, batch)
    summary.failures_removed = store.delete_failures_before(cutoff, dry_run=summary.dry_run)
    return summary


def _prune_slice(store, account_id: int, since: datetime, until: datetime, cutoff: datetime,
                 downsample: timedelta | None, summary: PruneSummary, batch: int) -> None:
    snapshots = store.old_snapshots(account_id, until, since)
    if not snapshots:
        return
    summary.snapshots_examined += len(snapshots)
    points = store.old_window_points(account_id, until, since, cutoff) if downsample or summary.dry_run else {}
    keep = snapshots_to_keep(snapshots, points, downsample)
    doomed = [sid for sid, _ in snapshots if sid not in keep]
    summary.snapshots_removed += len(doomed)
    if summary.dry_run:
        gone = set(doomed)
        summary.windows_removed += sum(1 for rows in points.values() for sid, _ in rows if sid in gone)
        return
    for start in range(0, len(doomed), batch):
        summary.windows_removed += store.delete_snapshots(account_id, doomed[start:start + batch])
