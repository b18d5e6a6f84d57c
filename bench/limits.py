"""How fast and how reliably does `tracker limits` see a limit change? Simulated weeks, many seeds.

    python bench/limits.py [--seeds 200] [--weeks 8] [--cached 0.82 0.95] [--factor 0.5] [--daily]

Each seed is a person (tests/fixtures.py ``simulate_use``): work days with sessions, weekends
mostly off, weeks of different intensity, mix and use from elsewhere, days of different models;
the server charges other weights than the tracker's. Two worlds per seed:

- **steady**: ``--weeks`` weeks, no change. A false change is any change reported at the end;
  with ``--daily`` also at the end of every day from week 3 on (what a daily ``notify
  --limit-change`` would have seen, transient splits included).
- **cut**: the same work costs twice the percent from the start of week 6 (both windows halved;
  ``--factor`` for another cut).
  The analysis runs at the end of every day after the cut; the delay is the time from the cut to
  the first run that reports a change with a ratio within x0.7-1.4 of the factor whose bracket holds the cut (within a
  day). Also counted: runs before the cut that report a change (false alarms), and a change
  with the wrong ratio.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


NOTIFY_DAYS = 3  # what notify --limit-change waits for: days at the new price


def _analyse(sessions, kind: str, since, now):
    from tests.fixtures import use_points
    from tracker.insight.limit_changes import window_limits

    five, weekly, uses = use_points(sessions)
    points, seconds = (weekly, 604800) if kind == "weekly" else (five, 18000)
    return window_limits("bench", "codex", kind, seconds, points, uses, since, now)


def run(seeds: int = 200, weeks: int = 8, cached: tuple[float, float] = (0.82, 0.95), factor: float = 0.5,
        daily: bool = False) -> dict:
    from tests.fixtures import LIMITS_T0, simulate_use
    from tracker.insight.limit_changes import window_limits  # noqa: F401  (import cost outside the timing)

    since, end = LIMITS_T0, LIMITS_T0 + timedelta(weeks=weeks)
    cut = LIMITS_T0 + timedelta(weeks=5)
    out: dict = {}
    for kind in ("weekly", "five_hour"):
        false_steady, delays, missed, wrong, early, silent_weeks, weeks_total = 0, [], 0, 0, 0, 0, 0
        daily_runs = daily_alarms = seeds_alarmed = seeds_notified = 0
        notify_delays = []
        for seed in range(seeds):
            steady = simulate_use(seed, weeks, cached_range=cached)
            result = _analyse(steady, kind, since, end)
            false_steady += bool(result.changes)
            if daily:  # what a daily notify run would have said: any change, any day from week 3 on
                found = [_analyse(steady, kind, since, since + timedelta(days=d)).changes
                         for d in range(14, 7 * weeks + 1)]
                alarms = [bool(f) for f in found]
                daily_runs += len(alarms)
                daily_alarms += sum(alarms)
                seeds_alarmed += any(alarms)
                seeds_notified += any(c.evidence["days_after"] >= NOTIFY_DAYS for f in found for c in f)
            silent_weeks += sum(w.per_percent is None for w in result.weeks)
            weeks_total += len(result.weeks)
            world = simulate_use(seed, weeks, cut_at=cut, cached_range=cached, cut_factor=factor)
            early += bool(_analyse(world, kind, since, cut).changes)
            delay = None
            for day in range(1, 7 * (weeks - 5) + 1):
                now = cut + timedelta(days=day)
                found = _analyse(world, kind, since, now).changes
                good = [c for c in found if 0.7 * factor <= c.ratio <= 1.4 * factor
                        and c.last_before_at - timedelta(days=1) <= cut <= c.at + timedelta(days=1)]
                if good and delay is None:
                    delay = day
                if any(c.evidence["days_after"] >= NOTIFY_DAYS for c in good):
                    notify_delays.append(day)
                    break
                wrong += any(not 0.7 * factor <= c.ratio <= 1.4 * factor for c in found)
            if delay is None:
                missed += 1
            else:
                delays.append(delay)
        out[kind] = {"seeds": seeds, "false_change_rate_steady": false_steady / seeds,
                     "false_alarm_before_cut": early / seeds, "detected": len(delays) / seeds,
                     "delay_days_median": median(delays) if delays else None,
                     "delay_days_p90": sorted(delays)[int(0.9 * (len(delays) - 1))] if delays else None,
                     "delay_days_max": max(delays) if delays else None, "missed": missed,
                     "runs_with_a_wrong_ratio": wrong, "silent_week_share": silent_weeks / weeks_total,
                     **({"steady_daily_runs": daily_runs, "steady_daily_runs_with_a_change": daily_alarms,
                         "steady_seeds_ever_alarmed": seeds_alarmed, "steady_seeds_notified": seeds_notified,
                         "notify_delay_days_median": median(notify_delays) if notify_delays else None,
                         "notify_detected": len(notify_delays) / seeds} if daily else {})}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--cached", type=float, nargs=2, default=(0.82, 0.95), metavar=("LOW", "HIGH"),
                        help="the range of the weeks' cached share of input (wider: noisier weeks)")
    parser.add_argument("--factor", type=float, default=0.5, help="what the cut leaves of the limit (0.5: halved)")
    parser.add_argument("--daily", action="store_true",
                        help="also run the steady weeks at the end of every day from week 3 on (a daily notify)")
    args = parser.parse_args()
    for kind, figures in run(args.seeds, args.weeks, tuple(args.cached), args.factor, args.daily).items():
        print(kind, " ".join(f"{k}={v if not isinstance(v, float) else round(v, 3)}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
