"""``tracker backtest``: replay the stored history and score what the forecast would have said.

At every step it asks the forecast with only the readings up to that moment (and, for long
windows, the profile of the weeks before that window, in the person's zone), then compares with
what happened: where the window stood at its reset, and whether it ran out. The window's plain
average pace (used ÷ elapsed, carried to the reset) is scored side by side as the baseline, so
anyone can see on their own data how much the forecast is worth.

``replay`` is pure (points in, steps out); ``run_backtest`` reads the store with bounded queries:
hourly aggregates for long windows, raw readings only for the five-hour ones.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from tracker.insight.forecast import (
    LONG_WINDOW,
    MAX_WINDOW_SECONDS,
    average_projection,
    forecast_window,
)
from tracker.insight.timeline import build_timeline
from tracker.insight.usual_week import build_profile, grid_sample, history_for
from tracker.kinds import MAIN_LIMIT
from tracker.points import Point, SeriesKey
from tracker.render import table

LATE = timedelta(hours=48)  # verdicts are scored in the last 48 h before a reset (or the whole window)
RAN_OUT = 100.0
CLEARLY_LASTED = 85.0  # a verdict is scored only where the outcome is clear: 100 %, or at most this


@dataclass(frozen=True)
class Step:
    at: datetime
    reset_at: datetime
    projected: float
    baseline: float  # the window-average pace's projection
    actual: float  # where the window stood at its reset
    method: str
    late: bool
    runs_out: bool  # the forecast's verdict
    baseline_runs_out: bool
    probability: float | None = None  # run_out_probability
    low: float | None = None  # the 80 % range
    high: float | None = None

    @property
    def clear(self) -> bool:
        return self.actual >= RAN_OUT or self.actual <= CLEARLY_LASTED


@dataclass
class SeriesScore:
    """The steps of one account's window kind, and their summary."""

    key: SeriesKey
    steps: list[Step] = field(default_factory=list)

    @property
    def windows(self) -> int:
        return len({s.reset_at for s in self.steps})

    @property
    def mae(self) -> float | None:
        return _mean([abs(s.projected - s.actual) for s in self.steps])

    @property
    def baseline_mae(self) -> float | None:
        return _mean([abs(s.baseline - s.actual) for s in self.steps])

    @property
    def judged(self) -> list[Step]:
        """The late steps whose outcome was clear and still open (a window already at 100 % is
        no forecast: scoring it would flatter every method alike)."""
        return [s for s in self.steps if s.late and s.clear and s.method != "exhausted"]

    @property
    def verdicts_right(self) -> float | None:
        return _mean([float(s.runs_out == (s.actual >= RAN_OUT)) for s in self.judged])

    @property
    def baseline_verdicts_right(self) -> float | None:
        return _mean([float(s.baseline_runs_out == (s.actual >= RAN_OUT)) for s in self.judged])

    @property
    def brier(self) -> float | None:
        """Mean squared error of run_out_probability on the late, clear steps (0 is perfect)."""
        return _mean([(s.probability - (s.actual >= RAN_OUT)) ** 2 for s in self.judged if s.probability is not None])

    @property
    def baseline_brier(self) -> float | None:
        """The same for the baseline's verdict taken as certain (0 or 1): its share of wrong verdicts."""
        return _mean([float(s.baseline_runs_out != (s.actual >= RAN_OUT)) for s in self.judged])

    @property
    def range_coverage(self) -> float | None:
        """Share of steps whose truth at the reset fell inside the 80 % range (80 % is calibrated)."""
        return _mean([float(s.low - 0.5 <= s.actual <= s.high + 0.5) for s in self.steps if s.low is not None])

    def calibration(self, draws: int = 400) -> list[CalibrationTenth]:
        """How often each tenth of run_out_probability really ran out, over the late answers of
        windows still open whatever their outcome (see ``calibration``)."""
        return calibration(self.steps, draws)

    def flagged(self, ran_out: bool, threshold: float = 0.5) -> float | None:
        """Of the late, clear steps that ran out (recall) or lasted (false alarms): the share at
        p >= ``threshold``."""
        return _mean([float((s.probability or 0.0) >= threshold) for s in self.judged
                      if (s.actual >= RAN_OUT) == ran_out])


@dataclass(frozen=True)
class CalibrationTenth:
    """One tenth of run_out_probability: how many late answers fell in it, from how many windows,
    what they said on average, how many of them really ran out, and the 5th-95th percentile of
    that share when whole windows are drawn again (how sure the share itself is)."""

    low: float
    steps: int
    windows: int
    predicted: float
    ran_out: float
    ran_out_low: float
    ran_out_high: float


