"""``tracker report`` rendered: the table people read and the JSON scripts read (the figures
come from ``tracker.insight.report``)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from tracker.insight.forecast import Forecast
from tracker.insight.report import LastError, Report
from tracker.insight.severity import account_severity, window_severity
from tracker.kinds import KIND_LABELS
from tracker.records import LOGIN_HINTS
from tracker.render import percent, table
from tracker.timeutil import format_countdown, format_local, iso_utc
from tracker.views.credits import account_credits_json, credit_lines
from tracker.views.outlook import compact_report, heading, outlook_lines
from tracker.views.terminal import Terminal, visible_width


def _last_error_json(error: LastError | None) -> dict | None:
    if error is None:
        return None
    return {"kind": error.kind, "since": iso_utc(error.since), "at": iso_utc(error.at),
            "http_status": error.http_status, "message": error.message}


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def report_json(report: Report) -> dict:
    return {
        "generated_at": iso_utc(report.generated_at),
        "accounts": [
            {
                "account": a.account,
                "plan": a.plan,
                "last_snapshot_at": iso_utc(a.last_snapshot_at),
                "stale": a.stale,
                "last_error": _last_error_json(a.last_error),
                "runs_out_before_reset": a.runs_out_before_reset,
                "may_run_out_before_reset": a.may_run_out_before_reset,
                "effective_remaining_percent": a.effective_remaining_percent,
                "binding_kind": a.binding.key.kind if a.binding else None,
                "severity": account_severity(a),
                "reset_credits_available": a.reset_credits_available,
                "credits_balance": a.credits_balance,
                "workspace_id": a.workspace_id,
                "workspace_label": a.workspace_label,
                "seat_type": a.seat_type,
                "blocked_seconds_this_week": None if a.blocked is None else round(a.blocked.seconds),
                "blocked_spans": [] if a.blocked is None else [
                    {"kind": s.kind, "from": iso_utc(s.start), "until": iso_utc(s.end), "seconds": round(s.seconds),
                     "reset_at": iso_utc(s.reset_at), "open": s.open} for s in a.blocked.spans],
                **account_credits_json(a, report.generated_at),
                "windows": [
                    {
                        "limit": w.key.limit,
                        "kind": w.key.kind,
                        "window_seconds": w.key.window_seconds,
                        "used_percent": w.figures.used_percent,
                        "remaining_percent": w.figures.remaining_percent,
                        "severity": window_severity(w),
                        "reset_at": iso_utc(w.figures.reset_at),
                        "burn_rate_percent_per_hour": _round(w.figures.burn_rate),
                        "safe_rate_percent_per_hour": _round(w.figures.safe_rate),
                        "exhausts_at": iso_utc(w.figures.exhausts_at),
                        "exhausts_before_reset": w.figures.exhausts_before_reset,
                        "reset_since_last_snapshot": w.figures.reset_since_last_snapshot,
                        "last_point_at": iso_utc(w.figures.last_at),
                        "reading_past_reset": w.figures.reading_past_reset,
                        "projected_used_percent_at_reset": _round(w.figures.projected),
                        "projected_low": _round(w.figures.projected_low),
                        "projected_high": _round(w.figures.projected_high),
                        "run_out_probability": _round(w.figures.run_out_probability, 3),
                        "may_exhaust_before_reset": w.figures.may_exhaust_before_reset,
                        "expected_rate_percent_per_hour": _round(w.figures.expected_rate, 3),
                        "pace_delta_percent": _round(w.figures.pace_delta),
                        "forecast_method": w.figures.method,
                    }
                    for w in a.windows
                ],
            }
            for a in report.accounts
        ],
    }


def _runs_out(f: Forecast, tz: tzinfo, now: datetime) -> str:
    if f.may_exhaust_before_reset:
        return "possibly"
    if f.exhausts_at is None:
        return "—"
    if f.exhausts_before_reset is False:
        return "after reset"
    text = format_local(f.exhausts_at, tz, now)
    return f"{text} (!)" if f.exhausts_before_reset else text


def _at_reset(f: Forecast) -> str:
    """The projected used % at the reset, with its range when past weeks give one."""
    if f.projected is None:
        return "-"
    text = f"{f.projected:.0f}"
    if f.projected_low is not None and f.projected_high is not None:
        low, high = f"{f.projected_low:.0f}", f"{f.projected_high:.0f}"
        if low != high:
            text += f" ({low}-{high})"
    return text


def rate_text(value: float | None) -> str:
    if value is None:
        return "-"
    return ">100" if value > 100 else f"{value:.1f}"


def report_table(report: Report, tz: tzinfo, term: Terminal | None = None) -> str:
    """The full table; on a terminal under 100 columns (or one the full table would not fit) the
    compact layout, and on a wider one the full table with each window's outlook sentence under
    it. Piped (no width): the full table only."""
    term = term or Terminal()
    if term.compact:
        return compact_report(report, tz, term)
    full = _full_table(report, tz, term)
    if term.width is not None and max((visible_width(line) for line in full.splitlines()), default=0) > term.width:
        return compact_report(report, tz, term)
    return full


def _full_table(report: Report, tz: tzinfo, term: Terminal) -> str:
    now = report.generated_at
    blocks = []
    for a in report.accounts:
        lines = [heading(a, tz, now, term, compact=False)]
        if a.last_error:
            hint = LOGIN_HINTS.get(a.last_error.kind, a.last_error.message)
            lines.append(f"  ! {a.last_error.kind} since {format_local(a.last_error.since, tz, now)}: {hint}")
        lines += credit_lines(a, tz, now)
        rows = []
        for w in a.windows:
            f = w.figures
            if f.reading_past_reset:
                resets = f"{format_local(f.reset_at, tz, now)}, already past when read"
            elif f.reset_since_last_snapshot:
                resets = f"passed {format_local(f.reset_at, tz, now)} (reset since last snapshot)"
            elif f.reset_at:
                resets = f"{format_local(f.reset_at, tz, now)} ({format_countdown(f.reset_at - now)})"
            else:
                resets = "-"
            label = KIND_LABELS.get(w.key.kind, w.key.kind)
            if w.key.kind == "other" and w.key.window_seconds:
                label = f"{w.key.window_seconds // 60}m"
            rows.append([w.key.limit, label, percent(f.used_percent), percent(f.remaining_percent),
                         rate_text(f.burn_rate), rate_text(f.safe_rate), _at_reset(f), resets, _runs_out(f, tz, now)])
        if rows:
            body = table(["limit", "window", "used%", "left%", "burn %/h", "safe %/h", "at reset", "resets",
                          "runs out"], rows, right={2, 3, 4, 5, 6})
            lines += ["  " + line for line in body.splitlines()]
            if term.width is not None:
                lines += outlook_lines(a, tz, now, term.width)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
