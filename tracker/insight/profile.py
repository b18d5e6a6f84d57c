"""Bounded reads for the forecast: the readings at a coarse grid behind the profile
(``profile_points``, ``window_profile``, ``window_profiles`` for many series in one read), and the last reading of every hour for the backtest of
long windows (``hourly_points``).

Four weeks of five-minute readings are 8,064 rows; the profile reads 168 of them (one per 4 h) by
index seeks on the clustered (series, time) key, so a report costs about the same on a day of
history as on a year.
The SQL is ``Store.grid_points``; this module decides what to read and what it means.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo

from tracker.insight.forecast import LONG_WINDOW, MAX_WINDOW_SECONDS
from tracker.insight.usual_week import PROFILE_STEP, Profile, build_profile, history_for
from tracker.points import Point, SeriesKey


def profile_points(store, key: SeriesKey, since: datetime, until: datetime,
                   step: timedelta = PROFILE_STEP) -> list[Point]:
    """The last reading before each multiple of ``step`` in (since, until] (``Store.grid_points``:
    one index seek per step, 168 for four weeks at 4 h). Equal to ``usual_week.grid_sample`` of all
    the readings."""
    return store.grid_points(key, since, until, step)


def window_profile(store, key: SeriesKey, last: Point, zone: tzinfo | None = None) -> Profile | None:
    """The hour-of-week profile (on the clock of ``zone``, by default the machine's) of a long
    window's series from the weeks before the current window (one reading per ``PROFILE_STEP``
    over at most ``history_for`` the window, four weeks for a week and 90 days for a month: a
    bounded read whatever the size of the history)."""
    return window_profiles(store, {key: last}, zone).get(key)


def window_profiles(store, lasts: Mapping[SeriesKey, Point], zone: tzinfo | None = None) -> dict[SeriesKey, Profile]:
    """``window_profile`` of many series (each with its newest reading), their grids read in one
    statement (``Store.grid_points_of``): what a report of every account reads. Only the series
    that have a profile are in the answer."""
    if zone is None:
        from tracker.timeutil import local_zone

        zone = local_zone()
    starts = {key: last.reset_at - timedelta(seconds=key.window_seconds) for key, last in lasts.items()
              if LONG_WINDOW <= (key.window_seconds or 0) <= MAX_WINDOW_SECONDS and last.reset_at is not None}
    grids = store.grid_points_of({key: (start - history_for(key.window_seconds), start)
                                  for key, start in starts.items()}, PROFILE_STEP) if starts else {}
    profiles = {key: build_profile(grids[key], key.window_seconds, start, zone) for key, start in starts.items()}
    return {key: profile for key, profile in profiles.items() if profile is not None}


def hourly_points(store, key: SeriesKey, since: datetime, until: datetime) -> list[Point]:
    """One point per hour in [since, until): the hour's last reading, oldest first (the grid read
    with a one-hour step)."""
    points = profile_points(store, key, since, until + timedelta(hours=1), timedelta(hours=1))
    return [p for p in points if since <= p.at < until]
