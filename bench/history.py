"""Report and chart on a one-year, 50-account history vs a small one, and bytes per snapshot.

    python bench/history.py [--accounts 50] [--days 365]

Databases are built with the demo generator (the same bulk storage path as `collect`) and cached
in bench/.cache/. Targets: report(1 year) <= 1.5x report(1 day); chart of a week for 20 accounts
from 1 year <= 1.5x from 1 week; <= 300 bytes per snapshot with the raw body kept.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import options, timed  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".cache"
END = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # fixed, so cached databases stay valid


def build(accounts: int, days: float) -> tuple[Path, float]:
    """The database (cached) and how long it took to build (0 when cached)."""
    from tracker.cli.demo import fill_demo
    from tracker.storage.store import Store

    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"demo-{accounts}a-{days:g}d.db"
    if path.exists():
        keep_usual_weeks(path)
        return path, 0.0
    partial = path.with_suffix(".partial")
    for leftover in CACHE.glob(partial.name + "*"):
        leftover.unlink()
    store = Store.open(f"sqlite:///{partial}")
    start = time.perf_counter()
    fill_demo(store, accounts=accounts, days=days, end=END, tz=UTC)
    elapsed = time.perf_counter() - start
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    partial.rename(path)
    keep_usual_weeks(path)
    return path, elapsed


def keep_usual_weeks(path: Path) -> None:
    """What `collect` keeps after storing: the usual weeks, on the clock the report uses (a database
    cached by an older version gets them here)."""
    from tracker.insight import profile
    from tracker.storage.store import Store
    from tracker.timeutil import local_zone

    with Store.open(f"sqlite:///{path}") as store:
        profile.keep_usual_weeks(store, END, local_zone())


def snapshot_count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("select count(*) from snapshots").fetchone()[0]


def time_report(path: Path) -> float:
    from tracker.insight.report import build_report
    from tracker.storage.store import Store
    from tracker.views.report import report_table

    store = Store.open(f"sqlite:///{path}")
    try:
        def once():
            report = build_report(store, (), END, timedelta(hours=1), timedelta(minutes=30))
            report_table(report, UTC)
        once()
        return timed(once, repeat=5)
    finally:
        store.close()


def time_history(path: Path) -> float:
    """`tracker history`'s default: the newest 50 rows, rendered."""
    from tracker import render
    from tracker.storage.store import Store
    from tracker.views import exports

    with Store.open(f"sqlite:///{path}") as store:
        def once():
            headers, rows = exports.snapshot_rows(store, (), None, None, 50, True)
            render.table(headers, [[str(c) for c in r] for r in rows])
            exports.row_count(store, (), None, None, False)
        once()
        return timed(once, repeat=5)


def time_chart(path: Path, out: Path, accounts: int = 20) -> float:
    from tracker.cli.demo import account_names
    from tracker.storage.store import Store
    from tracker.views.chartdata import build_chart_data
    from tracker.views.charts import draw, save

    names = tuple(account_names(50)[:accounts])
    store = Store.open(f"sqlite:///{path}")
    try:
        def once():
            data = build_chart_data(store, names, END - timedelta(days=7), END, ("five_hour", "weekly"),
                                    UTC, "UTC", END)
            save(draw(data), out)
        once()
        return timed(once, repeat=3)
    finally:
        store.close()


def run(accounts: int = 50, days: float = 365) -> dict:
    big, big_build = build(accounts, days)
    day, _ = build(accounts, 1)
    week, _ = build(accounts, 7)
    snapshots = snapshot_count(big)
    result = {
        "snapshots": snapshots,
        "build_s": big_build,
        "bytes_per_snapshot": big.stat().st_size / snapshots,
        "db_mb": big.stat().st_size / 1e6,
        "report_day_s": time_report(day),
        "report_year_s": time_report(big),
        "history_day_s": time_history(day),
        "history_year_s": time_history(big),
        "chart_week_s": time_chart(week, CACHE / "chart-week.png"),
        "chart_year_s": time_chart(big, CACHE / "chart-year.png"),
    }
    result["report_ratio"] = result["report_year_s"] / result["report_day_s"]
    result["history_ratio"] = result["history_year_s"] / result["history_day_s"]
    result["chart_ratio"] = result["chart_year_s"] / result["chart_week_s"]
    return result


def main() -> None:
    args = options(__doc__, accounts=50, days=365.0)
    r = run(args.accounts, args.days)
    if r["build_s"]:
        print(f"built {r['snapshots']:,} snapshots in {r['build_s']:.0f} s ({r['snapshots'] / r['build_s']:,.0f}/s)")
    print(f"storage: {r['db_mb']:.0f} MB, {r['bytes_per_snapshot']:.0f} bytes per snapshot (target <= 300)")
    print(f"report: 1 day {r['report_day_s'] * 1000:.1f} ms, {args.days:g} days {r['report_year_s'] * 1000:.1f} ms, "
          f"ratio {r['report_ratio']:.2f}x (target <= 1.5x)")
    print(f"history (newest 50 + count): 1 day {r['history_day_s'] * 1000:.1f} ms, {args.days:g} days "
          f"{r['history_year_s'] * 1000:.1f} ms, ratio {r['history_ratio']:.2f}x (target <= 2x)")
    print(f"chart (20 accounts, 1 week): from 1 week {r['chart_week_s']:.2f} s, from {args.days:g} days "
          f"{r['chart_year_s']:.2f} s, ratio {r['chart_ratio']:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
