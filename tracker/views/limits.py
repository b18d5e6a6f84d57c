"""``tracker limits`` as text: per account and window, a row per week (what one percent cost in
tokens, how much of the rise local tokens explain, the spread over the week's days), then the
changes in the limit with the evidence they rest on. ``--json`` is ``AccountLimits.as_dict``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from tracker.insight.limit_changes import LimitChange
from tracker.insight.limits import WEIGHTS, WeekFigures
from tracker.insight.limits_history import AccountLimits
from tracker.kinds import KIND_LABELS
from tracker.render import percent, printable, table
from tracker.timeutil import format_local


def tokens(value: float | None) -> str:
    """1234 -> 1.2k, 2_500_000 -> 2.5M."""
    if value is None:
        return "-"
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}{unit}"
    return f"{value:.0f}"


class _Note(str):
    """A week's note in place of its token figures: written after the row, across the token
    columns, so that it does not widen them."""


def _week_table(rows: list[list]) -> list[str]:
    """The weeks' table, each note after its row (a row with a note has no token figures)."""
    notes = [next((c for c in row if isinstance(c, _Note)), None) for row in rows]
    body = table(["week", "rise %", "local %", "explained", "input", "cached", "output", "combined", "spread"],
                 [["" if isinstance(c, _Note) else c for c in row] for row in rows], right={1, 2, 3, 4, 5, 6, 7})
    lines = body.splitlines()
    return [lines[0]] + [line + (f"  {note}" if note else "") for line, note in zip(lines[1:], notes, strict=True)]


def _week_row(w: WeekFigures, tz: tzinfo) -> list:
    span = f"{w.start.astimezone(tz):%d %b} – {w.end.astimezone(tz):%d %b}"
    share = "-" if w.explained_share is None else f"{100 * w.explained_share:.0f} %"
    if w.per_percent is None:
        return [span, percent(round(w.rise, 1)), percent(round(w.local_rise, 1)), share, _Note(f"({w.weak})"), "", "", "",
                ""]
    p = w.per_percent
    spread = f"{tokens(w.spread[0])}–{tokens(w.spread[1])} ({w.spread[2]} d)" if w.spread else "-"
    return [span, percent(round(w.rise, 1)), percent(round(w.local_rise, 1)), share,
            tokens(p["input"] - p["cached_input"]), tokens(p["cached_input"]), tokens(p["output"]),
            tokens(p["combined"]), spread]


def _week_rows(weeks: Sequence[WeekFigures], tz: tzinfo) -> list[list]:
    """A row per week; consecutive weeks without a reading are one row (the demo's history of a
    few days showed seven empty weeks before it)."""
    rows: list[list] = []
    empty: list[WeekFigures] = []
    for week in [*weeks, None]:
        if week is not None and week.weak == "no readings":
            empty.append(week)
            continue
        if len(empty) > 1:
            span = f"{empty[0].start.astimezone(tz):%d %b} – {empty[-1].end.astimezone(tz):%d %b}"
            rows.append([span, "-", "-", "-", _Note(f"(no readings, {len(empty)} weeks)"), "", "", "", ""])
        elif empty:
            rows.append(_week_row(empty[0], tz))
        empty = []
        if week is not None:
            rows.append(_week_row(week, tz))
    return rows


def change_line(c: LimitChange, tz: tzinfo) -> str:
    """One line per change: when, the ratio in words, and what it rests on."""
    way = "more" if c.ratio < 1 else "fewer"
    e = c.evidence
    return (f"LIMIT CHANGE {KIND_LABELS.get(c.kind, c.kind)}: from {format_local(c.at, tz)} (after "
            f"{format_local(c.last_before_at, tz)}) the same work costs {way} percent: 1 % = "
            f"{tokens(c.after)} tokens, was {tokens(c.before)} (ratio {c.ratio:.2f}); rests on "
            f"{tokens(e['tokens_before'])} tokens / {percent(round(e['percent_before']))} % over {e['days_before']} days "
            f"before, {tokens(e['tokens_after'])} / {percent(round(e['percent_after']))} % over {e['days_after']} days after")


def limits_text(accounts: Sequence[AccountLimits], tz: tzinfo) -> str:
    blocks = []
    for a in accounts:
        lines = [printable(a.account)]
        if not a.windows:
            lines.append("  no 5h or weekly window stored")
        for w in a.windows:
            lines.append(f"  {KIND_LABELS.get(w.kind, w.kind)} window: tokens per 1 %")
            lines += ["    " + line for line in _week_table(_week_rows(w.shown_weeks, tz))]
            lines += ["  " + change_line(c, tz) for c in w.changes]
        if a.windows and all(week.weak in ("no local token counts", "no readings") for w in a.windows for week in w.weeks):
            lines.append("  no token counts in this period: `tracker import-sessions` reads them from Codex's session logs")
        blocks.append("\n".join(lines))
    legend = (f"combined = uncached input + {WEIGHTS['cached_input']:g} × cached input + {WEIGHTS['output']:g} × output "
              "(API price ratios); input is uncached input; reasoning is part of output")
    return "\n\n".join(blocks + [legend])
