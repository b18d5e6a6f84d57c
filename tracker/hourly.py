"""Bounded reads for the forecast: the readings at a coarse grid behind the profile
(``profile_points``, ``window_profile``), and the last reading of every hour for the backtest of
long windows (``hourly_points``).

Four weeks of five-minute readings are 8,064 rows; the profile reads 168 of them (one per 4 h) by
index seeks on the clustered (series, time) key, so a report costs about the same on a day of
history as on a year.
(Reads like those in ``store``; kept apart while ``store`` is being reworked elsewhere.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.forecast import (
    HISTORY,
    LONG_WINDOW,
    MAX_WINDOW_SECONDS,
    PROFILE_STEP,
    Profile,
    build_profile,
)
from tracker.points import Point, SeriesKey

GRID_SQL = """
WITH RECURSIVE grid(t) AS (
    SELECT CAST(:first AS BIGINT) UNION ALL SELECT t + :step FROM grid WHERE t + :step <= :last
)
SELECT (SELECT CAST(collected_at AS TEXT) || ' ' || CAST(used_percent AS TEXT) || ' '
               || COALESCE(CAST(reset_at AS TEXT), '')
        FROM windows WHERE series_id = :series AND collected_at < grid.t
        ORDER BY collected_at DESC LIMIT 1)
FROM grid ORDER BY grid.t
"""  # one index seek per step; the row comes back as one text value (a scalar subquery has one column)


def profile_points(store, key: SeriesKey, since: datetime, until: datetime,
                   step: timedelta = PROFILE_STEP) -> list[Point]:
    """The last reading before each multiple of ``step`` in (since, until]: one index seek per
    step (168 for four weeks at 4 h), never a scan of the readings in between. Equal to
    ``forecast.grid_sample`` of all the readings."""
    from sqlalchemy import text

    from tracker.models import series_id_query

    size = round(step.total_seconds() * 1000)
    first = (round(since.timestamp() * 1000) // size + 1) * size
    with store.engine.connect() as conn:
        series = conn.execute(series_id_query(key)).scalar()
        if series is None:
            return []
        rows = conn.execute(text(GRID_SQL), {"first": first, "step": size, "last": round(until.timestamp() * 1000),
                                             "series": series}).all()
    resets: dict[str, datetime | None] = {"": None}  # a window's reset time repeats: convert it once
    points = []
    previous = None
    for (row,) in rows:
        if row is None or row == previous:
            continue  # nothing before this step, or no reading since the previous one
        previous = row
        at, used, reset = row.split(" ")
        if reset not in resets:
            resets[reset] = datetime.fromtimestamp(int(reset), UTC)
        points.append(Point(datetime.fromtimestamp(int(at) / 1000, UTC), float(used), resets[reset]))
    return points


def window_profile(store, key: SeriesKey, last: Point) -> Profile | None:
    """The hour-of-week profile of a long window's series from the weeks before the current window
    (one reading per ``PROFILE_STEP`` over at most ``HISTORY``: a bounded read whatever the size
    of the history)."""
    if not LONG_WINDOW <= (key.window_seconds or 0) <= MAX_WINDOW_SECONDS or last.reset_at is None:
        return None
    start = last.reset_at - timedelta(seconds=key.window_seconds)
    return build_profile(profile_points(store, key, start - HISTORY, start), key.window_seconds, start)


def hourly_points(store, key: SeriesKey, since: datetime, until: datetime) -> list[Point]:
    """One point per hour in [since, until): the hour's last reading, oldest first (the grid read
    with a one-hour step)."""
    points = profile_points(store, key, since, until + timedelta(hours=1), timedelta(hours=1))
    return [p for p in points if since <= p.at < until]
