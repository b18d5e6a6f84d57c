"""The dashboard's reads of one series over a period, reduced to what a chart can show.

``Store.points`` returns every stored value of a range as ``Point``s: right for a week (about
2,000 at five-minute collection), wasteful for a year (100,000). Here one query, served by the
clustered (series, time) key, reads the range as plain integers (no datetime per row), and a
range with more values than ``max_points`` is reduced before anything else is built: the range
is cut into equal buckets and only the lowest and the highest value of each bucket are kept
(the M4 idea, without the first/last pair), plus the range's first and last value, so peaks,
near-exhaustion and resets stay visible. Only reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tracker.points import Point, SeriesKey

MAX_POINTS = 2000
Row = tuple[int, float, int | None]  # collected_at (epoch ms), used %, reset_at (epoch s)


@dataclass
class SeriesPoints:
    points: list[Point]  # oldest first
    stored: int  # how many values the range holds
    downsampled: bool


def series_window_seconds(store, account: str, limit: str, kind: str) -> list[int | None]:
    """The window lengths stored for (account, limit, kind): usually exactly one."""
    from sqlalchemy import select

    from tracker.storage import schema as models

    s, a = models.series, models.accounts
    with store.engine.connect() as conn:
        rows = conn.execute(select(s.c.window_seconds).join(a, s.c.account_id == a.c.id)
                            .where(a.c.name == account, s.c.limit_name == limit, s.c.kind == kind)
                            .order_by(s.c.window_seconds)).scalars()
        return [seconds or None for seconds in rows]


def bucket_millis(since: datetime, until: datetime, max_points: int) -> int:
    """Bucket length so that two values per bucket, and the two ends, stay within ``max_points``."""
    span = max(1, int((until - since).total_seconds() * 1000))
    buckets = max(1, (max_points - 2) // 2)
    return span // buckets + 1  # strictly longer than span / buckets: the last instant stays in the last bucket


def lows_and_highs(rows: Sequence[Row], start_ms: int, bucket_ms: int) -> list[Row]:
    """Per bucket the lowest and the highest value (earliest on ties), plus the first and last row.

    ``rows`` are oldest first; the result keeps that order and never repeats a row.
    """
    if not rows:
        return []
    keep = {0, len(rows) - 1}
    current, low, high = None, 0, 0
    for i, (at, used, _) in enumerate(rows):
        bucket = (at - start_ms) // bucket_ms
        if bucket != current:
            if current is not None:
                keep.update((low, high))
            current, low, high = bucket, i, i
        elif used < rows[low][1]:
            low = i
        elif used > rows[high][1]:
            high = i
    keep.update((low, high))
    return [rows[i] for i in sorted(keep)]


def _point(row: Row) -> Point:
    from tracker.storage.schema import stored_time

    at, used, reset = row
    return Point(datetime.fromtimestamp(at / 1000, tz=UTC), used, stored_time(reset, 1))


def _readable(row: Row) -> bool:
    """A row whose time and share read as numbers (``storage.base.sound_points`` skips the others:
    a hand edit or a damaged page), checked on the plain integers, without a datetime per row."""
    return type(row[0]) is int and 0 <= row[0] < MAX_MILLIS and row[1] is not None


MAX_MILLIS = 32_503_680_000_000  # 3000-01-01: a later stored time is damaged


def read_series(store, key: SeriesKey, since: datetime, until: datetime,
                max_points: int = MAX_POINTS) -> SeriesPoints:
    """The values of one series in [since, until], at most ``max_points`` of them."""
    from sqlalchemy import BigInteger, select, type_coerce

    from tracker.storage import schema as models

    w = models.windows
    series_id = models.series_id_query(key).scalar_subquery()
    query = (
        select(type_coerce(w.c.collected_at, BigInteger), w.c.used_percent, type_coerce(w.c.reset_at, BigInteger))
        .where(w.c.series_id == series_id, w.c.collected_at >= since, w.c.collected_at <= until)
        .order_by(w.c.collected_at)
    )
    with store.engine.connect() as conn:
        rows: list[Row] = [row for row in conn.execute(query) if _readable(row)]  # Row objects are tuples
    stored = len(rows)
    if stored > max_points:
        rows = lows_and_highs(rows, int(since.timestamp() * 1000), bucket_millis(since, until, max_points))
    return SeriesPoints([_point(row) for row in rows], stored, stored > max_points)
