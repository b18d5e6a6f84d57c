"""The window timeline: one series' stored readings turned into its windows, the single place
where resets are decided (the ledger, charts, daily use, the forecast's history, the backtest,
notifications, pruning and the dashboard all read windows from here).

Readings are kept as they were read; robustness belongs to the derivation:

- **Order does not matter**: readings are sorted by time (then value, then reset time), so
  interleaved sources and duplicates with equal timestamps give the same windows whatever order
  they were stored in.
- **The reset rule**: a new window begins when the reset time moves on by more than the jitter
  tolerance (``jitter_tolerance``) *and* the evidence agrees: use starts again lower than the
  window's peak (``NOISE_POINTS`` below it, or half of it), or the reset time moved later and the
  old one has passed. A move without that evidence is the same window
  with its reset time moved (a redeemed credit, a policy change). A drop in used % with the same
  reset time (within tolerance) is noise: interleaved sessions disagree by a point or two.
- **Robust reset time**: a window's reset time is the median of its first ``ANCHOR_READINGS``
  reset times (since its last move), not the last jittering one.
- **Idle windows**: while a window has shown no use (0 %), its reset time floats with the clock;
  it is no window of its own: every reading joins it until use starts, and the first use is no
  reset.
- **Readings without a reset time** (the older flat session-log form): a new window begins when
  use falls to half the peak or less (and by at least ``FLAT_DROP`` points), or when more than the
  window's length has passed since its first use.
- **A late reading of the previous window** (a session that wrote an older answer after the new
  window began: its reset time is the previous window's) belongs to that window.
- **Derived use is monotone**: within a window, the used % at a moment is the running maximum of
  its readings (``WindowSpan.used_at``), so no burn rate is negative and no day shows more use than
  can happen.
- **Overdue**: the last window whose reset time has passed at ``now`` (no reading shows the next
  window yet) is ``overdue``: its reading is history, not a live figure, and no reset is counted
  until a reading shows the new window.

Pure: readings and ``now`` in, windows out; no database, no clock.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from statistics import median_low

from tracker.points import Point

ANCHOR_READINGS = 3  # a window's reset time is the median of this many of its first reset times
NOISE_POINTS = 3.0  # use "starts again low" when it falls at least this far below the peak (or to half)
FLAT_DROP = 3.0  # without reset times, a fall to half the peak and by at least this much is a reset

ENDINGS = ("open", "on time", "early", "late", "moved later", "moved earlier", "overdue", "unknown")


def jitter_tolerance(window_seconds: int | None) -> float:
    """Seconds two reset times of one window may differ by: 10 % of the window's length, at least a
    minute, at most 30 minutes (5 minutes when the length is unknown). Reset times are computed by
    the service as now + remaining seconds and jitter by seconds, sometimes a minute; a real move
    (a new window, a redeemed credit) is hours."""
    if not window_seconds:
        return 300.0
    return min(1800.0, max(60.0, window_seconds * 0.1))


@dataclass(frozen=True)
class Move:
    """The window's announced reset time moved within the window (no new window began)."""

    before: Point  # the last reading with the old reset time
    after: Point  # the first reading with the new one
    old_reset: datetime
    new_reset: datetime


