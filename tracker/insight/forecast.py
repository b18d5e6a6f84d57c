"""Where a window will stand at its reset: the person's usual week, scaled by how this one goes.

Pure like ``analysis``: points, a profile and ``now`` in, a ``Forecast`` out; no database, no clock.

Long windows (a day or more) are forecast from an hour-of-week profile of consumption learned from
earlier windows of the same series: the expected use between now and the reset is the profile's
sum over those hours, scaled by this window's actual ÷ expected use so far (bounded, and shrunk
toward 1 while little of the window has gone by). A burst is not a pace: when one day of the window
ran at ``BURST_FACTOR`` times the rest of it or more (a deadline), the ratio leaves that day out,
for what happened once is not carried over the days ahead. Without a week of history the window's own
average pace (used ÷ elapsed, idle time included) stands in. A one-hour slope never decides a long
window: it projects a working hour over the nights and weekends ahead.

The five-hour window follows the recent slope while the person is working, but only from enough
evidence (a minimum span and more than one whole-percent step); with no rise for a while it is
idle and its projection flat.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from tracker.insight import outlook
from tracker.insight.figures import Forecast
from tracker.insight.timeline import jitter_tolerance
from tracker.insight.usual_week import Profile
from tracker.insight.windows import current_window, least_squares_rate
from tracker.points import Point
from tracker.records import remaining_percent

LONG_WINDOW = 86400  # seconds: a window this long or longer is forecast from the profile
RATIO_BOUNDS = (0.5, 2.0)  # how far this window may depart from the usual one
SHRINK_AT = 0.35  # share of the usual window's use after which its ratio counts fully
MIN_SPAN = timedelta(minutes=10)  # a slope needs readings at least this far apart
MIN_RISE = 2.0  # ... and more than one whole-percent step
IDLE_AFTER = timedelta(minutes=30)  # no rise for this long: the five-hour window is idle
MIN_ELAPSED = timedelta(minutes=15)  # a window younger than this has no average pace yet
MAX_PATH_POINTS = 400  # a projection path is hourly up to this many points, coarser beyond
MAX_WINDOW_SECONDS = 366 * 86400  # a longer "window" is not one the forecast can say anything about
MAX_HORIZON_HOURS = 24 * 366  # an exhaustion further away than a year is no exhaustion at all
SESSION_HOURS = 2.0  # a session carries on for about this long on average, then stops (bench/population.py)
SESSION_PACE = 0.8  # ... at this share of its recent slope on average: sessions slow down (bench/population.py)
RANGE_Z = 1.3  # half-width of the range, in standard deviations of past windows' ratios
BURST_FACTOR = 3.0  # a day at this many times the rest of the window's ratio is a burst, not a pace (bench/population.py)
DAY = timedelta(days=1)
MARK_GAP = timedelta(hours=6)  # twice the report's 3-hour grid: a rise across a longer gap is shared by the usual week


def evidenced_rate(recent: Sequence[Point]) -> float | None:
    """The least-squares slope, only from readings spanning ``MIN_SPAN`` that either rose by more
    than one whole-percent step or did not rise at all (a flat line is evidence of idleness)."""
    if len(recent) < 2 or recent[-1].at - recent[0].at < MIN_SPAN:
        return None
    rise = max(p.used_percent for p in recent) - min(p.used_percent for p in recent)
    if rise == 0:
        return 0.0
    if rise < MIN_RISE:
        return None
    return least_squares_rate(recent)


def _idle(window: Sequence[Point], now: datetime) -> bool:
    """No rise seen within ``IDLE_AFTER`` (a window's first reading above 0 is a rise)."""
    since = now - IDLE_AFTER
    for i in range(len(window) - 1, -1, -1):
        b = window[i]
        if b.at <= since:
            break
        before = window[i - 1].used_percent if i > 0 else 0.0
        if b.used_percent > before:
            return False
    return True


def _path(now: datetime, reset_at: datetime, used: float, amount_until) -> list[tuple[datetime, float]]:
    """Hourly points of used % + expected use from ``now`` to the reset (not capped)."""
    points = [(now, used)]
    # hourly, or coarser for a reset far away (at most ``MAX_PATH_POINTS``: a bogus reset time
    # decades ahead must not cost a point per hour)
    step = timedelta(hours=max(1, math.ceil((reset_at - now).total_seconds() / 3600.0 / MAX_PATH_POINTS)))
    t = now.replace(minute=0, second=0, microsecond=0) + step
    while t < reset_at:
        points.append((t, used + amount_until(t)))
        t += step
    points.append((reset_at, used + amount_until(reset_at)))
    return points


def _crossing(path: list[tuple[datetime, float]]) -> datetime | None:
    """When the path reaches 100 %, interpolated between its points."""
    for (t0, v0), (t1, v1) in zip(path, path[1:], strict=False):
        if v1 >= 100.0 > v0:
            return t0 + (t1 - t0) * ((100.0 - v0) / (v1 - v0))
    return None


def forecast_window(
    points: Sequence[Point], now: datetime, window_seconds: int | None, profile: Profile | None = None,
    lookback: timedelta = timedelta(hours=1), days: Sequence[Point] | None = None,
) -> Forecast | None:
    """The forecast of the current window at ``now`` from its recent points (those within
    ``lookback`` and the one before them suffice) and, for long windows, the profile and ``days``:
    readings of the current window every few hours (``profile.window_days``), to tell a burst from
    a pace; without them, the days are taken from ``points``."""
    window = current_window([p for p in points if p.at <= now], window_seconds)
    if not window:
        return None
    last = window[-1]
    used = last.used_percent
    remaining = remaining_percent(used)
    if last.reset_at is not None and now >= last.reset_at:
        # Show what was read, flagged: the window has probably reset, but nothing says to what.
        return Forecast(used, remaining, last.reset_at, last.at, None, None, None, False,
                        reset_since_last_snapshot=True, reading_past_reset=last.reset_at <= last.at,
                        method="past-reset")
    recent = [p for p in window if p.at >= now - lookback]
    if len(recent) < 2:
        recent = window[-2:]
    rate = evidenced_rate(recent)
    reset_at = last.reset_at
    hours_left = (reset_at - now).total_seconds() / 3600.0 if reset_at else None
    result = Forecast(used, remaining, reset_at, last.at, rate,
                      remaining / hours_left if hours_left else None, None, None)
    if reset_at is None or not window_seconds or not hours_left or window_seconds > MAX_WINDOW_SECONDS:
        result.exhausts_before_reset = used >= 100.0 or None
        return result
    start = reset_at - timedelta(seconds=window_seconds)
    elapsed = min(max((now - start).total_seconds(), 0.0), float(window_seconds))
    result.pace_delta = round(used - 100.0 * elapsed / window_seconds, 6)
    if used >= 100.0:
        result.method, result.projected, result.expected_rate = "exhausted", 100.0, 0.0
        result.exhausts_at = next(p.at for p in window if p.used_percent >= 100.0)
        result.exhausts_before_reset, result.run_out_probability = True, 1.0
        result.projected_low = result.projected_high = 100.0
        return result
    # ``days`` are read by time: a late reading that still names the last window is not this one's
    same = timedelta(seconds=jitter_tolerance(window_seconds))
    marks = window if days is None else [p for p in days if p.reset_at is None or abs(p.reset_at - reset_at) <= same]
    amount_until, low_high = _model(result, window, now, start, elapsed, window_seconds, profile, marks)
    expected = amount_until(reset_at)
    result.projected = min(100.0, used + expected)
    result.expected_rate = expected / hours_left
    long = window_seconds >= LONG_WINDOW
    sigma = outlook.spread(expected, hours_left * 3600.0 / window_seconds, low_high, long)
    result.run_out_probability = outlook.run_out_probability(used, expected, sigma, hours_left if long else None)
    result.projected_low, result.projected_high = outlook.range80(used, expected, sigma)
    path = _path(now, reset_at, used, amount_until) if expected > 0 else [(now, used), (reset_at, used)]
    crossing = _crossing(path)
    result.path = [(t, min(100.0, v)) for t, v in path]
    if crossing is not None:
        result.exhausts_at = crossing
    else:  # beyond the reset: when it would run out at the current pace (the session's) or the expected one
        pace = result.burn_rate if result.method == "recent-slope" else result.expected_rate
        if pace and pace > 0 and remaining / pace < MAX_HORIZON_HOURS:
            result.exhausts_at = now + timedelta(hours=remaining / pace)
    # "runs out" is a probability of 0.5 or more (for a long window, a little more than reaching 100)
    result.exhausts_before_reset = crossing is not None and (result.run_out_probability or 0.0) >= 0.5
    return result


def _model(result: Forecast, window: Sequence[Point], now: datetime, start: datetime, elapsed: float,
           window_seconds: int, profile: Profile | None, marks: Sequence[Point] = ()):  # (amount_until, range factors)
    """Choose the method; return expected use from now until a moment, and the range's factors."""
    used = result.used_percent

    def flat(_t: datetime) -> float:
        return 0.0

    def steady(pace: float):
        return lambda t: pace * max(0.0, (t - now).total_seconds()) / 3600.0

    def session(pace: float):  # the pace goes on while the session does: an exponential end
        return lambda t: pace * SESSION_PACE * SESSION_HOURS * (1.0 - math.exp(-max(0.0, (t - now).total_seconds()) / 3600.0
                                                                / SESSION_HOURS))

    if window_seconds >= LONG_WINDOW:
        if profile is not None:
            usual_so_far = profile.expected(start, now)
            usual_whole = profile.expected(start, start + timedelta(seconds=window_seconds))
            ratio = _ratio(used, usual_so_far, usual_whole)
            burst = _burst(marks, now, used, start, profile, usual_whole, ratio)
            if burst is not None:
                ratio = _ratio(used - burst[0], usual_so_far - burst[1], usual_whole - burst[1])
            result.method = "profile"
            usual_from_now = profile.expected_from(now)
            return (lambda t: ratio * usual_from_now(t)), _range(profile.ratios)
        if elapsed >= MIN_ELAPSED.total_seconds() * 4:
            result.method = "window-average"
            return steady(used / (elapsed / 3600.0)), None
        result.method = "too-early"
        return flat, None
    if _idle(window, now):
        result.method = "idle"
        return flat, None
    if result.burn_rate:
        result.method = "recent-slope"
        return session(result.burn_rate), None
    result.method = "thin-evidence"  # active, but no rate yet: nothing projected rather than a guess
    return flat, None


def _ratio(used: float, usual_so_far: float, usual_whole: float) -> float:
    """This window's use so far ÷ the usual, bounded, and shrunk toward 1 while the usual window
    had used less than ``SHRINK_AT`` of itself by now (early on, a ratio is mostly chance)."""
    raw = used / usual_so_far if usual_so_far > 0 else 1.0
    raw = min(max(raw, RATIO_BOUNDS[0]), RATIO_BOUNDS[1])
    weight = min(1.0, usual_so_far / (SHRINK_AT * usual_whole)) if usual_whole > 0 else 0.0
    return 1.0 + (raw - 1.0) * weight


def _burst(marks: Sequence[Point], now: datetime, used: float, start: datetime, profile: Profile,
           usual_whole: float, ratio: float) -> tuple[float, float] | None:
    """(use, usual use) of the day (24 h back from now, then the 24 h before...) furthest above its
    usual share, when that day ran at ``BURST_FACTOR`` times the rest of the window's ratio or more:
    a burst, which the ratio must not carry over the days ahead; else None. ``marks`` are readings
    of the window (any resolution: every reading, or one every few hours); a day's use is the rise
    between the last readings at or before its ends. Where the readings around a day's end are more
    than ``MARK_GAP`` apart and use rose between them (collect was not running), the rise is shared
    out as the usual week spends it: two days' use first read on the second is not its burst."""
    bounds = [now]
    while bounds[-1] - DAY > start:
        bounds.append(bounds[-1] - DAY)
    ordered = sorted((p for p in marks if start < p.at <= now), key=lambda p: p.at)
    cuts, i = [(start, 0.0)], 0
    for t in reversed(bounds[1:]):
        while i < len(ordered) and ordered[i].at <= t:
            i += 1
        if not i:  # before the first reading given, the level is unknown (a chart of the last day): days merge
            continue
        before, level = ordered[i - 1].at, min(used, ordered[i - 1].used_percent)
        after_at, after = (ordered[i].at, min(used, ordered[i].used_percent)) if i < len(ordered) else (now, used)
        if after > level and after_at - before > MARK_GAP:  # unread for a while, and use rose meanwhile
            whole = profile.expected(before, after_at)
            if whole > 0:  # (a usual week idle all through the gap says: the rise came just before ``after``)
                level += (after - level) * profile.expected(before, t) / whole
        cuts.append((t, max(cuts[-1][1], level)))
    cuts.append((now, max(cuts[-1][1], used)))
    if len(cuts) < 3:
        return None
    days = [(b[1] - a[1], profile.expected(a[0], b[0])) for a, b in zip(cuts, cuts[1:], strict=False)]
    use, usual = max(days, key=lambda d: d[0] - d[1] * ratio)
    rest = _ratio(used - use, profile.expected(start, now) - usual, usual_whole - usual)
    return (use, usual) if use > 0 and use >= BURST_FACTOR * rest * usual else None


def _range(ratios: Sequence[float]) -> tuple[float, float] | None:
    """Factors on the expected use for the low and high ends, from how past windows varied."""
    if len(ratios) < 2:
        return None
    mean = sum(ratios) / len(ratios)
    if mean <= 0:
        return None
    sd = math.sqrt(sum((r / mean - 1.0) ** 2 for r in ratios) / (len(ratios) - 1))
    return max(0.0, 1.0 - RANGE_Z * sd), 1.0 + RANGE_Z * sd


def average_projection(points: Sequence[Point], now: datetime, window_seconds: int | None) -> float | None:
    """The window's plain average pace carried to its reset: used x length ÷ elapsed (the
    backtest's baseline, the back-of-an-envelope answer every other tool gives)."""
    window = current_window([p for p in points if p.at <= now], window_seconds)
    if not window or not window_seconds or window[-1].reset_at is None or now >= window[-1].reset_at:
        return None
    used = window[-1].used_percent
    elapsed = (now - (window[-1].reset_at - timedelta(seconds=window_seconds))).total_seconds()
    return used if elapsed <= 0 else min(100.0, used * window_seconds / elapsed)
