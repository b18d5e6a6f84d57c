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

When that price changed is ``tracker.insight.limit_changes``.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
MIN_DAY_RISE = {"five_hour": 6.0, "weekly": 1.5, "monthly": 1.0}  # a day's price enters the change test from this rise
MIN_SHARE = 0.6  # below this share of the rise explained by local tokens, no price is given
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


def days_of(items: Sequence[Interval]) -> dict[datetime, list[Interval]]:
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
    daily = [combined(_sum(day)) / r for day in days_of(local).values()
             if (r := sum(i.rise for i in day)) >= MIN_DAY_RISE.get(kind, 1.5)]
    if len(daily) >= 3:
        figures.spread = (*_quartiles(daily), len(daily))
    return figures


def _sum(items: Sequence[Interval]) -> TokenCounts:
    total = TokenCounts()
    for i in items:
        total = _plus(total, i.tokens)
    return total
