"""How good is the forecast? Simulated months of one person's use, replayed by the backtest.

    python bench/forecast.py [--seeds 6] [--weeks 10]

Each seed is a person: work days with sessions (a lunch break, some evenings), idle nights,
weekends mostly off, days off, weeks of different intensity (some run out), whole-number percents.
Two ways of reading it: `collect` every 5-10 minutes, and session-log readings only while Codex is
in use. The backtest replays every hour from the third week on and scores the projection of the
used % at reset (mean absolute error) and the late verdicts (runs out / lasts, last 48 h, where the
outcome is clear and still open), for the forecast and for the window's plain average pace
(used ÷ elapsed, carried to the reset). Targets (issue 11): weekly error <= 12 points; late
verdicts right >= 95 %. The population of eight patterns (issue 21) is ``bench/population.py``.
It also times `tracker backtest` (default --since 28d) on the one-year, 50-account database.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

START = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday
STEP = timedelta(minutes=1)
FIVE_H = timedelta(hours=5)
WEEK = timedelta(weeks=1)


def _sessions(rng: random.Random, day: datetime) -> list[tuple[datetime, datetime, float]]:
    """(start, end, intensity) of one day's Codex sessions."""
    weekday = day.weekday()
    out = []

    def add(hour: float, length: float, strength: float) -> None:
        begin = day + timedelta(hours=hour)
        out.append((begin, begin + timedelta(hours=length), strength))

    if weekday < 5 and rng.random() > 0.06:  # a work day (6 % are days off)
        start = rng.gauss(9.0, 0.6)
        add(start, rng.uniform(2.0, 3.5), rng.uniform(0.6, 1.4))
        add(start + rng.uniform(4.0, 4.8), rng.uniform(2.0, 4.0), rng.uniform(0.6, 1.4))
        if rng.random() < 0.25:
            add(rng.uniform(20.0, 21.5), rng.uniform(0.5, 1.5), rng.uniform(0.4, 1.0))
    elif weekday >= 5 and rng.random() < 0.25:
        add(rng.uniform(10.0, 16.0), rng.uniform(0.5, 2.5), rng.uniform(0.3, 1.0))
    return out


def simulate(seed: int, weeks: int) -> tuple[list, list]:
    """Readings (at, five-hour used, its reset, weekly used, its reset) for both ways of reading."""
    rng = random.Random(seed)
    weekly_base = rng.uniform(50, 80)  # a usual week, in weekly %
    five_factor = rng.uniform(5, 9)  # five-hour % per weekly %
    reset_w = START + timedelta(days=rng.randrange(7), hours=rng.randrange(24))
    used_w, used_5, reset_5 = 0.0, 0.0, None
    intensity = 1.0
    polled, logged = [], []
    next_poll = START
    sessions: list = []
    day = START - timedelta(days=1)
    t = START
    end = START + weeks * WEEK
    per_hour = weekly_base / 29.0  # about 29 active hours in a usual week
    while t < end:
        if t >= day + timedelta(days=1):
            day = t.replace(hour=0, minute=0)
            sessions = _sessions(rng, day)
        while t >= reset_w:
            used_w, reset_w = 0.0, reset_w + WEEK
            intensity = rng.choice([0.45, 0.7, 0.85, 1.0, 1.0, 1.15, 1.35, 1.7])
        if reset_5 is not None and t >= reset_5:
            used_5, reset_5 = 0.0, None
        active = next((s for s in sessions if s[0] <= t < s[1]), None)
        if active and used_w < 100 and used_5 < 100:
            use = per_hour * intensity * active[2] * rng.uniform(0.5, 1.5) / 60.0
            if reset_5 is None:
                reset_5 = t + FIVE_H
            used_w = min(100.0, used_w + use)
            used_5 = min(100.0, used_5 + use * five_factor)
        reading = (t, float(round(used_5)), reset_5 or t + FIVE_H, float(round(used_w)), reset_w)
        if t >= next_poll:
            polled.append(reading)
            next_poll = t + timedelta(minutes=rng.randint(5, 10))
        if active and t.minute % 5 == 0:
            logged.append(reading)
        t += STEP
    return polled, logged


