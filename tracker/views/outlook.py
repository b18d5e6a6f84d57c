"""One sentence per window that reads the burn rate and the forecast together, and the compact
report built from it (a terminal under 100 columns).

"burn 0.0 %/h ... runs out 13:40 (!)" looked like a contradiction: the rate is what is happening
now, the forecast what the person's usual week adds until the reset. The sentence says both:
"idle now; at your usual pace runs out Fri 13:40".
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from tracker.insight.forecast import Forecast
from tracker.insight.report import AccountReport, Report, WindowReport
from tracker.insight.severity import account_severity, window_severity
from tracker.kinds import KIND_LABELS, MAIN_LIMIT
from tracker.records import LOGIN_HINTS
from tracker.render import cell
from tracker.timeutil import format_countdown, format_local
from tracker.views.credits import credit_lines
from tracker.views.terminal import Terminal

CLOSE_CALL = 0.3  # a run-out probability from here to 0.5 reads "may run out", not "lasts, but..."
BASIS = {"profile": "at your usual pace ", "window-average": "at its average pace ",
         "recent-slope": "at this pace ", "idle": ""}


def _now_phrase(f: Forecast) -> str:
    if f.burn_rate is None:
        return "no rate yet"
    if f.burn_rate <= 0:
        return "idle now"
    return f"using {f.burn_rate:.1f} %/h now" if f.burn_rate <= 100 else "using >100 %/h now"


def _probability(f: Forecast) -> str:
    """The run-out probability, when the forecast gives one (``run_out_probability``, 0..1)."""
    value = getattr(f, "run_out_probability", None)
    return f" ({value * 100:.0f} % chance)" if isinstance(value, int | float) and value > 0 else ""


def outlook(f: Forecast, tz: tzinfo, now: datetime) -> str:
    """``idle now; at your usual pace runs out Fri 13:40`` and its kin (the reset is shown beside it)."""
    if f.reset_since_last_snapshot:
        return "reset since the last snapshot: collect to see the new window"
    if f.remaining_percent <= 0:
        since = f" since {format_local(f.exhausts_at, tz, now)}" if f.exhausts_at else ""
        return f"used up{since}; blocked until the reset"
    basis = BASIS.get(f.method or "", "at this pace ")
    if f.exhausts_before_reset and f.exhausts_at:
        verdict = f"{basis}runs out {format_local(f.exhausts_at, tz, now)}"
    elif f.may_exhaust_before_reset and (f.run_out_probability or 0.0) >= CLOSE_CALL:
        # a long window expected at about 100 % is a little under even odds, not "lasts"
        verdict = f"{basis}may run out before the reset"
    elif f.may_exhaust_before_reset:
        verdict = f"{basis}lasts, but a busy spell runs out first (up to {f.projected_high:.0f} %)"
    elif f.projected is not None and f.reset_at is not None:
        verdict = f"{basis}lasts to the reset ({f.projected:.0f} % by then)"
    else:
        verdict = "too early to tell"
    return f"{_now_phrase(f)}; {verdict}{_probability(f)}"


def window_label(w: WindowReport) -> str:
    label = KIND_LABELS.get(w.key.kind, w.key.kind)
    if w.key.kind == "other" and w.key.window_seconds:
        label = f"{w.key.window_seconds // 60}m"
    return label if w.key.limit == MAIN_LIMIT else f"{cell(w.key.limit)} {label}"


def _resets(f: Forecast, tz: tzinfo, now: datetime) -> str:
    if f.reset_since_last_snapshot:
        return f"reset {format_local(f.reset_at, tz, now)}"
    if f.reset_at is None:
        return "reset time unknown"
    return f"resets {format_local(f.reset_at, tz, now)} ({format_countdown(f.reset_at - now)})"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def _nonzero(balance: str) -> bool:
    """A balance of "0" (a plan without credits) is not worth a word in the heading."""
    try:
        return float(balance) != 0
    except ValueError:
        return True


def blocked_text(seconds: float) -> str:
    """``9 h``, ``2 h 05 m``, ``40 m``: blocked time, to the minute."""
    hours, minutes = divmod(round(seconds / 60), 60)
    if not hours:
        return f"{minutes} m"
    return f"{hours} h" if not minutes else f"{hours} h {minutes:02d} m"


def heading(a: AccountReport, tz: tzinfo, now: datetime, term: Terminal, compact: bool) -> str:
    name = term.paint(cell(a.account), account_severity(a))
    head = name + (f" ({cell(a.plan)})" if a.plan else "")
    if a.last_snapshot_at:
        when = format_local(a.last_snapshot_at, tz, now)
        age = format_countdown(a.last_snapshot_at - now)
        head += f" · {when} ({age})" if compact else f" · last snapshot {when} ({age})"
    else:
        head += " · no snapshot yet"
    if a.workspace_label or a.workspace_id:
        seat = f" ({cell(a.seat_type)})" if a.seat_type else ""
        head += f" · workspace {cell(a.workspace_label or a.workspace_id)}{seat}"
    elif a.seat_type:
        head += f" · seat {cell(a.seat_type)}"
    if a.reset_credits_available:
        head += f" · {a.reset_credits_available} reset credit{'s' if a.reset_credits_available != 1 else ''}"
    if a.credits_balance and _nonzero(a.credits_balance):
        head += f" · credits {cell(a.credits_balance)}"
    if a.blocked_seconds_this_week:
        head += f" · blocked {blocked_text(a.blocked_seconds_this_week)} this week"
    if a.stale:
        head += " · " + term.paint("STALE", "stale")
    if a.runs_out_before_reset:
        head += " · " + term.paint("RUNS OUT BEFORE RESET", "critical")
    elif a.may_run_out_before_reset:
        head += " · " + term.paint("may run out before reset", "warning")
    return head


def compact_report(report: Report, tz: tzinfo, term: Terminal) -> str:
    """Two short lines per window: what is left and when it resets; then the outlook sentence."""
    now, width = report.generated_at, term.width or 80
    blocks = []
    for a in report.accounts:
        lines = [heading(a, tz, now, term, compact=True)]
        if a.last_error:
            hint = LOGIN_HINTS.get(a.last_error.kind, a.last_error.message)
            lines.append(_fit(f"  ! {a.last_error.kind} since {format_local(a.last_error.since, tz, now)}: "
                              f"{cell(hint)}", width))
        lines += [_fit(line, width) for line in credit_lines(a, tz, now)]
        labels = [window_label(w) for w in a.windows]
        pad = min(max((len(label) for label in labels), default=0), 24)
        for w, label in zip(a.windows, labels, strict=True):
            f = w.figures
            if not w.live:
                lines.append(f"  {_fit(label, 24).ljust(pad)}  reset since the last snapshot "
                             f"({format_local(f.reset_at, tz, now)})")
                continue
            left = term.paint(f"{f.remaining_percent:.0f}% left", window_severity(w))
            lines.append(f"  {_fit(label, 24).ljust(pad)}  {left} · {_resets(f, tz, now)}")
            lines.append(" " * (pad + 4) + _fit(outlook(f, tz, now), max(20, width - pad - 4)))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def outlook_lines(a: AccountReport, tz: tzinfo, now: datetime, width: int) -> list[str]:
    """Under the full table on a wide terminal: each window's outlook, labelled."""
    return [_fit(f"  {window_label(w)}: {outlook(w.figures, tz, now)}", width) for w in a.windows]