@dataclass(frozen=True)
class WindowSpan:
    readings: tuple[Point, ...]  # every stored reading of this window, time order (nothing dropped)
    start: datetime  # first reading's time
    end: datetime  # last reading's time
    reset_at: datetime | None  # robust announced reset time (median of the first readings' since the last move)
    peak: float  # highest derived used % (running maximum)
    reached_limit_at: datetime | None  # first reading at >= 100 %
    blocked_seconds: float  # time at 100 %: from reached_limit_at to the reset (or to now / the last reading while open)
    ending: str  # one of ENDINGS
    announced_reset_at: datetime | None = None  # the reset time the window first announced (before any move)
    moves: tuple[Move, ...] = ()
    started_at: datetime | None = None  # the first reading above 0 % (None: an idle window)
    # the readings the derivation rests on, which pruning keeps: the first and last, the last before
    # the next window, the first at the peak, the first at 100 %, the first ANCHOR_READINGS after the
    # start and after every move, the readings on both sides of a move, late readings of this window
    key_readings: tuple[Point, ...] = ()
    _times: tuple[float, ...] = field(default=(), repr=False, compare=False)
    _running: tuple[float, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        running, best = [], -math.inf
        for p in self.readings:
            best = max(best, p.used_percent)
            running.append(best)
        object.__setattr__(self, "_times", tuple(p.at.timestamp() for p in self.readings))
        object.__setattr__(self, "_running", tuple(running))

    def used_at(self, t: datetime) -> float:
        """Monotone derived use at ``t``: the highest reading of this window at or before it (0 before
        the first reading)."""
        i = bisect.bisect_right(self._times, t.timestamp())
        return self._running[i - 1] if i else 0.0

    def derived(self) -> list[Point]:
        """The readings with their derived (running maximum) use and the window's robust reset time."""
        return [Point(p.at, used, self.reset_at or p.reset_at)
                for p, used in zip(self.readings, self._running, strict=True)]

    @property
    def closed(self) -> bool:
        return self.ending not in ("open", "overdue")

    @property
    def idle(self) -> bool:
        return self.started_at is None


class _Builder:
    """A window being assembled, reading by reading."""

    def __init__(self, first: Point) -> None:
        self.readings: list[Point] = []
        self.samples: list[float] = []  # reset times (epoch s) since the last move, at most ANCHOR_READINGS
        self.counted = 0  # started readings since the last move (the first ANCHOR_READINGS are kept)
        self.key: dict[int, Point] = {}
        self.moves: list[Move] = []
        self.announced: float | None = None
        self.started: Point | None = None
        self.peak = -math.inf
        self.anchor: float | None = None  # see _anchor: kept up to date by add (read for every reading)
        self.add(first)

    def _anchor(self) -> float | None:
        """The window's robust reset time: the median of its sampled reset times; while idle, the
        last reading's (it floats with the clock)."""
        if self.samples:
            return median_low(self.samples)
        last = self.readings[-1].reset_at if self.started is None else None
        return last.timestamp() if last else None

    def add(self, p: Point) -> None:
        self.readings.append(p)
        self.peak = max(self.peak, p.used_percent)
        if self.started is None and p.used_percent > 0:
            self.started = p
        if self.started is None:
            self.anchor = self._anchor()
            return
        self.counted += 1
        if self.counted <= ANCHOR_READINGS:
            self.key[id(p)] = p
        if p.reset_at is not None and len(self.samples) < ANCHOR_READINGS:
            self.key[id(p)] = p
            self.samples.append(p.reset_at.timestamp())
            if self.announced is None:
                self.announced = self.samples[0]
            self.anchor = self._anchor()
        elif len(self.readings) == 1 or self.started is p:
            self.anchor = self._anchor()

    def move_to(self, p: Point) -> None:
        old = self.anchor
        self.moves.append(Move(self.readings[-1], p, _dt(old, p), p.reset_at))
        self.key[id(self.readings[-1])] = self.readings[-1]
        self.samples, self.counted = [], 0
        self.anchor = self._anchor()
        self.add(p)
        self.key[id(p)] = p


def _dt(ts: float | None, like: Point) -> datetime | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, like.at.tzinfo)


def _sort_key(p: Point) -> tuple:
    return (p.at, p.used_percent, p.reset_at.timestamp() if p.reset_at else -math.inf)


def _low(b: Point, peak: float) -> bool:
    """Use started again low: below the peak by NOISE_POINTS, or at half of it or less."""
    return b.used_percent < peak and b.used_percent <= max(peak - NOISE_POINTS, peak / 2)


def _decide(w: _Builder, b: Point, window_seconds: int | None, tol: float) -> str:
    """'join', 'move' or 'new' for reading ``b`` after window ``w``."""
    if w.started is None:
        return "join"  # an idle window: its reset time floats; the first use is no reset
    anchor = w.anchor
    t = b.at.timestamp()
    if anchor is not None and b.reset_at is not None:
        delta = b.reset_at.timestamp() - anchor
        if abs(delta) <= tol:
            return "join"  # a drop with the same reset time is noise
        if _low(b, w.peak) or (delta > 0 and t >= anchor - tol):
            return "new"
        return "move"
    if anchor is not None:  # a reading without a reset time in a window that has one
        return "new" if t >= anchor + tol and _low(b, w.peak) else "join"
    if b.used_percent <= w.peak / 2 and w.peak - b.used_percent >= FLAT_DROP:
        return "new"
    if window_seconds and t - w.started.at.timestamp() > window_seconds + tol:
        return "new"
    return "join"


def _stale(prev: _Builder | None, cur: _Builder, b: Point, tol: float) -> bool:
    """A late reading of the previous window: its reset time is that window's, not this one's."""
    if prev is None or b.reset_at is None or prev.anchor is None:
        return False
    r = b.reset_at.timestamp()
    here = cur.anchor
    return abs(r - prev.anchor) <= tol and (here is None or abs(r - here) > tol)


