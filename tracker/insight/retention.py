"""``tracker prune``: delete or thin old snapshots in small batches.

Thinning keeps, per account, the last snapshot of every bucket (one per hour by default) and,
per window of the timeline (``tracker.insight.timeline``), the readings its answers rest on: the
first and last, the peak, the first at 100 %, the readings that fix its reset time and those
around every reset and move. A second run keeps the same, so thinning is idempotent. Each batch
is its own short transaction: a concurrent ``collect`` waits a few milliseconds at most.

The old history is walked in slices of about a week, aligned to the buckets, so memory follows
a slice (and a window's length read before it, so that its windows are seen from their start),
not the years being pruned; the first point after a slice tells whether the slice's last point
ended its window.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tracker.insight.timeline import build_timeline
from tracker.points import Point

BATCH = 500
SLICE = timedelta(days=7)
MAX_CONTEXT = timedelta(days=32)  # a monthly window and a day


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
    bucket plus, per window of every series' timeline, the readings its derivation rests on
    (``WindowSpan.key_readings``: first and last, the peak, the first at 100 %, the readings that
    fix the reset time and those around every reset and move). Those are kept again on a second
    run, so thinning is idempotent and every answer about windows stays the same."""
    if bucket is None:
        return set()
    keep: dict[int, int] = {}
    size = bucket.total_seconds()
    for snapshot_id, at in snapshots:
        keep[int(at.timestamp() // size)] = snapshot_id  # ordered by time: the last one wins
    kept = set(keep.values())
    for (_limit, _kind, seconds), rows in series_points.items():
        ids = {id(point): snapshot_id for snapshot_id, point in rows}
        for span in build_timeline([point for _, point in rows], seconds):
            kept.update(ids[id(point)] for point in span.key_readings)
    return kept


def context(series_points: dict[tuple, list[tuple[int, Point]]]) -> timedelta:
    """How far before a slice to read so that its windows are seen from their start."""
    longest = max((seconds or 0 for _limit, _kind, seconds in series_points), default=0)
    return min(MAX_CONTEXT, timedelta(seconds=longest) + timedelta(days=1))


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
    points = {}
    if downsample or summary.dry_run:
        points = store.old_window_points(account_id, until, since, cutoff)
        earlier = store.old_window_points(account_id, since, since - context(points))
        points = {key: earlier.get(key, []) + rows for key, rows in points.items()}
    keep = snapshots_to_keep(snapshots, points, downsample)
    doomed = [sid for sid, _ in snapshots if sid not in keep]
    summary.snapshots_removed += len(doomed)
    if summary.dry_run:
        gone = set(doomed)
        summary.windows_removed += sum(1 for rows in points.values() for sid, _ in rows if sid in gone)
        return
    for start in range(0, len(doomed), batch):
        summary.windows_removed += store.delete_snapshots(account_id, doomed[start:start + batch])
