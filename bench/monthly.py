"""The monthly window's forecast: learned from three months (two-month half-life) vs as a week
(four weeks, a fortnight), on simulated 30-day windows.

    python bench/monthly.py [--seeds 8]

Six months of hourly readings per seed: weekday office hours, 80 % of hours worked, a weekly
intensity between 0.6x and 1.4x, monthly windows reaching 40-100 %. The last three months are
replayed every 12 h (``tracker.insight.backtest.replay``): mean absolute error at the reset, the
80 % range's coverage and width, and the late verdicts (last 48 h) that were right.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import options  # noqa: E402

MONTH = 30 * 86400


def series(seed: int, months: int = 6):
    from tracker.points import Point

    rnd = random.Random(seed)
    start = datetime(2026, 3, 2, tzinfo=UTC)
    points, used, intensity = [], 0.0, 1.0
    for hour in range(months * 30 * 24):
        at = start + timedelta(hours=hour)
        if hour % (30 * 24) == 0:
            used = 0.0
        if hour % (7 * 24) == 0:
            intensity = rnd.uniform(0.6, 1.4)
        if at.weekday() < 5 and 9 <= at.hour < 18 and rnd.random() < 0.8:
            used = min(100.0, used + 0.42 * intensity * rnd.uniform(0.5, 1.5))
        points.append(Point(at, round(used, 1), start + timedelta(days=30 * (hour // (30 * 24) + 1))))
    return points, start


def score(seeds: int) -> dict:
    from tracker.insight.backtest import replay

    errors, covered, widths, late = [], [], [], []
    for seed in range(seeds):
        points, start = series(seed)
        for s in replay(points, MONTH, start + timedelta(days=90), start + timedelta(days=179), timedelta(hours=12)):
            errors.append(abs(s.projected - s.actual))
            if s.low is not None and s.high is not None:
                covered.append(s.low <= s.actual <= s.high)
                widths.append(s.high - s.low)
            if s.late and s.clear:
                late.append(s.runs_out == (s.actual >= 100))
    return {"steps": len(errors), "error": sum(errors) / len(errors), "coverage": sum(covered) / len(covered),
            "width": sum(widths) / len(widths), "late_right": sum(late) / max(1, len(late)), "late": len(late)}


def main() -> None:
    from tracker.insight import backtest, usual_week

    args = options(__doc__, seeds=8)
    results = {"monthly (3 months, 60 d half-life)": score(args.seeds)}
    scaled = backtest.history_for, usual_week.half_life_days
    backtest.history_for = lambda seconds: usual_week.HISTORY
    usual_week.half_life_days = lambda seconds: usual_week.HALF_LIFE_DAYS
    try:
        results["as a week (4 weeks, 14 d half-life)"] = score(args.seeds)
    finally:
        backtest.history_for, usual_week.half_life_days = scaled
    for label, r in results.items():
        print(f"{label}: {r['steps']} steps, error at reset {r['error']:.2f} pts, 80 % range covers "
              f"{100 * r['coverage']:.0f} % (mean width {r['width']:.1f} pts), late verdicts right "
              f"{100 * r['late_right']:.0f} % of {r['late']}")


if __name__ == "__main__":
    main()
