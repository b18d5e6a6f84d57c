"""What one percent of a window is worth in tokens, and when that changed (``tracker limits``).

Pure: a window's readings (``Point``), the account's token uses from session logs (time, counts)
and ``now`` in, figures out. Between two readings of one window (never across a reset) the rise
of its derived use is set against the tokens the session logs counted in that interval:

- **local** intervals carry tokens and are at most ``GAP`` long: their tokens and rise give the
  price of one percent (tokens per percent, input, cached input and output apart, and
  ``combined`` with ``WEIGHTS``);
- intervals without local tokens that still rise are use from elsewhere (another machine, the
  web); longer intervals with tokens are explained only up to what their tokens buy at the
  local price. What is explained, over the whole rise, is the **explained share**.

A week's figure stays silent (``weak`` says why) when its local rise is too small for whole-
percent steps to mean anything, or when local tokens explain too little of the rise.

A **change in the limit** is found on daily prices (log tokens per percent of each day with
enough local rise): the split of the days into a before and an after that fits best (least
absolute deviation from each side's median), accepted only when the ratio is clear
(``CHANGE_RATIO``, for the medians and the pooled sums), the robust z high (``CHANGE_Z``), the
days after it all on the new side, and both sides rest on enough days and percent;
each side is searched again for further changes. Its moment is bracketed by whole days: the
last reading of the last day at the old price and the first of the first day at the new one.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import median

from tracker.insight.timeline import build_timeline
from tracker.points import Point
from tracker.records import TokenCounts
from tracker.timeutil import iso_utc

# Combined tokens, in uncached-input equivalents: the GPT-5 API's price ratios (input $1.25,
# cached input $0.125, output $10 per million). Reasoning is part of output (as Codex counts it).
WEIGHTS = {"input": 1.0, "cached_input": 0.1, "output": 8.0}
GAP = timedelta(minutes=30)  # an interval with tokens at most this long is local use only
WEEK = timedelta(days=7)
MIN_RISE = {"five_hour": 20.0, "weekly": 5.0, "monthly": 3.0}  # local percentage points a week's price needs
MIN_SHARE = 0.6  # below this share of the rise explained by local tokens, no price is given
MIN_DAY_RISE = {"five_hour": 6.0, "weekly": 1.5, "monthly": 1.0}  # a day's price enters the change test from this rise
MIN_DAYS = (3, 2)  # days with a price before and after a change
CHANGE_RATIO = 1.35  # a change is at least this factor either way ...
CHANGE_Z = 4.5  # ... and this many robust standard errors
NOISE_FLOOR = 0.05  # log-price scatter assumed at least (identical days are no infinite evidence)
FIELDS = ("input", "cached_input", "output", "reasoning_output")


def combined(c: TokenCounts) -> float:
    """Uncached-input equivalents of the counts (``WEIGHTS``; input includes cached input)."""
    return ((c.input - c.cached_input) * WEIGHTS["input"] + c.cached_input * WEIGHTS["cached_input"]
            + c.output * WEIGHTS["output"])


def _plus(a: TokenCounts, b: TokenCounts) -> TokenCounts:
    return TokenCounts(*(getattr(a, f) + getattr(b, f) for f in FIELDS))


@dataclass(frozen=True)
class Interval:
    """Two consecutive readings of one window: its rise and the local tokens in (start, end]."""

    start: datetime
    end: datetime
    rise: float
    tokens: TokenCounts

    @property
    def local(self) -> bool:
        return self.end - self.start <= GAP and self.tokens.input + self.tokens.output > 0

    @property
    def weighted(self) -> float:
        return combined(self.tokens)


class _Uses:
    """Token uses by time, summed over any interval by prefix sums."""

    def __init__(self, uses: Sequence[tuple[datetime, TokenCounts]]) -> None:
        ordered = sorted(uses, key=lambda u: u[0])
        self.times = [u[0] for u in ordered]
        self.sums = [TokenCounts()]
        for _, counts in ordered:
            self.sums.append(_plus(self.sums[-1], counts))

    def between(self, start: datetime, end: datetime) -> TokenCounts:
        """The tokens used in (start, end]."""
        return self.sums[bisect_right(self.times, end)].minus(self.sums[bisect_right(self.times, start)])


def intervals(points: Sequence[Point], window_seconds: int | None,
              uses: Sequence[tuple[datetime, TokenCounts]]) -> list[Interval]:
    """Consecutive readings of each window of the timeline (none across a reset), time order."""
    counted = _Uses(uses)
    result = []
    for span in build_timeline(points, window_seconds):
        derived = span.derived()
        for before, after in zip(derived, derived[1:], strict=False):
            if after.at > before.at:
                result.append(Interval(before.at, after.at, max(0.0, after.used_percent - before.used_percent),
                                       counted.between(before.at, after.at)))
    return sorted(result, key=lambda i: i.end)


def _price(tokens: TokenCounts, rise: float) -> dict[str, float]:
    per = {name: getattr(tokens, name) / rise for name in FIELDS}
    return {**{k: round(v) for k, v in per.items()}, "combined": round(combined(tokens) / rise)}


def _quartiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        x = q * (len(ordered) - 1)
        low = math.floor(x)
        return ordered[low] + (ordered[min(low + 1, len(ordered) - 1)] - ordered[low]) * (x - low)

    return at(0.25), at(0.75)


@dataclass
class WeekFigures:
    """One week's price of one percent of a window."""

    start: datetime
    end: datetime
    rise: float  # percentage points the window rose (every interval)
    local_rise: float  # ... in local intervals
    tokens: TokenCounts  # local tokens
    per_percent: dict[str, float] | None  # tokens per percent (input, cached input, output, reasoning, combined)
    spread: tuple[float, float, int] | None  # quartiles of the days' combined price, and how many days
    explained_share: float | None  # of the rise, what local tokens explain
    weak: str | None = None  # why no price is given

    def as_dict(self) -> dict:
        return {"start": iso_utc(self.start), "end": iso_utc(self.end), "percent": round(self.rise, 2),
                "local_percent": round(self.local_rise, 2),
                "tokens": {name: getattr(self.tokens, name) for name in FIELDS},
                "tokens_per_percent": self.per_percent,
                "spread": None if self.spread is None else {"low": round(self.spread[0]), "high": round(self.spread[1]),
                                                            "days": self.spread[2]},
                "explained_share": None if self.explained_share is None else round(self.explained_share, 3),
                "weak": self.weak}


