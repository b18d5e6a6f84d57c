"""What ``tracker collect`` shows: the table, the JSON list, the raw bodies and headers.

Next to the collection as ``report.py`` is next to the report: plain values in, text out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from tracker.collect.run import AccountResult
from tracker.kinds import KIND_LABELS, KIND_SHORT, MAIN_LIMIT
from tracker.records import CreditsReading
from tracker.render import cell, percent, printable, table, to_json
from tracker.timeutil import format_countdown, format_local, iso_utc
from tracker.views.credits import credit_json
from tracker.views.terminal import Terminal


def problem_lines(results: Sequence[AccountResult], quiet: bool) -> list[str]:
    """One line per warning (unless quiet: an unreadable reset-credits list is one) and per failed
    account, for stderr."""
    lines = []
    for result in results:
        if not quiet:
            lines += [printable(f"warning: {result.account}: {warning}") for warning in result.warnings]
        if result.status != "ok":
            lines.append(printable(f"{result.account}: {result.status}: {result.error}"))
        elif result.credits.outcome == "unknown" and not quiet:  # never the collection's failure: a warning
            why = (result.credits.error or "no answer").removeprefix("credits list ")
            lines.append(printable(f"warning: {result.account}: reset credits list not read: {why}"))
    return lines


def raw_text(results: Sequence[AccountResult], bodies: bool, headers: bool) -> str:
    lines = []
    for result in results:
        lines.append(f"# {result.account}: {result.status}"
                     + (f" (HTTP {result.http_status})" if result.http_status else ""))
        if headers:
            lines += [printable(f"{key}: {value}") for key, value in result.raw_headers.items()]
        if bodies and result.raw_body is not None:
            lines.append(printable(result.raw_body.decode("utf-8", "replace"), keep="\n\t"))
    return "\n".join(lines)


def result_json(result: AccountResult) -> dict:
    return {
        "account": result.account,
        "status": result.status,
        "error": result.error,
        "http_status": result.http_status,
        "plan": result.plan,
        "windows": [
            {"limit": w.limit, "kind": w.kind, "window_seconds": w.window_seconds, "used_percent": w.used_percent,
             "remaining_percent": w.remaining_percent, "reset_at": iso_utc(w.reset_at),
             "reported_percent": w.reported_percent}
            for w in result.windows
        ],
        "reset_credits": credits_json(result.credits),
    }


def credits_json(reading: CreditsReading) -> dict:
    """``state``: ``ok`` (the list below is this run's), ``unknown`` (asked, no usable answer:
    ``error``), ``not_due`` (asked less than an hour ago: see ``report``), ``not_asked``."""
    known = reading.outcome == "ok"
    return {"state": reading.outcome, "error": reading.error, "checked_at": iso_utc(reading.at),
            "available_count": reading.available_count if known else None,
            "credits": [credit_json(c) for c in reading.credits] if known else None}


def results_json(results: Sequence[AccountResult]) -> str:
    return to_json([result_json(r) for r in results])


def results_table(results: Sequence[AccountResult], zone: tzinfo, now: datetime, term: Terminal | None = None) -> str:
    """The full table; under 100 columns on a terminal, or when it would not fit, a compact one
    (countdowns, no plan, long names shortened). The
    status is coloured on a terminal: ok green, anything else red."""
    term = term or Terminal()
    short = term.compact  # countdowns only

    def cells(result: AccountResult, kind: str) -> list[str]:
        for w in result.windows:
            if w.limit == MAIN_LIMIT and w.kind == kind:
                resets = "-"
                if w.reset_at and short:
                    resets = format_countdown(w.reset_at - now)
                elif w.reset_at:
                    resets = f"{format_local(w.reset_at, zone, now)} ({format_countdown(w.reset_at - now)})"
                return [percent(w.remaining_percent), resets]
        return ["-", "-"]

    # The reference script's columns, and the monthly window's where an account has one.
    kinds = ["five_hour", "weekly"] + ["monthly"] * any(w.limit == MAIN_LIMIT and w.kind == "monthly"
                                                        for r in results for w in r.windows)
    full_rows = [[r.account, r.plan or "-", *(c for k in kinds for c in cells(r, k)), r.status] for r in results]
    full = table(["account", "plan", *(f"{KIND_LABELS[k]} {h}" for k in kinds for h in ("left%", "resets")),
                  "status"], full_rows, right={2 + 2 * i for i in range(len(kinds))})
    if term.compact or (term.width is not None and max(len(line) for line in full.splitlines()) > term.width):
        short = True
        rows = [[cell(r.account), *(c for k in kinds for c in cells(r, k)), r.status] for r in results]
        headers = ["account", *(h for k in kinds for h in (f"{KIND_SHORT[k]} left%", "resets")), "status"]
        right = {1 + 2 * i for i in range(len(kinds))}
        text = table(headers, rows, right=right)
        over = max(len(line) for line in text.splitlines()) - (term.width or 0)
        if over > 0:  # long account names give way first
            keep = max(8, max(len(row[0]) for row in rows) - over)
            rows = [[r[0] if len(r[0]) <= keep else r[0][: keep - 1] + "…", *r[1:]] for r in rows]
            text = table(headers, rows, right=right)
    else:
        text = full
    if not term.colour:
        return text
    head, *lines = text.splitlines()
    painted = [line[: -len(r.status)] + term.paint(r.status, "normal" if r.status == "ok" else "critical")
               for line, r in zip(lines, results, strict=True)]
    return "\n".join([head, *painted])
