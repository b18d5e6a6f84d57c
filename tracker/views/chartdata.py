"""Plain data for charts, read from the store: lines split at resets and gaps, projections,
daily consumption. No matplotlib here, so the drawing code can be tested without a database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from tracker.errors import NoDataError
from tracker.insight.timeline import build_timeline
from tracker.insight.windows import daily_consumption
from tracker.kinds import MAIN_LIMIT, MONTHLY, WEEKLY
from tracker.points import Point, SeriesKey

MIN_GAP = timedelta(minutes=20)
BLOCKED_REACH = timedelta(hours=6)  # a blocked line is shaded on to the next reading up to this far


@dataclass
class KindSeries:
    """One window kind of one account over the chart's period."""

    account: str
    kind: str
    lines: list[list[tuple[datetime, float]]]  # drawn separately: a new list at every reset or gap
    resets: list[datetime]  # moments a window ended within the period
    projection: list[tuple[datetime, float]] = field(default_factory=list)  # dashed continuation
    next_reset: datetime | None = None
    exhausts_before_reset: bool = False

    @property
    def blocked(self) -> list[tuple[datetime, datetime]]:
        """Spans at 100 % used: from the first reading at 100 to the next reading below it (the
        reset), or to the line's last reading."""
        return blocked_spans(self.lines)


@dataclass
class ChartData:
    accounts: list[str]
    series: list[KindSeries]
    daily: dict[str, dict[date, float]]  # account -> local day -> percentage points of the week used
    start: datetime
    end: datetime
    tz: tzinfo
    tz_name: str
    last_snapshot_at: datetime | None
    title: str = "Codex usage"
    now: datetime | None = None  # drawn as a line when within the period
    daily_kinds: dict[str, str] = field(default_factory=dict)  # account -> the window daily use is from

    @property
    def daily_label(self) -> str:
        """"weekly", "monthly" or "weekly or monthly": what the daily panel sums."""
        kinds = set(self.daily_kinds.values()) or {"weekly"}
        return "weekly" if kinds == {"weekly"} else "monthly" if kinds == {"monthly"} else "weekly or monthly"


def gap_threshold(points: list[Point]) -> timedelta:
    """Three typical collection intervals (at least 20 minutes): a longer silence is a gap."""
    if len(points) < 3:
        return MIN_GAP
    deltas = sorted((b.at - a.at) for a, b in zip(points, points[1:], strict=False))
    return max(MIN_GAP, 3 * deltas[len(deltas) // 2])


def blocked_spans(lines: list[list[tuple[datetime, float]]]) -> list[tuple[datetime, datetime]]:
    spans = []
    for i, line in enumerate(lines):
        start = None
        for at, used in line:
            if used >= 100 and start is None:
                start = at
            elif used < 100 and start is not None:
                spans.append((start, at))
                start = None
        if start is not None:  # blocked to the end of the line: until the next line starts, if soon
            following = lines[i + 1][0][0] if i + 1 < len(lines) else None
            soon = following is not None and following - line[-1][0] <= BLOCKED_REACH
            spans.append((start, following if soon else line[-1][0]))
    return [s for s in spans if s[1] > s[0]]


def split_lines(points: list[Point], window_seconds: int | None) -> tuple[list[list[tuple[datetime, float]]], list[datetime]]:
    """The timeline's windows as lines of derived use (the running maximum: interleaved readings do
    not zigzag), broken at every reset and every gap; and the reset moments (the old window's
    robust reset time, or the new window's first reading when that time is not between them). A
    late reading of a window after the next one began is not drawn back in time."""
    lines: list[list[tuple[datetime, float]]] = []
    resets: list[datetime] = []
    threshold = gap_threshold(sorted(points, key=lambda p: p.at))
    spans = build_timeline(points, window_seconds)
    for i, span in enumerate(spans):
        following = spans[i + 1].start if i + 1 < len(spans) else None
        if i > 0:
            prev, stated = spans[i - 1], spans[i - 1].reset_at
            last_old = max(p.at for p in prev.readings if p.at <= span.start)
            resets.append(stated if stated and last_old <= stated <= span.start else span.start)
        current: list[tuple[datetime, float]] = []
        for point in span.derived():
            if following is not None and point.at > following:
                break
            if current and point.at - current[-1][0] > threshold:
                lines.append(current)
                current = []
            current.append((point.at, point.used_percent))
        lines.append(current)
    return lines, resets


def build_chart_data(
    store, names: tuple[str, ...], since: datetime, until: datetime, kinds: tuple[str, ...],
    tz: tzinfo, tz_name: str, now: datetime, lookback: timedelta = timedelta(hours=1),
) -> ChartData:
    states = [s for s in store.account_states(names, until) if s.last_snapshot_at]
    unknown = set(names) - {s.name for s in states}
    if unknown:
        raise NoDataError(f"no data for {', '.join(sorted(unknown))}: run `tracker collect` for it first")
    series: list[KindSeries] = []
    daily: dict[str, dict[date, float]] = {}
    daily_kinds: dict[str, str] = {}
    for state in states:
        for key in state.series:
            if key.limit != MAIN_LIMIT or key.kind not in kinds:
                continue
            points = store.points(key, since, until)
            if not points:
                continue
            lines, resets = split_lines(points, key.window_seconds)
            item = KindSeries(state.name, key.kind, lines, resets)
            if until >= now - lookback:  # the period reaches the present: project the current window
                _add_projection(item, store, key, points, until, lookback, tz)
            series.append(item)
            if key.kind == WEEKLY or (key.kind == MONTHLY and state.name not in daily):  # a week wins
                daily[state.name] = daily_consumption(points, key.window_seconds, tz)
                daily_kinds[state.name] = key.kind
    if not series:
        raise NoDataError(
            f"no snapshots between {since:%Y-%m-%d %H:%M} and {until:%Y-%m-%d %H:%M} UTC: "
            "widen --last/--since, or run `tracker collect`"
        )
    accounts = sorted({s.account for s in series})
    last = max((s.last_snapshot_at for s in states if s.name in accounts), default=None)
    return ChartData(accounts, series, daily, since, until, tz, tz_name, last, now=now, daily_kinds=daily_kinds)


def _add_projection(item: KindSeries, store, key: SeriesKey, points: list[Point], now: datetime,
                    lookback: timedelta, tz: tzinfo | None = None) -> None:
    """The forecast's expected path from the last reading to the reset (it bends with the usual
    daily pattern), cut where it reaches 100 %."""
    from tracker.insight.forecast import forecast_window
    from tracker.insight.profile import window_profile

    if not points:
        return
    figures = forecast_window(points, now, key.window_seconds, window_profile(store, key, points[-1], tz), lookback)
    if figures is None or figures.reset_since_last_snapshot:
        return
    item.next_reset = figures.reset_at
    if not figures.path or figures.used_percent >= 100 or figures.projected == figures.used_percent:
        return
    path = [(figures.last_at, figures.used_percent)] + figures.path[1:]
    if figures.exhausts_before_reset and figures.exhausts_at:
        path = [p for p in path if p[0] < figures.exhausts_at] + [(figures.exhausts_at, 100.0)]
        item.exhausts_before_reset = True
    item.projection = path
