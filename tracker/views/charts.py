"""Matplotlib figures from ``ChartData``. The only module that imports matplotlib.

Uses ``matplotlib.figure.Figure`` directly (no pyplot, no global state, no display): it renders
through Agg for PNG and through the vector backends for SVG and PDF. Every drawn element has a
``gid`` (``usage:ACCOUNT:KIND``, ``reset:…``, ``projection:…``, ``limit-100``, ``day-boundary``,
``daily:ACCOUNT``, ``caption``), which the SVG keeps and the tests look for.
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from pathlib import Path

from tracker.atomic import atomic_output
from tracker.errors import TrackerError
from tracker.kinds import KINDS, LONG_KINDS
from tracker.views.chartaxes import (
    day_starts,
    format_time_axis,
    num,
    palette,
    short_label,
    x_end,
    x_start,
)
from tracker.views.chartdata import ChartData, KindSeries

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
HANDFUL = 5
KIND_TITLES = {"five_hour": "Five-hour window", "weekly": "Weekly window", "monthly": "Monthly window"}


def output_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise TrackerError(f"cannot write {path.name}: use a .png, .svg or .pdf file name", exit_code=2)
    return fmt


def _decorate_usage_axes(ax, data: ChartData, title: str) -> None:
    ax.axhline(100, color="#c0392b", linestyle="--", linewidth=1, gid="limit-100")
    if (data.end - data.start) <= timedelta(days=31):
        for moment in day_starts(data):
            ax.axvline(num(moment), color="#999999", linewidth=0.6, alpha=0.5, gid="day-boundary")
    if data.now is not None and x_start(data) <= data.now <= x_end(data):
        ax.axvline(num(data.now), color="#444444", linewidth=0.9, gid="now")
        ax.text(num(data.now), 104, "now", fontsize=7, ha="center", va="center", color="#444444",
                backgroundcolor="white", gid="now-label")
    ax.set_ylim(0, 108)
    ax.set_ylabel("used (%)")
    ax.set_title(title, loc="left", fontsize=10)
    ax.grid(axis="y", alpha=0.3)


def _draw_series(ax, s: KindSeries, color, data: ChartData, linewidth: float = 1.4,
                 label: str | None = None) -> set[str]:
    """Draw one series; returns what was drawn (for a legend that lists only that)."""
    # One artist per series: segments (split at resets and gaps) are separated by NaN, which
    # matplotlib draws as a break in the line.
    drawn = set()
    xs: list[float] = []
    ys: list[float] = []
    for line in s.lines:
        if xs:
            xs.append(math.nan)
            ys.append(math.nan)
        xs += [num(t) for t, _ in line]
        ys += [v for _, v in line]
    ax.plot(xs, ys, color=color, linewidth=linewidth, gid=f"usage:{s.account}:{s.kind}", label=label)
    single = [line[0] for line in s.lines if len(line) == 1]
    if single:  # a lone reading (the first collect, or one between gaps) is a level, not a line
        ax.plot([num(t) for t, _ in single], [v for _, v in single], linestyle="none", marker="o", markersize=5,
                color=color, gid=f"level:{s.account}:{s.kind}")
    for start, end in s.blocked:  # at 100 %: shaded, so a blocked week never merges into the limit line
        ax.axvspan(num(start), num(end), ymin=0, ymax=1, color=color, alpha=0.13, linewidth=0,
                   gid=f"blocked:{s.account}:{s.kind}")
        drawn.add("blocked")
    if s.resets:
        ax.plot([num(t) for t in s.resets], [1.5] * len(s.resets), linestyle="none", marker="^", markersize=4,
                color=color, alpha=0.8, gid=f"reset:{s.account}:{s.kind}")
        drawn.add("reset")
    if s.projection:
        px = [num(t) for t, _ in s.projection]
        py = [v for _, v in s.projection]
        ax.plot(px, py, color=color, linestyle="--", linewidth=linewidth, alpha=0.9,
                gid=f"projection:{s.account}:{s.kind}")
        drawn.add("projection")
        if s.exhausts_before_reset:
            ax.plot([px[-1]], [100], marker="X", markersize=8, color="#c0392b", gid=f"exhaustion:{s.account}:{s.kind}")
            drawn.add("exhaustion")
    if s.next_reset and s.next_reset <= x_end(data):
        ax.axvline(num(s.next_reset), color=color, linestyle=":", linewidth=1, gid=f"next-reset:{s.account}:{s.kind}")
        drawn.add("next-reset")
    return drawn


def end_label(s: KindSeries, data: ChartData) -> tuple[float, str] | None:
    """(last used %, "26% left · resets Tue 01 Dec 10:50"): what is left at the last reading and
    when the window resets, for the label at the line's end."""
    from tracker.timeutil import format_local

    last = next((line[-1] for line in reversed(s.lines) if line), None)
    if last is None:
        return None
    text = f"{max(0.0, 100 - last[1]):.0f}% left"
    if s.next_reset:
        text += f" · resets {format_local(s.next_reset, data.tz, data.now or data.end)}"
    return last[1], text