def calibration(steps: Sequence[Step], draws: int = 400) -> list[CalibrationTenth]:
    """Per tenth of run_out_probability, over the late answers of windows still open, whatever
    their outcome (not only the clear ones the verdicts are scored on: that selects on the outcome
    and drops the windows that ended at 86-99 %, the very ones a probability near 0.5 is about, so
    any forecast would look under-confident there). A window spends many steps in one tenth, so
    the interval draws whole windows again (seeded: the same history gives the same answer);
    with a few dozen windows a tenth, ten points either way is within chance. A probability
    outside [0, 1] (NaN from a damaged reading) is no answer."""
    import random

    tenths: dict[int, dict[tuple, list[Step]]] = {}
    for s in steps:
        if s.probability is not None and 0.0 <= s.probability <= 1.0 and s.late and s.method != "exhausted":
            windows = tenths.setdefault(min(9, int(s.probability * 10)), {})
            windows.setdefault((s.reset_at, s.actual), []).append(s)
    rng = random.Random(21)
    out = []
    for tenth, windows in sorted(tenths.items()):
        groups = [(len(v), sum(x.probability for x in v), sum(x.actual >= RAN_OUT for x in v))
                  for v in windows.values()]
        n = sum(g[0] for g in groups)
        shares = sorted(sum(g[2] for g in sample) / sum(g[0] for g in sample)
                        for sample in (rng.choices(groups, k=len(groups)) for _ in range(draws)))
        out.append(CalibrationTenth(tenth / 10, n, len(groups), sum(g[1] for g in groups) / n,
                                    sum(g[2] for g in groups) / n, shares[int(0.05 * draws)],
                                    shares[int(0.95 * draws) - 1]))
    return out


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _tail(window: list[Point], times: list[datetime], now: datetime, lookback: timedelta) -> list[Point]:
    """The window's readings up to ``now``: those within ``lookback`` and the two before."""
    end = bisect.bisect_right(times, now)
    start = max(0, bisect.bisect_left(times, now - lookback) - 2)
    return window[start:end]


def replay(
    points: Sequence[Point], window_seconds: int, since: datetime, until: datetime, every: timedelta,
    lookback: timedelta = timedelta(hours=1), tz: tzinfo = UTC,
) -> list[Step]:
    """Steps every ``every`` in [since, until] within windows whose end was observed (a later
    window began); each with the forecast (its profile in the zone ``tz``) and the window-average
    baseline from the data up to then."""
    ordered = sorted(points, key=lambda p: p.at)
    spans = build_timeline(ordered, window_seconds)  # the one reset rule
    long = window_seconds >= LONG_WINDOW
    steps: list[Step] = []
    for span in spans[:-1]:  # the last window's outcome is not known yet
        reset_at, window = span.reset_at, list(span.readings)
        if reset_at is None or span.idle or reset_at < since or window[0].at > until:
            continue
        actual = span.peak
        start = reset_at - timedelta(seconds=window_seconds)
        profile = None
        if long:
            # the same readings a report would use: one per grid step over the weeks before
            history = history_for(window_seconds)
            profile = build_profile(grid_sample(ordered, start - history, start), window_seconds, start, tz)
        times = [p.at for p in window]
        # Readings before the window's start (an idle five-hour window's reset time moves along
        # with the clock until first use) belong to no window yet: nothing to forecast there.
        t = max(since, window[0].at, start)
        t = t + (-(t - since)) % every  # on the grid of steps from ``since``
        while t < reset_at and t <= until:
            tail = _tail(window, times, t, lookback)
            days = window[:bisect.bisect_right(times, t)] if long else None  # to tell a burst from a pace
            forecast = forecast_window(tail, t, window_seconds, profile, lookback, days)
            baseline = average_projection(tail, t, window_seconds)
            if forecast is not None and forecast.projected is not None and baseline is not None:
                steps.append(Step(t, reset_at, forecast.projected, baseline, actual, forecast.method or "",
                                  reset_at - t <= min(LATE, timedelta(seconds=window_seconds)),
                                  bool(forecast.exhausts_before_reset), baseline >= RAN_OUT,
                                  forecast.run_out_probability, forecast.projected_low, forecast.projected_high))
            t += every
    return steps


