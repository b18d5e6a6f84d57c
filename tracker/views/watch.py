"""``tracker watch``'s frame: every account with a bar per window (what is left), the burn rate,
the forecast at the reset with its 80 % range, the chance of running out first, the reset
countdown, stale marks and the last error; and the escape codes that show frames on a live
terminal (alternate screen, hidden cursor, each frame drawn over the last).

``render_frame`` is pure: a Report (or None when there is nothing to show yet), a width, the
moment and whether to colour in; text out, every line at most ``width`` columns, colour codes
only when asked. A wide terminal gets one aligned line per window; a narrow one (down to about
30 columns) the same figures wrapped under each bar.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from tracker.insight.forecast import Forecast
from tracker.insight.report import AccountReport, Report, WindowReport
from tracker.insight.severity import account_severity, window_severity
from tracker.records import LOGIN_HINTS
from tracker.render import cell, printable
from tracker.timeutil import format_countdown, format_local
from tracker.views.outlook import window_label
from tracker.views.report import rate_text
from tracker.views.terminal import Terminal

BAR_MIN, BAR_MAX = 4, 24
LABEL_MAX = 14
EIGHTHS = " ▏▎▍▌▋▊▉"  # a bar's partial last cell, so that a narrow bar still moves by 1 %
LEFT_WIDTH = len("100% left")

# A live terminal: the alternate screen and a hidden cursor while watching, restored on leaving.
ENTER = "\x1b[?1049h\x1b[?25l"
LEAVE = "\x1b[0m\x1b[?25h\x1b[?1049l"


@dataclass(frozen=True)
class Piece:
    """Some text and its style (a key of ``views.terminal.SGR``): laid out plain, painted last, so
    that every width is counted without colour codes."""

    text: str
    style: str | None = None


Line = list[Piece]


def bar(fraction: float, width: int) -> str:
    """``width`` cells filled in proportion to ``fraction`` (0-1), in eighths of a cell."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (EIGHTHS[part] if part else "")
    return text + "░" * (width - len(text))


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _clip(line: Line, width: int) -> Line:
    """The line cut at ``width`` columns (``…`` where it was cut)."""
    out, used = [], 0
    for piece in line:
        room = width - used
        if len(piece.text) > room:
            out.append(Piece(_fit(piece.text, room), piece.style))
            break
        out.append(piece)
        used += len(piece.text)
    return out


def _wrap(lead: Line, rest: Sequence[Piece], width: int, indent: int, first_sep: str = "  ") -> list[Line]:
    """``lead`` on the first line, then ``rest`` joined by `` · `` and wrapped at ``width``;
    continuation lines are indented by ``indent``. A piece never breaks: one too long is cut."""
    lines, line = [], list(lead)
    used, sep = sum(len(p.text) for p in lead), first_sep
    for piece in rest:
        if used + len(sep) + len(piece.text) > width and used > indent:
            lines.append(line)
            line, used, sep = [Piece(" " * indent)], indent, ""
        text = _fit(piece.text, width - used - len(sep))
        line += [Piece(sep), Piece(text, piece.style)]
        used += len(sep) + len(text)
        sep = " · "
    lines.append(line)
    return lines


def _wrap_text(text: str, width: int, most: int) -> list[str]:
    """Server or error text, escaped, in at most ``most`` lines (continuations indented); ``…``
    ends the last when there was more."""
    lines = textwrap.wrap(printable(text), width, subsequent_indent="  ", break_on_hyphens=False)
    if len(lines) > most:
        lines = lines[: most - 1] + [_fit(lines[most - 1] + " …", width)]
    return lines


def _paint(line: Line, term: Terminal) -> str:
    return "".join(term.paint(p.text, p.style) if p.style else p.text for p in line).rstrip()


# -- one window ------------------------------------------------------------------------------