def _place_end_labels(ax, labels: list[tuple[float, str, object, str]]) -> None:
    """Labels in the right margin at the height of each line's end, nudged apart so none overlap."""
    gap, placed = 7.0, []  # percentage points between label centres
    for value, text, color, gid in sorted(labels, key=lambda item: item[0]):
        y = max(value, placed[-1] + gap) if placed else value
        placed.append(y)
        ax.annotate(text, xy=(1.0, min(y, 104)), xycoords=("axes fraction", "data"), xytext=(5, 0),
                    textcoords="offset points", va="center", ha="left", fontsize=7.5, color=color, gid=gid,
                    annotation_clip=False)


def _draw_daily_bars(ax, data: ChartData, colors: dict) -> None:
    """Bars at the middle of each local day, on the same time axis as the panels above."""
    accounts = [a for a in data.accounts if a in data.daily]
    width = 0.8 / max(1, len(accounts))
    top = 0.0
    for i, account in enumerate(accounts):
        days = sorted(data.daily[account])
        starts = [datetime.combine(d, time(0), tzinfo=data.tz) for d in days]
        xs = [num(t) - 0.4 + width * (i + 0.5) for t in starts]
        xs = [x + 0.5 for x in xs]
        ys = [data.daily[account][d] for d in days]
        top = max([top, *ys])
        ax.bar(xs, ys, width=width, color=colors[account], gid=f"daily:{account}", label=short_label(account))
    ax.set_ylim(0, max(1.0, top * 1.15))  # never -0.04..0.04 when nothing was used
    ax.set_ylabel(f"{data.daily_label} % used")
    ax.set_title(f"Consumption per day (sum of increases of the {data.daily_label} window)", loc="left", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    format_time_axis(ax, data, label=True)


def _draw_daily_heatmap(fig, ax, data: ChartData) -> None:
    days = sorted({d for per_day in data.daily.values() for d in per_day})
    accounts = [a for a in data.accounts if a in data.daily]
    grid = [[data.daily[a].get(d, 0.0) for d in days] for a in accounts]
    image = ax.imshow(grid, aspect="auto", cmap="YlOrRd", vmin=0, interpolation="nearest")
    image.set_gid("daily:heatmap")
    ax.set_yticks(range(len(accounts)), [short_label(a) for a in accounts], fontsize=7)
    step = max(1, math.ceil(len(days) / 14))
    ax.set_xticks(range(0, len(days), step), [d.strftime("%a %d") for d in days][::step], fontsize=7)
    if len(days) <= 14 and len(accounts) <= 30:
        top = max((v for row in grid for v in row), default=0.0)
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                if value >= 0.5:  # white on the dark end of the scale, black on the light end
                    ax.text(c, r, f"{value:.0f}", ha="center", va="center", fontsize=6,
                            color="white" if value > 0.6 * top else "black", gid="heat-label")
    fig.colorbar(image, ax=ax, label=f"{data.daily_label} % used", fraction=0.03, pad=0.01)
    ax.set_title(f"Consumption per day ({data.daily_label} %, sum of increases)", loc="left", fontsize=10)


def _legend_extras(drawn: set[str], data: ChartData) -> list:
    """The legend's entries for what was drawn, and only that (a past period has no forecast)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    entries = [Line2D([], [], color="#c0392b", linestyle="--", label="limit (100 %)")]
    if "projection" in drawn:
        entries.append(Line2D([], [], color="gray", linestyle="--", label="expected path to the reset (forecast)"))
    if "blocked" in drawn:
        entries.append(Patch(color="gray", alpha=0.25, label="blocked at 100 %"))
    if "reset" in drawn:
        entries.append(Line2D([], [], color="gray", linestyle="none", marker="^", label="window reset"))
    if "next-reset" in drawn:
        entries.append(Line2D([], [], color="gray", linestyle=":", label="next reset"))
    if data.now is not None and x_start(data) <= data.now <= x_end(data):
        entries.append(Line2D([], [], color="#444444", linewidth=0.9, label="now"))
    return entries


def draw(data: ChartData, size: tuple[float, float] | None = None):  # Figure
    """The figure for ``data``: stacked panels for a handful of accounts, small multiples beyond."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    colors = dict(zip(data.accounts, palette(len(data.accounts)), strict=True))
    drawn: set[str] = set()
    kinds = [k for k in KINDS if any(s.kind == k for s in data.series)]
    has_daily = bool(data.daily)
    if len(data.accounts) <= HANDFUL:
        rows = len(kinds) + has_daily
        fig = Figure(figsize=size or (12, 3.2 * rows + 0.8), layout="constrained")
        axes = fig.subplots(rows, 1, squeeze=False, height_ratios=[3] * len(kinds) + [2] * has_daily)[:, 0]
        for i, kind in enumerate(kinds):
            ax = axes[i]
            labels = []
            for s in data.series:
                if s.kind == kind:
                    drawn |= _draw_series(ax, s, colors[s.account], data, label=short_label(s.account))
                    if (end := end_label(s, data)) is not None:
                        labels.append((end[0], f"{short_label(s.account, 12)}: {end[1]}", colors[s.account],
                                       f"end-label:{s.account}:{s.kind}"))
            _place_end_labels(ax, labels)
            _decorate_usage_axes(ax, data, KIND_TITLES[kind])
            format_time_axis(ax, data, label=i == len(kinds) - 1)
        handles = [Line2D([], [], color=colors[a], label=short_label(a)) for a in data.accounts] + \
            _legend_extras(drawn, data)
        axes[0].legend(handles=handles, loc="upper left", fontsize=8, ncols=min(4, len(handles)), framealpha=0.9)
        if has_daily:
            _draw_daily_bars(axes[-1], data, colors)
    else:
        cols = 4 if len(data.accounts) > 9 else 3
        grid_rows = math.ceil(len(data.accounts) / cols)
        heat_height = max(1.5, 0.22 * len(data.accounts)) if has_daily else 0
        width, height = size or (4 * cols, 2.3 * grid_rows + heat_height + 1.6)
        fig = Figure(figsize=(width, height))
        # Fixed margins (in inches) instead of constrained layout: with dozens of axes the layout
        # solver costs more than the drawing.
        spec = fig.add_gridspec(grid_rows + has_daily, cols,
                                height_ratios=[2.3] * grid_rows + ([heat_height] if has_daily else []),
                                left=0.9 / width, right=1 - 1.1 / width, top=1 - 0.85 / height,
                                bottom=0.55 / height, hspace=0.45, wspace=0.12)
        first = None
        for index, account in enumerate(data.accounts):
            ax = fig.add_subplot(spec[index // cols, index % cols], sharex=first, sharey=first)
            first = first or ax
            for s in data.series:
                if s.account == account:
                    long = s.kind in LONG_KINDS
                    drawn |= _draw_series(ax, s, colors[account] if long else "#7f8c8d", data,
                                          linewidth=1.8 if long else 0.8)
            weekly = next((end_label(s, data) for kind in LONG_KINDS for s in data.series
                           if s.account == account and s.kind == kind), None)
            _decorate_usage_axes(ax, data, short_label(account, 28) + (f" · {weekly[1]}" if weekly else ""))
            ax.set_ylabel("used (%)" if index % cols == 0 else "")
            format_time_axis(ax, data, label=index // cols == grid_rows - 1, narrow=True)
            ax.tick_params(labelsize=7)
        handles = [Line2D([], [], color="#7f8c8d", linewidth=0.8, label="five-hour window"),
                   Line2D([], [], color="black", linewidth=1.8, label="weekly or monthly window (account colour)"),
                   *_legend_extras(drawn, data)]
        fig.legend(handles=handles, loc="upper right", bbox_to_anchor=(1 - 0.2 / width, 1 - 0.3 / height),
                   ncols=min(4, len(handles)), fontsize=8)
        if has_daily:
            _draw_daily_heatmap(fig, fig.add_subplot(spec[grid_rows, :]), data)
    fig.suptitle(data.title, fontsize=13, x=0.01, ha="left")
    last = data.last_snapshot_at.astimezone(data.tz).strftime("%a %d %b %Y %H:%M") if data.last_snapshot_at else "none"
    fig.text(0.995, 0.998, f"Times in {data.tz_name} · last snapshot {last} · codex-quota-history",
             ha="right", va="top", fontsize=8, color="#555555", gid="caption")
    return fig


def save(fig, path: Path) -> Path:
    """Write atomically: a failed render never leaves an empty or partial file behind."""
    from matplotlib import rc_context

    fmt = output_format(path)
    # SVG keeps real <text> (searchable, accessible) instead of glyph outlines.
    with atomic_output(path) as handle, rc_context({"svg.fonttype": "none"}):
        fig.savefig(handle, format=fmt, dpi=110, metadata={"Date": None} if fmt == "svg" else None)
    return path.expanduser()