def _store_readings(store, name: str, readings: list, source: str) -> None:
    from tracker.kinds import FIVE_HOUR, MAIN_LIMIT, WEEKLY
    from tracker.records import SnapshotRecord, Usage, Window

    records = [SnapshotRecord(name, at, source, Usage([Window(MAIN_LIMIT, FIVE_HOUR, 18000, u5, r5),
                                                       Window(MAIN_LIMIT, WEEKLY, 604800, uw, rw)]))
               for at, u5, r5, uw, rw in readings]
    for i in range(0, len(records), 5000):
        store.add_snapshots(records[i:i + 5000])


def run(seeds: int = 6, weeks: int = 10) -> dict:
    from tracker.insight.backtest import run_backtest, totals
    from tracker.storage.store import Store

    result: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench-forecast-") as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'sim.db'}")
        for seed in range(seeds):
            polled, logged = simulate(seed, weeks)
            _store_readings(store, f"poll-{seed}", polled, "api")
            _store_readings(store, f"log-{seed}", logged, "session-log")
        end = START + weeks * WEEK
        for variant in ("poll", "log"):
            names = tuple(f"{variant}-{s}" for s in range(seeds))
            started = time.perf_counter()
            scores = run_backtest(store, names, START + 2 * WEEK, end, timedelta(hours=1))
            elapsed = time.perf_counter() - started
            for total in totals(scores):
                result[(variant, total.key.kind)] = {
                    "windows": total.windows, "steps": len(total.steps), "mae": total.mae,
                    "base_mae": total.baseline_mae, "late": len(total.judged), "right": total.verdicts_right,
                    "base_right": total.baseline_verdicts_right, "seconds": elapsed,
                    "ran_out": sum(1 for r in {(s.reset_at, s.actual) for s in total.steps} if r[1] >= 100),
                    "brier": total.brier, "base_brier": total.baseline_brier, "coverage": total.range_coverage,
                    "recall": total.flagged(True), "false_alarms": total.flagged(False),
                    "calibration": total.calibration(),
                }
        store.close()
    return result


def time_year_backtest(days: float = 365) -> tuple[float, int]:
    """Seconds for `tracker backtest` (--since 28d, every 1h) on the 50-account bench database."""
    from bench.history import END, build
    from tracker.insight.backtest import run_backtest
    from tracker.storage.store import Store

    path, _ = build(50, days)
    store = Store.open(f"sqlite:///{path}")
    try:
        started = time.perf_counter()
        scores = run_backtest(store, (), END - timedelta(days=28), END, timedelta(hours=1))
        return time.perf_counter() - started, sum(len(s.steps) for s in scores)
    finally:
        store.close()


def calibration_line(label: str, tenths) -> str:
    """One line per window kind: each tenth's predicted -> observed [90 % interval] (windows)."""
    return f"calibration {label}: " + ", ".join(
        f"{c.low:.1f}: p {c.predicted:.2f} -> {c.ran_out:.2f} [{c.ran_out_low:.2f}-{c.ran_out_high:.2f}] "
        f"({c.windows} windows)" for c in tenths)


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{100 * value:.1f} %" if pct else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--weeks", type=int, default=10)
    parser.add_argument("--year", action="store_true", help="also time the backtest on the one-year database")
    args = parser.parse_args()
    result = run(args.seeds, args.weeks)
    print("| readings | window | windows (ran out) | steps | error at reset | w-avg error | late verdicts | right "
          "| w-avg right |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (variant, kind), r in sorted(result.items()):
        print(f"| {variant} | {kind} | {r['windows']} ({r['ran_out']}) | {r['steps']} | {_fmt(r['mae'])} | "
              f"{_fmt(r['base_mae'])} | {r['late']} | {_fmt(r['right'], True)} | {_fmt(r['base_right'], True)} |")
    print()
    print("| readings | window | brier | w-avg brier | in 80 % range | run-outs flagged (p >= 0.5) | false alarms |")
    print("|---|---|---|---|---|---|---|")
    for (variant, kind), r in sorted(result.items()):
        print(f"| {variant} | {kind} | {_fmt(r['brier'] and r['brier'] * 1000)}e-3 | "
              f"{_fmt(r['base_brier'] and r['base_brier'] * 1000)}e-3 | {_fmt(r['coverage'], True)} | "
              f"{_fmt(r['recall'], True)} | {_fmt(r['false_alarms'], True)} |")
    for (variant, kind), r in sorted(result.items()):
        print(calibration_line(f"{variant} {kind}", r["calibration"]))
    if args.year:
        seconds, steps = time_year_backtest()
        print(f"backtest on the 365-day 50-account database (--since 28d): {seconds:.1f} s, {steps:,} steps")


if __name__ == "__main__":
    main()
