"""Blocked time per account: the spans over a recent period (by default the last 7 days) when a
window of the account's main quota sat at 100 % and Codex refused work, and their total.

Each span is a window's blocked time as the timeline decides it (``WindowSpan.blocked_seconds``,
the same figure as ``tracker resets``): from the window's first reading at 100 % to its reset,
or to the first reading of the next window when that came first, or to ``now`` while still
blocked. Windows overlap (a full week blocks whatever the five-hour window shows), so the
account's total is the length of the union of its windows' spans within the period, never their
sum.

Bounded reads, whatever the size of the history: one statement reads every series' readings at
100 % in the period (a range read per series on the clustered key; usually none: then nothing
else is read), and for each blocked window only its first readings and those from its first full
one to its reset. A report on a year of history
costs what it costs on a week.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.insight.timeline import ANCHOR_READINGS, build_timeline, jitter_tolerance
from tracker.kinds import KINDS, MAIN_LIMIT
from tracker.points import Point, SeriesKey

PERIOD = timedelta(days=7)  # "this week": the last seven days, whatever day they start on
FULL = 100.0


@dataclass(frozen=True)
class BlockedSpan:
    """One window at 100 % within the period (clipped to it)."""

    kind: str
    start: datetime
    end: datetime
    reset_at: datetime | None  # the blocked window's reset time
    open: bool  # still blocked at ``now``

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass
class Blocked:
    """An account's blocked spans in [since, now], oldest first, and the length of their union."""

    since: datetime
    spans: list[BlockedSpan]
    seconds: float


def _episodes(full: Sequence[Point], window_seconds: int | None) -> list[list[Point]]:
    """Readings at 100 % grouped by window: a reset time that moves on beyond the jitter tolerance
    (or a reading without one after readings with one) starts another group."""
    tol = jitter_tolerance(window_seconds)
    groups: list[list[Point]] = []
    for p in full:
        first = groups[-1][0] if groups else None
        same = first is not None and (
            (p.reset_at is None and first.reset_at is None)
            or (p.reset_at is not None and first.reset_at is not None
                and abs((p.reset_at - first.reset_at).total_seconds()) <= tol))
        if same:
            groups[-1].append(p)
        else:
            groups.append([p])
    return groups


def series_blocked(store, key: SeriesKey, since: datetime, now: datetime,
                   full: Sequence[Point] | None = None) -> list[BlockedSpan]:
    """The blocked spans of one series that reach into [since, now] (``full``: its readings at
    100 % in the period, when already read)."""
    full = store.points_at_least(key, since, now, FULL) if full is None else list(full)
    if not full:
        return []
    before = store.points(key, None, since, last=1)  # a window already blocked when the period began
    if before and before[0].used_percent >= FULL and before[0].at < full[0].at:
        full = before + full
    spans: list[BlockedSpan] = []
    for group in _episodes(full, key.window_seconds):
        reset = group[0].reset_at
        tol = timedelta(seconds=jitter_tolerance(key.window_seconds))
        end = min(now, reset + tol) if reset is not None else group[-1].at  # and the next window's first reading
        readings = store.points(key, group[0].at, max(end, group[-1].at))
        if reset is not None and key.window_seconds:  # its first readings in use fix the window's reset time
            opened = reset - timedelta(seconds=key.window_seconds) - tol
            readings = store.points_at_least(key, opened, group[0].at, 0.0, first=ANCHOR_READINGS,
                                             strict=True) + readings
        for window in build_timeline(readings, key.window_seconds, now):
            if window.reached_limit_at is None or not window.blocked_seconds:
                continue
            start = window.reached_limit_at
            stop = start + timedelta(seconds=window.blocked_seconds)
            if stop > since and start < now:
                spans.append(BlockedSpan(key.kind, max(start, since), min(stop, now), window.reset_at,
                                         window.ending == "open" and stop >= now))
    return spans


def union_seconds(spans: Iterable[BlockedSpan]) -> float:
    """The length of the union of the spans (overlapping windows count once)."""
    total, reach = 0.0, None
    for span in sorted(spans, key=lambda s: s.start):
        if reach is None or span.start > reach:
            total += span.seconds
            reach = span.end
        elif span.end > reach:
            total += (span.end - reach).total_seconds()
            reach = span.end
    return total


def full_readings(store, now: datetime, period: timedelta = PERIOD,
                  names: Sequence[str] = ()) -> dict[SeriesKey, list[Point]]:
    """Every account's (or the ``names``') main-quota readings at 100 % in the period, in one
    statement (what a report of many accounts reads first; most series have none)."""
    return store.readings_at_least(MAIN_LIMIT, KINDS, now - period, now, FULL, names)


def account_blocked(store, series: Sequence[SeriesKey], now: datetime, period: timedelta = PERIOD,
                    full: dict[SeriesKey, list[Point]] | None = None) -> Blocked:
    """The blocked spans of the account's main quota (five-hour, weekly and monthly windows) in the
    ``period`` before ``now`` (``full``: ``full_readings`` of the same period, when already read)."""
    since = now - period
    spans: list[BlockedSpan] = []
    for key in series:
        if key.limit == MAIN_LIMIT and key.kind in KINDS:
            spans += series_blocked(store, key, since, now, None if full is None else full.get(key, []))
    spans.sort(key=lambda s: (s.start, s.kind))
    return Blocked(since, spans, union_seconds(spans))
