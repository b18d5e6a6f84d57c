"""Bounded reads for the forecast: the readings at a coarse grid behind the profile
(``profile_points``; ``window_profiles``: every series of a report in one read), and the last
reading of every hour for the backtest of long windows (``hourly_points``).

Four weeks of five-minute readings are 8,064 rows; the profile reads 168 of them (one per 4 h) by
index seeks on the clustered (series, time) key, so a report costs about the same on a day of
history as on a year. ``collect`` keeps each profile it learns (``keep_usual_weeks``); a reader
takes a kept one instead of learning it again only when it was learned from exactly the readings
the reader's grid read gives (their fingerprint), for the same window start, on the same clock, by
the same code (``model``): the same numbers, computed once.
The SQL is ``Store.grid_reads_of``; this module decides what to read and what it means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo

from tracker.insight.forecast import LONG_WINDOW, MAX_WINDOW_SECONDS
from tracker.insight.usual_week import PROFILE_STEP, Profile, build_profile, history_for
from tracker.points import KeptUsualWeek, Point, SeriesKey


def profile_points(store, key: SeriesKey, since: datetime, until: datetime,
                   step: timedelta = PROFILE_STEP) -> list[Point]:
    """The last reading before each multiple of ``step`` in (since, until] (``Store.grid_points``:
    one index seek per step, 168 for four weeks at 4 h). Equal to ``usual_week.grid_sample`` of all
    the readings."""
    return store.grid_points(key, since, until, step)


def window_starts(lasts: Mapping[SeriesKey, Point]) -> dict[SeriesKey, datetime]:
    """The start of each long window's current window (its newest reading's reset less its
    length): where its usual week ends and its days begin."""
    return {key: last.reset_at - timedelta(seconds=key.window_seconds) for key, last in lasts.items()
            if LONG_WINDOW <= (key.window_seconds or 0) <= MAX_WINDOW_SECONDS and last.reset_at is not None}


DAY_MARK_STEP = timedelta(hours=3)  # the current window's readings the forecast reads to tell a burst from a pace


def window_days(store, lasts: Mapping[SeriesKey, Point], at: datetime) -> dict[SeriesKey, list[Point]]:
    """The current long windows' readings every ``DAY_MARK_STEP`` since their start: what the
    forecast needs to tell a one-day burst from a pace (``forecast_window``'s ``days``), for every
    series of a report in one statement (56 rows for a week's window, whatever the history)."""
    ranges = {key: (start, at) for key, start in window_starts(lasts).items() if start < at}
    if not ranges:
        return {}
    return {key: read.points() for key, read in store.grid_reads_of(ranges, DAY_MARK_STEP).items()}


def window_profile(store, key: SeriesKey, last: Point, zone: tzinfo | None = None) -> Profile | None:
    """The hour-of-week profile (on the clock of ``zone``, by default the machine's) of a long
    window's series from the weeks before the current window (one reading per ``PROFILE_STEP``
    over at most ``history_for`` the window, four weeks for a week and 90 days for a month: a
    bounded read whatever the size of the history)."""
    return window_profiles(store, {key: last}, zone).get(key)


def window_profiles(store, lasts: Mapping[SeriesKey, Point], zone: tzinfo | None = None,
                    keep: bool = False) -> dict[SeriesKey, Profile]:
    """``window_profile`` of many series (each with its newest reading), their grids read in one
    statement: what a report of every account reads. A profile ``collect`` kept is taken back when
    it was learned from the same read (``keep``: keep the ones learned here; a writer's job). Only
    the series that have a profile are in the answer."""
    if zone is None:
        from tracker.timeutil import local_zone

        zone = local_zone()
    starts = window_starts(lasts)
    if not starts:
        return {}
    reads = store.grid_reads_of({key: (start - history_for(key.window_seconds), start)
                                 for key, start in starts.items()}, PROFILE_STEP)
    clock, code = zone_key(zone), model()
    kept = store.kept_usual_weeks(starts, clock, code) if clock and code else {}
    profiles, learned = {}, {}
    for key, start in starts.items():
        readings = reads[key].fingerprint()
        week = kept.get(key)
        if week is not None and week.window_start == start and week.readings == readings:
            profile = Profile(week.rates, week.ratios, zone) if week.rates is not None else None
        else:
            profile = build_profile(reads[key].points(), key.window_seconds, start, zone)
            learned[key] = KeptUsualWeek(start, readings, profile.rates if profile else None,
                                         profile.ratios if profile else ())
        if profile is not None:
            profiles[key] = profile
    if keep and learned and clock and code:
        store.keep_usual_weeks(learned, clock, code)
    return profiles


def keep_usual_weeks(store, at: datetime, zone: tzinfo, names: Sequence[str] = ()) -> int:
    """Learn and keep the usual week of every long window (of the ``names``' accounts) as its
    newest reading at ``at`` sets it, on ``zone``'s clock, where the kept one no longer matches:
    what ``collect`` does after storing, so that the next report reads it back. Returns how many
    series have a profile."""
    return len(window_profiles(store, store.latest_points_of(store.series_keys(names), at), zone, keep=True))


def zone_key(zone: tzinfo) -> str | None:
    """The name a profile is kept under for this clock: an IANA name, ``UTC`` or a fixed offset in
    seconds; None (never kept) for any other kind of zone."""
    if zone is UTC:
        return "UTC"
    if isinstance(zone, ZoneInfo) and zone.key:
        return zone.key
    if isinstance(zone, timezone):
        return f"{zone.utcoffset(None).total_seconds():+.0f}s"
    return None


@cache
def model() -> str | None:
    """A fingerprint of the code that learns a profile (the usual week and the window timeline,
    with their constants, and the grid read that turns stored rows into its readings): a profile
    kept by another version is learned again. None when the source cannot be read (then nothing
    is kept)."""
    import hashlib
    from pathlib import Path

    from tracker.insight import timeline, usual_week
    from tracker.storage import grids

    try:
        source = b"".join(Path(module.__file__).read_bytes() for module in (usual_week, timeline, grids))
    except (OSError, TypeError):
        return None
    return hashlib.blake2b(source, digest_size=16).hexdigest()


def hourly_points(store, key: SeriesKey, since: datetime, until: datetime) -> list[Point]:
    """One point per hour in [since, until): the hour's last reading, oldest first (the grid read
    with a one-hour step)."""
    points = profile_points(store, key, since, until + timedelta(hours=1), timedelta(hours=1))
    return [p for p in points if since <= p.at < until]
