"""Where a window will stand at its reset: the person's usual week, scaled by how this one goes.

Pure like ``analysis``: points, a profile and ``now`` in, a ``Forecast`` out; no database, no clock.

Long windows (a day or more) are forecast from an hour-of-week profile of consumption learned from
earlier windows of the same series: the expected use between now and the reset is the profile's
sum over those hours, scaled by this window's actual ÷ expected use so far (bounded, and shrunk
toward 1 while little of the window has gone by). Without a week of history the window's own
average pace (used ÷ elapsed, idle time included) stands in. A one-hour slope never decides a long
window: it projects a working hour over the nights and weekends ahead.

The five-hour window follows the recent slope while the person is working, but only from enough
evidence (a minimum span and more than one whole-percent step); with no rise for a while it is
idle and its projection flat.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tracker.insight import outlook
from tracker.insight.figures import Forecast
from tracker.insight.timeline import build_timeline
from tracker.insight.windows import current_window, least_squares_rate
from tracker.points import Point
from tracker.records import remaining_percent

HOURS_PER_WEEK = 168
EPOCH_HOUR_OF_WEEK = 72  # 1970-01-01 00:00 UTC was a Thursday: Monday 00:00 is hour 0
LONG_WINDOW = 86400  # seconds: a window this long or longer is forecast from the profile
HISTORY = timedelta(weeks=4)  # how much history the profile learns from
PROFILE_STEP = timedelta(hours=4)  # the profile reads one value per this step (a bounded read)
HALF_LIFE_DAYS = 14.0  # recency weight of history: a fortnight-old week counts half
MIN_HISTORY = timedelta(days=6)  # less than this: the window's own average pace
RATIO_BOUNDS = (0.5, 2.0)  # how far this window may depart from the usual one
SHRINK_AT = 0.35  # share of the usual window's use after which its ratio counts fully
MIN_SPAN = timedelta(minutes=10)  # a slope needs readings at least this far apart
MIN_RISE = 2.0  # ... and more than one whole-percent step
IDLE_AFTER = timedelta(minutes=30)  # no rise for this long: the five-hour window is idle
MIN_ELAPSED = timedelta(minutes=15)  # a window younger than this has no average pace yet
MAX_PATH_POINTS = 400  # a projection path is hourly up to this many points, coarser beyond
MAX_WINDOW_SECONDS = 366 * 86400  # a longer "window" is not one the forecast can say anything about
MAX_HORIZON_HOURS = 24 * 366  # an exhaustion further away than a year is no exhaustion at all
RANGE_Z = 1.3  # half-width of the range, in standard deviations of past windows' ratios


@dataclass(frozen=True)
class Profile:
    """Expected percentage points per hour of the week (UTC, Monday 00:00 = 0), and how past
    windows compared with it (their actual ÷ expected use), for the range."""

    rates: tuple[float, ...]
    ratios: tuple[float, ...] = ()
    cumulative: tuple[float, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        running, cum = 0.0, [0.0]
        for rate in self.rates:
            running += rate
            cum.append(running)
        object.__setattr__(self, "cumulative", tuple(cum))

    def _integral(self, t: datetime) -> float:
        hours = t.timestamp() / 3600.0 + EPOCH_HOUR_OF_WEEK
        whole = math.floor(hours)
        weeks, index = divmod(whole, HOURS_PER_WEEK)
        return weeks * self.cumulative[-1] + self.cumulative[index] + (hours - whole) * self.rates[index]

    def expected_from(self, start: datetime):  # Callable[[datetime], float]
        """``expected(start, t)`` as a function of ``t`` (for paths: the start is computed once)."""
        base = self._integral(start)
        return lambda t: max(0.0, self._integral(t) - base) if t > start else 0.0

    def expected(self, start: datetime, end: datetime) -> float:
        """Usual consumption (percentage points) between two moments."""
        return max(0.0, self._integral(end) - self._integral(start)) if end > start else 0.0


def grid_sample(points: Sequence[Point], since: datetime, until: datetime,
                step: timedelta = PROFILE_STEP) -> list[Point]:
    """The last reading before each multiple of ``step`` (since the epoch) in (since, until]: what
    ``hourly.profile_points`` reads from the database, for points already in memory."""
    ordered = sorted(points, key=lambda p: p.at)
    size = step.total_seconds()
    grid = math.floor(since.timestamp() / size) * size + size
    out: list[Point] = []
    i = 0
    while grid <= until.timestamp():
        while i < len(ordered) and ordered[i].at.timestamp() < grid:
            i += 1
        if i and (not out or out[-1] is not ordered[i - 1]):
            out.append(ordered[i - 1])
        grid += size
    return out


def build_profile(history: Sequence[Point], window_seconds: int, until: datetime) -> Profile | None:
    """The hour-of-week profile from readings of earlier windows (any resolution: every reading,
    the last of every hour, or one every ``PROFILE_STEP``); None with less than ``MIN_HISTORY``.

    Each rise between consecutive readings is spread over the hours between them (at most
    ``PROFILE_STEP``, so a long silence does not smear a morning's work over the night); a reset
    counts the new value from zero. Every hour of the covered span counts as observed, so idle
    hours weigh in as zero use, except hours the window spent at 100 % (blocked: they say nothing
    about demand), which count as unobserved; an hour of the week blocked in every past week takes
    the person's overall pace. Recent weeks weigh more (half-life ``HALF_LIFE_DAYS``). One pass
    over plain numbers: a report computes this for every account.
    """
    end = until.timestamp()
    ordered = sorted((p for p in history if p.at < until), key=lambda p: p.at)
    if len(ordered) < 2 or end - ordered[0].at.timestamp() < MIN_HISTORY.total_seconds():
        return None
    decay = math.log(2) / (HALF_LIFE_DAYS * 86400.0)
    max_spread = round(PROFILE_STEP / timedelta(hours=1))
    used = [0.0] * HOURS_PER_WEEK
    windows: list[tuple[float, float, float, float]] = []  # (first reading, last reading, peak, reset) per window
    blocked: list[tuple[float, float]] = []  # spans at 100 %: no evidence of demand, not idle time
    a_t = ordered[0].at.timestamp()
    for i, span in enumerate(build_timeline(ordered, window_seconds)):  # the one reset rule
        level = None if i == 0 else 0.0  # a window after a reset counts its first value from zero
        for b in span.readings:
            b_t = b.at.timestamp()
            rise = b.used_percent - level if level is not None else 0.0
            level = b.used_percent if level is None else max(level, b.used_percent)
            if rise > 0:
                spread = min(max_spread, max(1, round((b_t - a_t) / 3600.0)))
                share = rise * math.exp(-decay * (end - b_t)) / spread
                hour = math.floor(b_t / 3600.0) + EPOCH_HOUR_OF_WEEK
                for k in range(spread):
                    used[(hour - k) % HOURS_PER_WEEK] += share
            a_t = b_t
        windows.append((span.start.timestamp(), span.end.timestamp(), span.peak,
                        span.reset_at.timestamp() if span.reset_at else 0.0))
        if span.reached_limit_at is not None:
            blocked.append((span.reached_limit_at.timestamp(),
                            min(end, span.reset_at.timestamp() if span.reset_at else span.end.timestamp())))
    exposure = [0.0] * HOURS_PER_WEEK
    hour = math.floor(ordered[0].at.timestamp() / 3600.0)
    weight, growth = math.exp(-decay * (end - hour * 3600.0)), math.exp(decay * 3600.0)
    index = (hour + EPOCH_HOUR_OF_WEEK) % HOURS_PER_WEEK
    while hour * 3600.0 < end:
        while blocked and blocked[0][1] <= hour * 3600.0:
            blocked.pop(0)
        if not (blocked and blocked[0][0] <= hour * 3600.0):  # an hour at 100 % is censored, not zero use
            exposure[index] += weight
        hour, weight, index = hour + 1, weight * growth, (index + 1) % HOURS_PER_WEEK
    observed = [u / e for u, e in zip(used, exposure, strict=True) if e > 0]
    mean = sum(observed) / len(observed) if observed else 0.0
    rates = tuple(u / e if e > 0 else mean for u, e in zip(used, exposure, strict=True))
    profile = Profile(rates)
    if profile.cumulative[-1] <= 0:
        return None
    return Profile(rates, _past_ratios(windows, window_seconds, profile))


def _past_ratios(windows: list[tuple[float, float, float, float]], window_seconds: int,
                 profile: Profile) -> tuple[float, ...]:
    """Actual ÷ usual use of each earlier window seen whole (readings within a day of both ends)."""
    ratios = []
    for first, last, peak, reset in windows:
        start = reset - window_seconds
        if not reset or first - start > 86400 or reset - last > 86400:
            continue
        expected = profile.expected(datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(reset, UTC))
        if expected > 0:
            ratios.append(peak / expected)
    return tuple(ratios)




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
    lookback: timedelta = timedelta(hours=1),
) -> Forecast | None:
    """The forecast of the current window at ``now`` from its recent points (those within
    ``lookback`` and the one before them suffice) and, for long windows, the profile."""
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
    amount_until, low_high = _model(result, window, now, start, elapsed, window_seconds, profile)
    expected = amount_until(reset_at)
    result.projected = min(100.0, used + expected)
    result.expected_rate = expected / hours_left
    sigma = outlook.spread(expected, hours_left * 3600.0 / window_seconds, low_high)
    result.run_out_probability = outlook.run_out_probability(used, expected, sigma)
    result.projected_low, result.projected_high = outlook.range80(used, expected, sigma)
    path = _path(now, reset_at, used, amount_until) if expected > 0 else [(now, used), (reset_at, used)]
    crossing = _crossing(path)
    result.path = [(t, min(100.0, v)) for t, v in path]
    if crossing is not None:
        result.exhausts_at = crossing
    elif result.expected_rate > 0 and remaining / result.expected_rate < MAX_HORIZON_HOURS:
        result.exhausts_at = now + timedelta(hours=remaining / result.expected_rate)
    result.exhausts_before_reset = crossing is not None
    return result


def _model(result: Forecast, window: Sequence[Point], now: datetime, start: datetime, elapsed: float,
           window_seconds: int, profile: Profile | None):  # (amount_until, range factors)
    """Choose the method; return expected use from now until a moment, and the range's factors."""
    used = result.used_percent

    def flat(_t: datetime) -> float:
        return 0.0

    def steady(pace: float):
        return lambda t: pace * max(0.0, (t - now).total_seconds()) / 3600.0

    if window_seconds >= LONG_WINDOW:
        if profile is not None:
            usual_so_far = profile.expected(start, now)
            usual_whole = profile.expected(start, start + timedelta(seconds=window_seconds))
            raw = used / usual_so_far if usual_so_far > 0 else 1.0
            raw = min(max(raw, RATIO_BOUNDS[0]), RATIO_BOUNDS[1])
            weight = min(1.0, usual_so_far / (SHRINK_AT * usual_whole)) if usual_whole > 0 else 0.0
            ratio = 1.0 + (raw - 1.0) * weight
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
        return steady(result.burn_rate), None
    result.method = "thin-evidence"  # active, but no rate yet: nothing projected rather than a guess
    return flat, None


def _range(ratios: Sequence[float]) -> tuple[float, float] | None:
    """Factors on the expected use for the low and high ends, from how past windows varied."""
    if len(ratios) < 2:
        return None
    mean = sum(ratios) / len(ratios)
    if mean <= 0:
        return None
    sd = math.sqrt(sum((r / mean - 1.0) ** 2 for r in ratios) / (len(ratios) - 1))
    return max(0.0, 1.0 - RANGE_Z * sd), 1.0 + RANGE_Z * sd


def naive_projection(points: Sequence[Point], now: datetime, window_seconds: int | None,
                     lookback: timedelta = timedelta(hours=1)) -> float | None:
    """What the old straight line through the last hour said about the used % at the reset (the
    backtest's baseline)."""
    window = current_window([p for p in points if p.at <= now], window_seconds)
    if not window or window[-1].reset_at is None or now >= window[-1].reset_at:
        return None
    recent = [p for p in window if p.at >= now - lookback]
    if len(recent) < 2:
        recent = window[-2:]
    rate = least_squares_rate(recent) or 0.0
    hours = (window[-1].reset_at - now).total_seconds() / 3600.0
    return min(100.0, window[-1].used_percent + rate * hours)