def _days(items: Sequence[Interval]) -> dict[datetime, list[Interval]]:
    days: dict[datetime, list[Interval]] = {}
    for i in items:
        day = i.end.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        days.setdefault(day, []).append(i)
    return days


def week_figures(items: Sequence[Interval], kind: str, start: datetime, end: datetime) -> WeekFigures:
    """The price of one percent over the intervals ending in (start, end]."""
    mine = [i for i in items if start < i.end <= end]
    local = [i for i in mine if i.local]
    rise = sum(i.rise for i in mine)
    local_rise = sum(i.rise for i in local)
    tokens = TokenCounts()
    for i in local:
        tokens = _plus(tokens, i.tokens)
    figures = WeekFigures(start, end, rise, local_rise, tokens, None, None, None)
    if not local or combined(tokens) <= 0:
        figures.weak = "no local token counts" if rise or mine else "no readings"
        return figures
    if local_rise < MIN_RISE.get(kind, MIN_RISE["weekly"]):
        figures.weak = f"only {local_rise:g} % of local rise (needs {MIN_RISE.get(kind, MIN_RISE['weekly']):g})"
        return figures
    price = combined(tokens) / local_rise
    explained = local_rise + sum(min(i.rise, i.weighted / price) for i in mine if not i.local and i.weighted > 0)
    figures.explained_share = min(1.0, explained / rise) if rise else None
    if figures.explained_share is not None and figures.explained_share < MIN_SHARE:
        figures.weak = (f"local tokens explain {100 * figures.explained_share:.0f} % of the rise: "
                        "use elsewhere moves the window")
        return figures
    figures.per_percent = _price(tokens, local_rise)
    daily = [combined(_sum(day)) / r for day in _days(local).values()
             if (r := sum(i.rise for i in day)) >= MIN_DAY_RISE.get(kind, 1.5)]
    if len(daily) >= 3:
        figures.spread = (*_quartiles(daily), len(daily))
    return figures


def _sum(items: Sequence[Interval]) -> TokenCounts:
    total = TokenCounts()
    for i in items:
        total = _plus(total, i.tokens)
    return total


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
    for start, day in sorted(_days(local).items()):
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