def run_backtest(
    store, names: tuple[str, ...], since: datetime, until: datetime, every: timedelta,
    lookback: timedelta = timedelta(hours=1), tz: tzinfo = UTC,
) -> list[SeriesScore]:
    """Replay every window of the named accounts (all by default) over [since, until], with the
    usual week kept on the clock of ``tz`` (the person's zone)."""
    from tracker.insight.profile import hourly_points

    scores = []
    for state in store.account_states(names, until):
        for key in state.series:
            if not key.window_seconds or key.window_seconds > MAX_WINDOW_SECONDS:
                continue
            span = timedelta(seconds=key.window_seconds)
            if key.window_seconds >= LONG_WINDOW:
                points = hourly_points(store, key, since - span - history_for(key.window_seconds), until + span)
            else:
                points = store.points(key, since - span, until + span)
            steps = replay(points, key.window_seconds, since, until, every, lookback, tz)
            if steps:
                scores.append(SeriesScore(key, steps))
    return scores


def totals(scores: Sequence[SeriesScore]) -> list[SeriesScore]:
    """One score per window kind over all accounts."""
    merged: dict[tuple, SeriesScore] = {}
    for score in scores:
        key = SeriesKey("(all)", score.key.limit, score.key.kind, score.key.window_seconds)
        merged.setdefault((key.limit, key.kind, key.window_seconds), SeriesScore(key)).steps.extend(score.steps)
    return list(merged.values())


def _pct(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def score_json(score: SeriesScore) -> dict:
    return {
        "account": score.key.account, "limit": score.key.limit, "kind": score.key.kind,
        "window_seconds": score.key.window_seconds, "windows": score.windows, "steps": len(score.steps),
        "mean_abs_error_at_reset": _round(score.mae), "baseline_mean_abs_error_at_reset": _round(score.baseline_mae),
        "late_verdicts": len(score.judged), "late_verdicts_right": _round(score.verdicts_right, 4),
        "baseline_late_verdicts_right": _round(score.baseline_verdicts_right, 4),
        "brier": _round(score.brier, 4), "baseline_brier": _round(score.baseline_brier, 4),
        "range80_coverage": _round(score.range_coverage, 4),
        "run_outs_flagged": _round(score.flagged(True), 4), "false_alarms": _round(score.flagged(False), 4),
        "baseline": "window-average",
        "calibration": [{"probability_from": c.low, "probability_to": round(c.low + 0.1, 1), "steps": c.steps,
                         "windows": c.windows, "predicted": round(c.predicted, 4), "ran_out": round(c.ran_out, 4),
                         "ran_out_interval90": [round(c.ran_out_low, 4), round(c.ran_out_high, 4)]}
                        for c in score.calibration()],
    }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def backtest_json(scores: Sequence[SeriesScore], since: datetime, until: datetime, every: timedelta) -> dict:
    from tracker.timeutil import iso_utc

    return {"since": iso_utc(since), "until": iso_utc(until), "every_seconds": int(every.total_seconds()),
            "series": [score_json(s) for s in scores], "totals": [score_json(s) for s in totals(scores)]}


def backtest_table(scores: Sequence[SeriesScore]) -> str:
    """Per account and window: error at reset, late verdicts and calibration, forecast vs the
    window-average baseline."""
    from tracker.kinds import KIND_LABELS

    rows = []
    for score in [*scores, *totals(scores)] if len(scores) > 1 else scores:
        label = KIND_LABELS.get(score.key.kind, score.key.kind)
        if score.key.limit != MAIN_LIMIT:
            label = f"{score.key.limit} {label}"
        rows.append([score.key.account, label, score.windows, len(score.steps), _pct(score.mae),
                     _pct(score.baseline_mae), len(score.judged), _share(score.verdicts_right),
                     _share(score.baseline_verdicts_right), _pct(score.brier, 3), _pct(score.baseline_brier, 3),
                     _share(score.range_coverage)])
    head = ["account", "window", "windows", "steps", "error", "w-avg error", "late verdicts", "right", "w-avg right",
            "brier", "w-avg brier", "in 80% range"]
    return table(head, rows, right=set(range(2, 12)))


def calibration_table(scores: Sequence[SeriesScore]) -> str:
    """Per window kind over all accounts, each tenth of run_out_probability: how many late answers
    said it, from how many windows, and how many of them really ran out (with the interval that
    says how much a few windows can tell)."""
    from tracker.kinds import KIND_LABELS

    rows = []
    for score in totals(scores):
        label = KIND_LABELS.get(score.key.kind, score.key.kind)
        if score.key.limit != MAIN_LIMIT:
            label = f"{score.key.limit} {label}"
        for c in score.calibration():
            rows.append([label, f"{c.low:.1f}-{c.low + 0.1:.1f}", c.steps, c.windows, _share(c.predicted),
                         _share(c.ran_out), f"{_share(c.ran_out_low)}-{_share(c.ran_out_high)}"])
    head = ["window", "said", "answers", "windows", "on average", "ran out", "90% interval"]
    return table(head, rows, right={2, 3, 4, 5, 6})