def _odds(p: float) -> str:
    """A probability as a whole percentage that never rounds to certainty: ``<1%``, ``>99%``."""
    pct = 100 * p
    return "<1%" if 0 < pct < 1 else ">99%" if 99 < pct < 100 else f"{pct:.0f}%"


def _chance(f: Forecast, tz: tzinfo, now: datetime) -> Piece | None:
    p = f.run_out_probability
    if f.exhausts_before_reset and f.exhausts_at is not None:
        odds = f" ({_odds(p)})" if p is not None else ""
        return Piece(f"runs out {format_local(f.exhausts_at, tz, now)}{odds}", "critical")
    if p is None:
        return None
    return Piece(f"run-out {_odds(p)}", "critical" if p >= 0.5 else "warning" if p >= 0.1 else None)


def _forecast(f: Forecast) -> Piece | None:
    if f.projected is None:
        return None
    text = f"at reset {f.projected:.0f}% used"
    if f.projected_low is not None and f.projected_high is not None:
        low, high = f"{f.projected_low:.0f}", f"{f.projected_high:.0f}"
        if low != high:
            text += f" ({low}-{high})"
    return Piece(text)


def _resets(f: Forecast, now: datetime, tz: tzinfo, wide: bool) -> Piece:
    if f.reset_at is None:
        return Piece("reset time unknown", "dim")
    when = f" ({format_local(f.reset_at, tz, now)})" if wide else ""
    return Piece(f"resets {format_countdown(f.reset_at - now)}{when}")


def _regular(w: WindowReport) -> bool:
    """A window with figures in every column (not past its reset, not used up)."""
    return w.live and w.figures.remaining_percent > 0


def window_cells(w: WindowReport, now: datetime, tz: tzinfo, wide: bool) -> list[Piece | None]:
    """The figures after the bar, one slot each (None: nothing to say): burn, forecast at the
    reset, the chance of running out first, the reset countdown."""
    f = w.figures
    if not w.live:
        return [Piece(f"reset {format_local(f.reset_at, tz, now)} since the last snapshot", "dim"), None, None,
                Piece("collect to see the new window", "dim")]
    if f.remaining_percent <= 0:
        return [Piece("used up: blocked until the reset", "critical"), None, None, _resets(f, now, tz, wide)]
    if f.burn_rate is None:
        burn = Piece(f"burn {rate_text(None)}", "dim")  # unknown: "-", as report's burn column says it
    else:
        burn = Piece("idle") if f.burn_rate <= 0 else Piece(f"burn {rate_text(f.burn_rate)}%/h")
    return [burn, _forecast(f), _chance(f, tz, now), _resets(f, now, tz, wide)]


def _lead(w: WindowReport, label_width: int, bar_width: int, stale: bool) -> Line:
    f = w.figures
    label = _fit(window_label(w), label_width).ljust(label_width)
    if not w.live:
        return [Piece(f"  {label} "), Piece("·" * bar_width, "dim"), Piece(" " + "reset".rjust(LEFT_WIDTH), "dim")]
    style = "stale" if stale else window_severity(w)
    left = f"{f.remaining_percent:.0f}% left".rjust(LEFT_WIDTH)
    return [Piece(f"  {label} "), Piece(bar(f.remaining_percent / 100, bar_width), style), Piece(" "),
            Piece(left, style)]


# -- one account -----------------------------------------------------------------------------


def _heading(a: AccountReport, now: datetime, tz: tzinfo, width: int) -> list[Line]:
    severity = account_severity(a)
    lead = [Piece(cell(a.account), "bold" if severity == "normal" else severity)]
    if a.plan:
        lead.append(Piece(f" ({cell(a.plan)})"))
    rest = [Piece(f"read {format_countdown(a.last_snapshot_at - now)}" if a.last_snapshot_at else "no snapshot yet",
                  "dim")]
    if a.stale:
        rest.append(Piece("STALE", "stale"))
    if a.runs_out_before_reset:
        rest.append(Piece("RUNS OUT BEFORE RESET", "critical"))
    elif a.may_run_out_before_reset:
        rest.append(Piece("may run out before reset", "warning"))
    if a.reset_credits_available:
        rest.append(Piece(f"{a.reset_credits_available} reset credit{'s' if a.reset_credits_available != 1 else ''}"))
    lines = _wrap(lead, rest, width, 2, first_sep=" · ")
    if a.last_error:
        e = a.last_error
        hint = LOGIN_HINTS.get(e.kind, e.message)
        text = f"! {e.kind} since {format_local(e.since, tz, now)}: {hint}"
        lines += [[Piece("  "), Piece(part, "critical")] for part in _wrap_text(text, max(10, width - 2), 3)]
    return lines


