"""Every benchmark, one table: `python -m bench` (add --quick for a 30-day history instead of a year).

Each figure is a ratio against a baseline measured in the same run, so it holds on any machine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import collect, forecast, history, import_sessions, population, serve, startup  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="30 days of history instead of 365; 50 MB of logs")
    args = parser.parse_args()
    days = 30 if args.quick else 365
    rows = []

    c = collect.run(50, 0.3)
    rows.append(("collect 50 accounts, 300 ms latency", f"{c['tracker_collect_s']:.2f} s",
                 f"sequential {c['sequential_s']:.2f} s", c["speedup"], ">= 15x", c["speedup"] >= 15))
    s = startup.run()
    rows.append(("tracker --help", f"{s['help_s'] * 1000:.0f} ms", f"import click {s['click_s'] * 1000:.0f} ms",
                 s["help_ratio"], "<= 1.5x", s["help_ratio"] <= 1.5 and not s["help_imports"]))
    rows.append(("tracker report, tiny database", f"{s['report_s'] * 1000:.0f} ms",
                 f"import click {s['click_s'] * 1000:.0f} ms", s["report_ratio"], "<= 10x",
                 s["report_ratio"] <= 10 and not s["report_imports"]))
    rows.append(("tracker status, tiny database", f"{s['status_s'] * 1000:.0f} ms",
                 f"import click {s['click_s'] * 1000:.0f} ms", s["status_ratio"], "<= 10x",
                 s["status_ratio"] <= 10 and not s["status_imports"]))
    for label, key in (("tracker status from the state file", "state"),
                       ("the same, database from config.toml", "config")):
        rows.append((label, f"{s[key + '_s'] * 1000:.0f} ms", f"import click {s['click_s'] * 1000:.0f} ms",
                     s[key + "_ratio"], "<= 1.0x", s[key + "_ratio"] <= 1.0))
    h = history.run(50, days)
    rows.append((f"report, {days}-day 50-account db", f"{h['report_year_s'] * 1000:.0f} ms",
                 f"1-day db {h['report_day_s'] * 1000:.0f} ms", h["report_ratio"], "<= 1.5x", h["report_ratio"] <= 1.5))
    rows.append((f"history, newest 50, {days}-day db", f"{h['history_year_s'] * 1000:.0f} ms",
                 f"1-day db {h['history_day_s'] * 1000:.0f} ms", h["history_ratio"], "<= 2x", h["history_ratio"] <= 2))
    rows.append((f"chart of a week, 20 accounts, {days}-day db", f"{h['chart_year_s']:.2f} s",
                 f"1-week db {h['chart_week_s']:.2f} s", h["chart_ratio"], "<= 1.5x", h["chart_ratio"] <= 1.5))
    rows.append(("bytes per snapshot (raw body kept)", f"{h['bytes_per_snapshot']:.0f} B",
                 f"{h['snapshots']:,} snapshots, {h['db_mb']:.0f} MB", h["bytes_per_snapshot"] / 300, "<= 300 B",
                 h["bytes_per_snapshot"] <= 300))
    w = serve.run(50, days)
    for what, label, base, name in (("report", "/api/report", "day", "1-day db"),
                                    ("series", "/api/series, one week", "day", "1-day db"),
                                    ("series", "/api/series, one week", "week", "7-day db")):
        big, ratio = w["big"][what + "_s"] * 1000, w[f"{what}_ratio_{base}"]
        rows.append((f"serve {label}, {days}-day 50-account db", f"{big:.1f} ms",
                     f"{name} {w[base][what + '_s'] * 1000:.1f} ms", ratio, "<= 1.5x", ratio <= 1.5))
    if w["page_ms"] is not None:
        rows.append(("serve: page load to drawn charts (demo db, headless Chromium)", f"{w['page_ms']:.0f} ms",
                     "1 s", w["page_ms"] / 1000, "< 1 s", w["page_ms"] < 1000))
    i = import_sessions.run(50 if args.quick else 200)
    rows.append(("import-sessions", f"{i['lines_per_s']:,.0f} lines/s", f"{i['lines']:,} lines, {i['mb']:.0f} MB",
                 i["lines_per_s"] / 100_000, ">= 100,000 lines/s", i["lines_per_s"] >= 100_000))

    # 288 people never used for tuning (seeds 12-47): with 12 seeds a tenth rests on three dozen
    # windows and its share is +-15 points by chance; full run: --first-seed 12 --seeds 96
    f = population.run(36 if args.quick else 96, 7, 3.0, five_hour=False, first_seed=12)
    for variant, label in (("poll", "readings every 5-10 min"), ("log", "session-log readings only")):
        w = f[("all", variant, "weekly")]
        worst = min(f[(p, variant, "weekly")]["right"] for p in population.PATTERNS)
        rows.append((f"population: weekly error at reset, {label}", f"{w['mae']:.1f} pts",
                     f"window average {w['base_mae']:.1f} pts", w["mae"] / w["base_mae"], "<= 0.75x",
                     w["mae"] <= 0.75 * w["base_mae"]))
        rows.append((f"population: weekly late verdicts right, {label}", f"{100 * w['right']:.1f} %",
                     f"window average {100 * w['base_right']:.1f} %", w["right"] / w["base_right"], ">= 95 %, >= w-avg",
                     w["right"] >= 0.95 and w["right"] >= w["base_right"]))
        rows.append((f"population: worst pattern's late verdicts, {label}", f"{100 * worst:.1f} %", "85 %",
                     worst / 0.85, ">= 85 %", worst >= 0.85))
        rows.append((f"population: Brier of run_out_probability, {label}", f"{w['brier']:.4f}",
                     f"window-average verdict {w['base_brier']:.4f}", w["brier"] / w["base_brier"], "<= 0.6x",
                     w["brier"] <= 0.6 * w["base_brier"]))
        rows.append((f"population: run-outs flagged at p >= 0.5, {label}", f"{100 * w['recall']:.1f} %",
                     f"false alarms {100 * w['false_alarms']:.1f} %", w["recall"] / 0.65, ">= 65 % at <= 3 %",
                     w["recall"] >= 0.65 and w["false_alarms"] <= 0.03))
        tenths = [c for c in w["calibration"] if c.windows >= 20]
        c = max(tenths, key=lambda c: abs(c.predicted - c.ran_out), default=None)
        off = abs(c.predicted - c.ran_out) if c else 0.0
        told = (f"{100 * off:.0f} pts (p {c.low:.1f}-{c.low + 0.1:.1f}: said {c.predicted:.2f}, ran out {c.ran_out:.2f}, "
                f"90 % interval {c.ran_out_low:.2f}-{c.ran_out_high:.2f}, {c.windows} windows)") if c else "-"
        rows.append((f"population: calibration, the tenth most off (>= 20 windows), {label}", told, "10 pts",
                     off / 0.10, "<= 10 pts", off <= 0.10))
        rows.append((f"population: truth inside the 80 % range, {label}", f"{100 * w['coverage']:.1f} %", "80 %",
                     w["coverage"] / 0.8, "75-85 %", 0.75 <= w["coverage"] <= 0.85))
    b_s, b_steps = forecast.time_year_backtest(days)
    rows.append((f"backtest --since 28d, {days}-day 50-account db", f"{b_s:.1f} s", f"{b_steps:,} steps",
                 b_s / 60, "<= 60 s", b_s <= 60))

    print("| benchmark | measured | baseline (same run) | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    for name, measured, baseline, ratio, target, ok in rows:
        print(f"| {name} | {measured} | {baseline} | {ratio:.2f}x | {target} | {'yes' if ok else 'NO'} |")


if __name__ == "__main__":
    main()
