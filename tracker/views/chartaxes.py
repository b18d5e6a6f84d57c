"""The time axis and the labels of the charts: which span is shown (the data and the projection's
horizon, not an empty day and a half), where the ticks go in the display zone, and account names
shortened to what the font can draw. Matplotlib is imported inside the functions that draw."""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta

from tracker.views.chartdata import ChartData


def num(moment: datetime) -> float:
    """Matplotlib's date number (days since its default 1970 epoch), computed without its slow
    per-object conversion of aware datetimes."""
    return moment.timestamp() / 86400.0


def palette(count: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if count <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(count)]


def day_starts(data: ChartData) -> list[datetime]:
    start = data.start.astimezone(data.tz).date()
    days = []
    day = start + timedelta(days=1)
    while True:
        moment = datetime.combine(day, time(0), tzinfo=data.tz)
        if moment >= data.end:
            return days
        days.append(moment)
        day += timedelta(days=1)


MIN_SPAN = timedelta(hours=1)
LABEL_CHARS = 18  # account names are shortened to this many characters in legends, titles and ticks


def _data_range(data: ChartData) -> tuple[datetime, datetime]:
    moments = [t for s in data.series for line in s.lines for t, _ in line]
    return (min(moments), max(moments)) if moments else (data.start, data.end)


def x_start(data: ChartData) -> datetime:
    """The period's start, or just before the first reading when the data covers less of it."""
    first, last = _data_range(data)
    pad = max((last - first) / 20, timedelta(minutes=30))
    return max(data.start, first - pad)


def x_end(data: ChartData) -> datetime:
    """The last reading plus the projection's horizon (a tenth of what is shown, at least an
    hour): projections and the next reset beyond it are cut, never an empty day and a half."""
    _, last = _data_range(data)
    horizon = max((last - x_start(data)) / 10, MIN_SPAN)
    wanted = [last + timedelta(minutes=10)]
    for s in data.series:
        wanted += [p[0] for p in s.projection] + ([s.next_reset] if s.next_reset else [])
    return min(max(wanted), last + horizon)


def short_label(name: str, limit: int = LABEL_CHARS) -> str:
    """Shortened to fit, and with characters the font cannot draw shown as ``?`` (never boxes)."""
    drawable = _drawable_characters()
    text = "".join(c if ord(c) in drawable or c.isspace() else "?" for c in name)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _drawable_characters() -> set[int]:
    global _GLYPHS
    if _GLYPHS is None:
        from matplotlib import font_manager
        from matplotlib.ft2font import FT2Font

        path = font_manager.findfont(font_manager.FontProperties())  # the default family, as drawn
        _GLYPHS = set(FT2Font(path).get_charmap())
    return _GLYPHS


_GLYPHS: set[int] | None = None


def format_time_axis(ax, data: ChartData, label: bool, narrow: bool = False) -> None:
    import matplotlib.dates as mdates
    from matplotlib.ticker import FixedLocator

    start, end = x_start(data), x_end(data)
    span_days = (end - start).total_seconds() / 86400
    if span_days <= 1.5:
        locator = mdates.AutoDateLocator(tz=data.tz, minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=data.tz))
    elif span_days <= 14:
        # A day's label under the middle of the day (where its bar is), a tick at each midnight.
        every = max(1, round(span_days / 4)) if narrow else 1
        first = start.astimezone(data.tz).date()
        noons = [datetime.combine(first + timedelta(days=i), time(12), tzinfo=data.tz)
                 for i in range(0, math.ceil(span_days) + 2, every)]
        ax.xaxis.set_major_locator(FixedLocator([num(n) for n in noons if start <= n <= end]))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%a %d" if narrow else "%a %d %b", tz=data.tz))
        ax.xaxis.set_minor_locator(mdates.DayLocator(tz=data.tz))
        ax.tick_params(axis="x", which="major", length=0)
        ax.tick_params(axis="x", which="minor", length=4)
    else:
        locator = mdates.AutoDateLocator(tz=data.tz)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=data.tz))
    ax.set_xlim(num(start), num(end))
    if label:
        ax.set_xlabel(f"time ({data.tz_name})")
    else:
        ax.tick_params(labelbottom=False)