def build_timeline(points: Sequence[Point], window_seconds: int | None,
                   now: datetime | None = None) -> list[WindowSpan]:
    """The series' windows, oldest first (input order does not matter)."""
    ordered = sorted(points, key=_sort_key)
    if not ordered:
        return []
    tol = jitter_tolerance(window_seconds)
    builders = [_Builder(ordered[0])]
    for b in ordered[1:]:
        cur = builders[-1]
        prev = builders[-2] if len(builders) > 1 else None
        if _stale(prev, cur, b, tol):
            prev.add(b)
            prev.key[id(b)] = b
            continue
        decision = _decide(cur, b, window_seconds, tol)
        if decision == "new":
            builders.append(_Builder(b))
        elif decision == "move":
            cur.move_to(b)
        else:
            cur.add(b)
    spans = []
    for i, w in enumerate(builders):
        following = builders[i + 1] if i + 1 < len(builders) else None
        spans.append(_span(w, following, tol, now))
    return spans


def _ending(w: _Builder, reset: float | None, following: _Builder | None, tol: float,
            now: datetime | None) -> str:
    if following is None:
        return "overdue" if now is not None and reset is not None and now.timestamp() >= reset else "open"
    if reset is None:
        return "unknown"
    if following.readings[0].at.timestamp() < reset - tol:
        return "early"
    if w.readings[-1].at.timestamp() > reset + tol:
        return "late"
    if w.moves and w.announced is not None:
        return "moved later" if reset > w.announced else "moved earlier"
    return "on time"


def _span(w: _Builder, following: _Builder | None, tol: float, now: datetime | None) -> WindowSpan:
    readings = w.readings
    reset = w.anchor
    reached = next((p.at for p in readings if p.used_percent >= 100.0), None)
    ending = _ending(w, reset, following, tol, now)
    blocked = 0.0
    if reached is not None:
        if following is None and ending == "open":
            until = min(now.timestamp(), reset) if now is not None and reset is not None else (
                now or readings[-1].at).timestamp()
        else:
            until = reset if reset is not None else readings[-1].at.timestamp()
            if following is not None:
                until = min(until, following.readings[0].at.timestamp())
        blocked = max(0.0, until - reached.timestamp())
    key = dict(w.key)
    cut = following.readings[0].at if following is not None else None
    before_next = [p for p in readings if cut is None or p.at <= cut]
    for p in (readings[0], readings[-1], before_next[-1], _first_at_max(readings), _first_at_max(before_next)):
        key[id(p)] = p
    if reached is not None:
        first_full = next(p for p in readings if p.used_percent >= 100.0)
        key[id(first_full)] = first_full
    return WindowSpan(
        readings=tuple(readings), start=readings[0].at, end=readings[-1].at, reset_at=_dt(reset, readings[0]),
        peak=max(w.peak, 0.0), reached_limit_at=reached, blocked_seconds=blocked, ending=ending,
        announced_reset_at=_dt(w.announced, readings[0]), moves=tuple(w.moves),
        started_at=w.started.at if w.started else None,
        key_readings=tuple(sorted(key.values(), key=_sort_key)),
    )


def _first_at_max(readings: Sequence[Point]) -> Point:
    best = readings[0]
    for p in readings:
        if p.used_percent > best.used_percent:
            best = p
    return best


def current_span(spans: Sequence[WindowSpan]) -> WindowSpan | None:
    return spans[-1] if spans else None


def daily_use(spans: Sequence[WindowSpan], tz: tzinfo) -> dict[date, float]:
    """Percentage points used per local day: the rises of each window's running maximum. A window
    after a reset counts its first reading from zero; the series' first window only its rises (its
    earlier use was not seen)."""
    totals: dict[date, float] = {}
    for i, span in enumerate(spans):
        level = None if i == 0 else 0.0
        for p in span.readings:
            if level is None:
                level = p.used_percent
                continue
            if p.used_percent > level:
                day = p.at.astimezone(tz).date()
                totals[day] = totals.get(day, 0.0) + (p.used_percent - level)
                level = p.used_percent
    return totals


def resets_between(spans: Sequence[WindowSpan], since: datetime, until: datetime) -> list[WindowSpan]:
    """The windows that began (after a reset seen) within [since, until]: every span but the first."""
    return [s for s in spans[1:] if since <= s.start <= until]


def is_overdue(span: WindowSpan, now: datetime) -> bool:
    """The overdue rule every view uses (the report's ``live``, check, notify, status, the ledger,
    the charts): the window's robust reset time has passed at ``now`` and no reading shows the next
    window. Its reading is history: no alert, no headroom, no reset counted until one is read."""
    return span.reset_at is not None and now >= span.reset_at


def window_at(spans: Sequence[WindowSpan], t: datetime) -> WindowSpan | None:
    """The window holding the newest reading at or before ``t``."""
    found = None
    for span in spans:
        if span.start <= t:
            found = span
    return found
