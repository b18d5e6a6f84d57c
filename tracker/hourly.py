"""The last reading of every hour of a series: the bounded, aggregated read behind the forecast's
profile (``window_profile``) and the backtest of long windows.

A week of five-minute readings is 2,016 rows; its hourly summary is 168, computed by the database
from the clustered (series, time) key, so the cost of a report does not grow with the history.
(A read like those in ``store``; kept apart while ``store`` is being reworked elsewhere.)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tracker.forecast import HISTORY, LONG_WINDOW, Profile, build_profile
from tracker.points import Point, SeriesKey

HOUR_MS = 3_600_000


def hourly_points(store, key: SeriesKey, since: datetime, until: datetime) -> list[Point]:  # noqa: ANN001
    """One point per hour in [since, until): the hour's last reading, oldest first."""
    from sqlalchemy import BigInteger, func, literal_column, select

    from tracker import models

    w, s, a = models.windows, models.series, models.accounts
    series_id = (
        select(s.c.id).join(a, s.c.account_id == a.c.id)
        .where(a.c.name == key.account, s.c.limit_name == key.limit, s.c.kind == key.kind,
               s.c.window_seconds == (key.window_seconds or 0))
        .scalar_subquery()
    )
    at_ms = literal_column("collected_at", BigInteger)  # the stored integer, not the decoded datetime
    bucket = (at_ms // HOUR_MS).label("bucket")
    since_ms, until_ms = round(since.timestamp() * 1000), round(until.timestamp() * 1000)
    where = (w.c.series_id == series_id, at_ms >= since_ms, at_ms < until_ms)
    if store.engine.dialect.name == "postgresql":
        query = (select(bucket, w.c.collected_at, w.c.used_percent, w.c.reset_at).where(*where)
                 .distinct(bucket).order_by(bucket, w.c.collected_at.desc()))
    else:
        # SQLite takes the bare columns from the row that holds the MAX().
        query = (select(bucket, func.max(at_ms), w.c.used_percent, w.c.reset_at).where(*where)
                 .group_by(bucket).order_by(bucket))
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    if store.engine.dialect.name == "postgresql":
        return [Point(at, used, reset) for _, at, used, reset in rows]
    convert = models.windows.c.collected_at.type.process_result_value
    return [Point(convert(at, None), used, reset) for _, at, used, reset in rows]


def window_profile(store, key: SeriesKey, last: Point) -> Profile | None:  # noqa: ANN001
    """The hour-of-week profile of a long window's series from the weeks before the current window
    (hourly aggregates of at most ``HISTORY``: a bounded read whatever the history's size)."""
    if not key.window_seconds or key.window_seconds < LONG_WINDOW or last.reset_at is None:
        return None
    start = last.reset_at - timedelta(seconds=key.window_seconds)
    return build_profile(hourly_points(store, key, start - HISTORY, start), key.window_seconds, start)
