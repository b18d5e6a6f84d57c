"""The dashboard's reads of one series over a period, bounded however long the period is.

``Store.points`` returns every stored value of a range: right for a week (about 2,000 points at
five-minute collection), wasteful for a year (100,000). Here a range with more values than the
page can draw is reduced in the database: the range is cut into equal buckets and only the
lowest and the highest value of each bucket come back (the M4 idea, without the first/last
pair), so peaks, near-exhaustion and resets stay visible while the rows returned are at most
``max_points``. Both SQLite and PostgreSQL run it (window functions). Only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tracker.points import Point, SeriesKey

MAX_POINTS = 2000


@dataclass
class SeriesPoints:
    points: list[Point]  # oldest first
    stored: int  # how many values the range holds
    downsampled: bool


def _series_id(conn, key: SeriesKey) -> int | None:  # noqa: ANN001
    from sqlalchemy import select

    from tracker import models

    s, a = models.series, models.accounts
    return conn.execute(
        select(s.c.id).join(a, s.c.account_id == a.c.id)
        .where(a.c.name == key.account, s.c.limit_name == key.limit, s.c.kind == key.kind,
               s.c.window_seconds == (key.window_seconds or 0))
    ).scalar()


def series_window_seconds(store, account: str, limit: str, kind: str) -> list[int | None]:  # noqa: ANN001
    """The window lengths stored for (account, limit, kind): usually exactly one."""
    from sqlalchemy import select

    from tracker import models

    s, a = models.series, models.accounts
    with store.engine.connect() as conn:
        rows = conn.execute(select(s.c.window_seconds).join(a, s.c.account_id == a.c.id)
                            .where(a.c.name == account, s.c.limit_name == limit, s.c.kind == kind)
                            .order_by(s.c.window_seconds)).scalars()
        return [seconds or None for seconds in rows]


def bucket_millis(since: datetime, until: datetime, max_points: int) -> int:
    """Bucket length so that two values per bucket stay within ``max_points``."""
    span = max(1, int((until - since).total_seconds() * 1000))
    buckets = max(1, (max_points - 2) // 2)  # two per bucket, plus the range's first and last
    return span // buckets + 1  # strictly longer than span / buckets: the last instant stays in the last bucket


def read_series(store, key: SeriesKey, since: datetime, until: datetime,  # noqa: ANN001
                max_points: int = MAX_POINTS) -> SeriesPoints:
    """The values of one series in [since, until], at most ``max_points`` of them."""
    from sqlalchemy import BigInteger, and_, func, or_, select, type_coerce

    from tracker import models

    w = models.windows
    with store.engine.connect() as conn:
        series_id = _series_id(conn, key)
        if series_id is None:
            return SeriesPoints([], 0, False)
        in_range = and_(w.c.series_id == series_id, w.c.collected_at >= since, w.c.collected_at <= until)
        stored = conn.execute(select(func.count()).select_from(w).where(in_range)).scalar_one()
        columns = (w.c.collected_at, w.c.used_percent, w.c.reset_at)
        if stored <= max_points:
            rows = conn.execute(select(*columns).where(in_range).order_by(w.c.collected_at)).all()
            return SeriesPoints([Point(*row) for row in rows], stored, False)
        bucket = (type_coerce(w.c.collected_at, BigInteger) - int(since.timestamp() * 1000)) // bucket_millis(
            since, until, max_points)
        ranked = select(
            *columns,
            func.row_number().over(partition_by=bucket, order_by=(w.c.used_percent.desc(), w.c.collected_at))
            .label("high"),
            func.row_number().over(partition_by=bucket, order_by=(w.c.used_percent, w.c.collected_at))
            .label("low"),
        ).where(in_range).subquery()
        rows = conn.execute(
            select(ranked.c.collected_at, ranked.c.used_percent, ranked.c.reset_at)
            .where(or_(ranked.c.high == 1, ranked.c.low == 1)).order_by(ranked.c.collected_at)
        ).all()
        # The current value ends the line whatever its bucket holds; the first one starts it.
        ends = [conn.execute(select(*columns).where(in_range).order_by(order).limit(1)).one()
                for order in (w.c.collected_at, w.c.collected_at.desc())]
    points = [Point(*row) for row in rows]
    first, last = Point(*ends[0]), Point(*ends[1])
    if points[0].at != first.at:
        points.insert(0, first)
    if points[-1].at != last.at:
        points.append(last)
    return SeriesPoints(points, stored, True)
