"""When the price of one percent of a window changed (``tracker limits``, ``tracker resets``, the
``limit_change`` rule), and a window's weeks and changes together (``window_limits``).

Pure, on the intervals of ``tracker.insight.limits``. A **change in the limit** is found on daily
prices (log tokens per percent of each day with enough local rise): the split of the days into a
before and an after that fits best (least absolute deviation from each side's median), accepted
only when the ratio is clear (``CHANGE_RATIO``, for the medians and the pooled sums), the robust z
high (``CHANGE_Z``), the days after it all on the new side, and both sides rest on enough days and
percent; each side is searched again for further changes. Its moment is bracketed by whole days:
the last reading of the last day at the old price and the first of the first day at the new one.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from tracker.insight.limits import (
    MIN_DAY_RISE,
    MIN_RISE,
    WEEK,
    Interval,
    WeekFigures,
    days_of,
    intervals,
    week_figures,
)
from tracker.points import Point
from tracker.records import TokenCounts
from tracker.timeutil import iso_utc

MIN_DAYS = (3, 2)  # days with a price before and after a change
CHANGE_RATIO = 1.35  # a change is at least this factor either way ...
CHANGE_Z = 4.5  # ... and this many robust standard errors
NOISE_FLOOR = 0.05  # log-price scatter assumed at least (identical days are no infinite evidence)


@dataclass
class LimitChange:
    """The same work costing clearly more (ratio < 1) or fewer (ratio > 1) percent from ``at`` on."""

    account: str
    limit: str
    kind: str
    at: datetime  # the first reading of the first day priced at the new rate
    last_before_at: datetime  # the last reading of the last day at the old one: it took effect in between
    ratio: float  # tokens per percent after / before (a halved limit: about 0.5)
    before: float  # combined tokens per percent before
    after: float
    evidence: dict = field(default_factory=dict)  # tokens, percent and days on each side, the robust z

    def as_dict(self) -> dict:
        return {"account": self.account, "limit": self.limit, "kind": self.kind, "at": iso_utc(self.at),
                "last_before_at": iso_utc(self.last_before_at), "ratio": round(self.ratio, 3),
                "tokens_per_percent_before": round(self.before), "tokens_per_percent_after": round(self.after),
                "evidence": self.evidence}

    def ledger_dict(self) -> dict:
        """As a ``tracker resets --json`` entry: event ``limit_change``, the reset fields null."""
        return {"account": self.account, "limit": self.limit, "kind": self.kind, "event": "limit_change",
                "seen_at": iso_utc(self.at), "last_before_at": iso_utc(self.last_before_at), "used_before": None,
                "used_after": None, "expected_at": None, "new_reset_at": None, "timing": None,
                "reached_limit_at": None, "blocked_seconds": None, "ratio": round(self.ratio, 3),
                "tokens_per_percent_before": round(self.before), "tokens_per_percent_after": round(self.after),
                "evidence": self.evidence}


@dataclass
class _Day:
    start: datetime
    items: list[Interval]
    rise: float
    weighted: float

    @property
    def log_price(self) -> float:
        return math.log(self.weighted / self.rise)


def _split(days: Sequence[_Day], kind: str) -> tuple[int, float] | None:
    """The best split of the days (index of the first after) and its robust z, when it is a change.

    The split is the one with the least absolute deviation from the two sides' medians (a day
    that fits neither side costs wherever it goes, so gap days do not drift to the short side);
    it is a change when its ratio is clear (the medians' and the pooled sums'), its robust z
    high, every day after it on the new side of the midpoint (and 80 % of those before on the
    old side), and both sides rest on enough.
    """
    xs = [d.log_price for d in days]
    best, best_cost = None, math.inf
    for k in range(MIN_DAYS[0], len(days) - MIN_DAYS[1] + 1):
        before, after = xs[:k], xs[k:]
        mb, ma = median(before), median(after)
        cost = sum(abs(x - mb) for x in before) + sum(abs(x - ma) for x in after)
        if cost < best_cost:
            best, best_cost = (k, mb, ma), cost
    if best is None:
        return None
    k, mb, ma = best
    before, after = xs[:k], xs[k:]
    scatter = 1.4826 * median([abs(x - mb) for x in before] + [abs(x - ma) for x in after])
    z = (ma - mb) / (1.2533 * max(scatter, NOISE_FLOOR) * math.sqrt(1 / len(before) + 1 / len(after)))
    floor = MIN_RISE.get(kind, MIN_RISE["weekly"])
    if abs(ma - mb) < math.log(CHANGE_RATIO) or abs(z) < CHANGE_Z:
        return None
    if sum(d.rise for d in days[:k]) < floor or sum(d.rise for d in days[k:]) < floor:
        return None
    pooled = math.log(_price_of(days[k:])[0] / _price_of(days[:k])[0])
    if abs(pooled) < math.log(CHANGE_RATIO):
        return None  # the medians moved, the sums did not: a few odd days, not a new price
    mid, side = (mb + ma) / 2, math.copysign(1, ma - mb)
    if any((x - mid) * side <= 0 for x in after) or sum((x - mid) * side < 0 for x in before) < 0.8 * len(before):
        return None  # every day after on the new side, most before on the old one
    return k, z


def _segments(days: Sequence[_Day], kind: str, depth: int = 0) -> list[tuple[int, float]]:
    """Every accepted split, index into ``days``: the best, then each side searched again."""
    found = _split(days, kind) if depth < 4 else None
    if found is None:
        return []
    k, z = found
    return [*_segments(days[:k], kind, depth + 1), (k, z), *[(k + j, zz) for j, zz in
                                                              _segments(days[k:], kind, depth + 1)]]


def _price_of(days: Sequence[_Day]) -> tuple[float, float, float]:
    weighted, rise = sum(d.weighted for d in days), sum(d.rise for d in days)
    return weighted / rise, weighted, rise


def find_changes(items: Sequence[Interval], account: str, limit: str, kind: str) -> list[LimitChange]:
    """Changes in the price of one percent, oldest first (see the module's docstring)."""
    local = [i for i in items if i.local]
    days = []
    for start, day in sorted(days_of(local).items()):
        rise = sum(i.rise for i in day)
        weighted = sum(i.weighted for i in day)
        if rise >= MIN_DAY_RISE.get(kind, 1.5) and weighted > 0:
            days.append(_Day(start, day, rise, weighted))
    changes = []
    splits = _segments(days, kind)
    bounds = [0, *(k for k, _ in splits), len(days)]
    for n, (k, z) in enumerate(splits):
        before, after = days[bounds[n]:k], days[k:bounds[n + 2]]
        (old, w_old, r_old), (new, w_new, r_new) = _price_of(before), _price_of(after)
        last_before, at = before[-1].items[-1].end, after[0].items[0].end
        changes.append(LimitChange(account, limit, kind, at, last_before, new / old, old, new, {
            "tokens_before": round(w_old), "percent_before": round(r_old, 2), "days_before": len(before),
            "tokens_after": round(w_new), "percent_after": round(r_new, 2), "days_after": len(after),
            "z": round(z, 1)}))
    return changes


@dataclass
class WindowLimits:
    limit: str
    kind: str
    weeks: list[WeekFigures]
    changes: list[LimitChange]
    first_reading_at: datetime | None = None  # the window's first reading ever (None: not known)

    @property
    def shown_weeks(self) -> list[WeekFigures]:
        """The weeks from the window's first reading on: a week that starts before it and holds no
        interval (the weeks before it, and the one holding that lone reading when the next falls in
        the next week) says nothing (a new account under the default 8 weeks showed 7 empty weeks);
        an empty week after it is a gap in the collection, and stays."""
        first = self.first_reading_at
        return [w for w in self.weeks if first is None or w.start >= first or w.weak != "no readings"]

    def as_dict(self) -> dict:
        return {"limit": self.limit, "kind": self.kind,
                "first_reading_at": None if self.first_reading_at is None else iso_utc(self.first_reading_at),
                "weeks": [w.as_dict() for w in self.weeks], "changes": [c.as_dict() for c in self.changes]}


def window_limits(account: str, limit: str, kind: str, window_seconds: int | None, points: Sequence[Point],
                  uses: Sequence[tuple[datetime, TokenCounts]], since: datetime, now: datetime,
                  first_reading_at: datetime | None = None) -> WindowLimits:
    """A window's weekly prices (weeks of 7 days ending at ``now``, newest last) and its changes;
    ``first_reading_at`` (the window's first reading ever, when known) lets a view leave out the
    weeks before it."""
    items = [i for i in intervals(points, window_seconds, uses) if since < i.end <= now]
    count = max(1, math.ceil((now - since) / WEEK))
    weeks = [week_figures(items, kind, now - (n + 1) * WEEK, now - n * WEEK) for n in reversed(range(count))]
    return WindowLimits(limit, kind, weeks, find_changes(items, account, limit, kind), first_reading_at)


def changes_between(found: Sequence[LimitChange], since: datetime, until: datetime) -> list[LimitChange]:
    """The changes that took effect in [since, until]."""
    times = [c.at for c in found]
    return list(found[bisect_left(times, since):bisect_right(times, until)])