def _account_lines(a: AccountReport, now: datetime, tz: tzinfo, width: int, label_width: int,
                   columns: list[int] | None) -> list[Line]:
    bar_width = max(BAR_MIN, min(BAR_MAX, width - label_width - LEFT_WIDTH - 5))
    lines = _heading(a, now, tz, width)
    for w in a.windows:
        lead = _lead(w, label_width, bar_width, a.stale)
        cells = window_cells(w, now, tz, wide=columns is not None)
        if columns is not None and _regular(w):
            line = lead + [Piece("  ")]
            for c, size in zip(cells, columns, strict=True):
                line += [Piece(c.text.ljust(size), c.style) if c else Piece(" " * size), Piece("  ")]
            lines.append(line)
        else:
            indent = label_width + 3 if width >= 60 else 4
            lines += _wrap(lead, [c for c in cells if c is not None], width, indent)
    if not a.windows:
        lines.append([Piece("  no current window", "dim")])
    return lines


def _columns(report: Report, now: datetime, tz: tzinfo, width: int, label_width: int) -> list[int] | None:
    """The width of each figure's column when one aligned line per window fits, else None."""
    rows = [window_cells(w, now, tz, wide=True) for a in report.accounts for w in a.windows if _regular(w)]
    if not rows:
        return None
    sizes = [max((len(r[i].text) for r in rows if r[i] is not None), default=0) for i in range(len(rows[0]))]
    line = 2 + label_width + 1 + BAR_MAX + 1 + LEFT_WIDTH + sum(s + 2 for s in sizes)
    return sizes if line <= width else None


def render_frame(report: Report | None, width: int, now: datetime, color: bool, tz: tzinfo = UTC,
                 notes: Sequence[tuple[str, str | None]] = ()) -> str:
    """One frame: a title line with the time, ``notes`` (text, style) such as the collector's
    state or why there is no report, then each account's block. No line is wider than ``width``."""
    term = Terminal(width, color)
    title = [Piece("tracker watch", "bold"), Piece(f" · {now.astimezone(tz):%H:%M:%S %Z}".rstrip())]
    lines: list[Line] = [title]
    for text, style in notes:
        lines += [[Piece(part, style)] for part in _wrap_text(text, width, 4)]
    if report is not None:
        labels = [len(window_label(w)) for a in report.accounts for w in a.windows]
        label_width = min(max(labels, default=2), LABEL_MAX, max(2, width // 5))
        columns = _columns(report, now, tz, width, label_width)
        for a in report.accounts:
            lines.append([])
            lines += _account_lines(a, now, tz, width, label_width, columns)
    return "\n".join(_paint(_clip(line, width), term) for line in lines)


def screen_update(frame: str, rows: int) -> str:
    """What to write to a live terminal to show ``frame`` over the last one: from the top-left,
    each line cleared to its end, the rest of the screen cleared; a frame taller than the
    terminal ends with a line saying how much is hidden."""
    lines = frame.split("\n")
    if len(lines) > rows:
        hidden = len(lines) - rows + 1
        lines = lines[: rows - 1] + [f"… {hidden} more line{'s' if hidden != 1 else ''}: enlarge the terminal"]
    return "\x1b[H" + "\x1b[K\n".join(lines) + "\x1b[K\x1b[J"
