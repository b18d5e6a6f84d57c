"""``tracker status``: the report in one line, for status bars, tmux and shell prompts.

Pure: a Report in, text out. Stale data is always marked, never shown as fresh. The status fast
path imports it: no dataclasses, no typing here (each costs milliseconds of a prompt's budget).
"""

from __future__ import annotations

import json

from tracker.insight.severity import SEVERITY_ORDER, account_severity
from tracker.kinds import KIND_SHORT, LOGIN_KINDS, MAIN_LIMIT
from tracker.render import cell
from tracker.timeutil import format_countdown, format_local, iso_utc
from tracker.views.terminal import Terminal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime, tzinfo

    from tracker.insight.report import AccountReport, Report, WindowReport

SHORT = KIND_SHORT
TMUX_COLOURS = {"normal": "green", "warning": "yellow", "stale": "colour244", "critical": "red"}
I3_COLOURS = {"normal": "#98c379", "warning": "#e5c07b", "stale": "#7f848e", "critical": "#e06c75"}
FORMATS = ("text", "json", "waybar", "tmux", "i3blocks")


class AccountStatus:
    """One account's part of the status: its text, severity, tightest window (% left), tooltip lines."""

    __slots__ = ("account", "text", "severity", "remaining_percent", "detail", "windows")

    def __init__(self, account: str, text: str, severity: str, remaining_percent: float | None,
                 detail: list[str], windows: list[dict]) -> None:
        self.account, self.text, self.severity = account, text, severity
        self.remaining_percent, self.detail, self.windows = remaining_percent, detail, windows


def _windows(account: AccountReport, kinds: tuple[str, ...]) -> list[WindowReport]:
    return [w for w in account.windows if w.key.limit == MAIN_LIMIT and w.key.kind in kinds]


def _live(windows: list[WindowReport]) -> list[WindowReport]:
    return [w for w in windows if w.live]


def account_status(account: AccountReport, kinds: tuple[str, ...], tz: tzinfo, now: datetime) -> AccountStatus:
    windows = _windows(account, kinds)
    name = cell(account.account)  # escaped: a newline would split the line, an escape obey
    parts, detail, described = [], [], []
    for w in windows:
        f = w.figures
        if not w.live:  # the reading is from before a reset that has passed
            parts.append(f"{SHORT.get(w.key.kind, w.key.kind)} reset")
            detail.append(f"{name} {SHORT.get(w.key.kind, w.key.kind)}: reset since the last snapshot")
            continue
        part = f"{SHORT.get(w.key.kind, w.key.kind)} {f.remaining_percent:.0f}%"
        if f.exhausts_before_reset and f.exhausts_at:
            part += f" ↘ {format_local(f.exhausts_at, tz, now)}"
        parts.append(part)
        resets = f"resets {format_local(f.reset_at, tz, now)}" if f.reset_at else "reset time unknown"
        runs_out = f", runs out {format_local(f.exhausts_at, tz, now)}" if f.exhausts_before_reset else ""
        if f.run_out_probability is not None and 0.1 <= f.run_out_probability < 0.995:
            runs_out += f" ({100 * f.run_out_probability:.0f}% chance to run out first)"
        detail.append(f"{name} {SHORT.get(w.key.kind, w.key.kind)}: {f.remaining_percent:.0f}% left, "
                      f"{resets}{runs_out}")
        described.append({"kind": w.key.kind, "used_percent": f.used_percent, "remaining_percent": f.remaining_percent,
                          "reset_at": iso_utc(f.reset_at), "exhausts_at": iso_utc(f.exhausts_at),
                          "exhausts_before_reset": f.exhausts_before_reset,
                          "run_out_probability": f.run_out_probability})
    text = f"{name} " + (" · ".join(parts) if parts else "no data")
    if account.last_error and account.last_error.kind in LOGIN_KINDS:
        text += " · login needed"
        detail.append(f"{name}: {account.last_error.kind}: run `codex login`")
    if account.stale:
        age = format_countdown(account.last_snapshot_at - now) if account.last_snapshot_at else "never"
        text += f" · stale ({age})"
        detail.append(f"{name}: stale: last snapshot {age}")
    remaining = min((w.figures.remaining_percent for w in _live(windows)), default=None)
    return AccountStatus(account.account, text, account_severity(account, kinds), remaining, detail, described)


def render_status(report: Report, kinds: tuple[str, ...], fmt: str, tz: tzinfo, term: Terminal | None = None) -> str:
    """The one rendering of every format (the state-file fast path calls it too). ``term``: on a
    terminal, text is coloured by severity and one account per line when the line would not fit."""
    now = report.generated_at
    items = [account_status(a, kinds, tz, now) for a in report.accounts]
    line = "  |  ".join(i.text for i in items)
    severity = max((i.severity for i in items), key=SEVERITY_ORDER.index, default="stale")
    remaining = min((i.remaining_percent for i in items if i.remaining_percent is not None), default=None)
    if fmt == "json":
        return json.dumps([{"account": i.account, "text": i.text, "severity": i.severity,
                            "stale": a.stale, "credits_balance": a.credits_balance, "windows": i.windows} for i, a in zip(items, report.accounts,
                                                                                    strict=True)],
                          ensure_ascii=False)
    if fmt == "waybar":
        return json.dumps({"text": line, "tooltip": "\n".join(d for i in items for d in i.detail),
                           "class": severity, "percentage": round(remaining) if remaining is not None else 0},
                          ensure_ascii=False)
    if fmt == "tmux":
        return f"#[fg={TMUX_COLOURS[severity]}]{line.replace('#', '##')}#[default]"
    if fmt == "i3blocks":  # full text, short text, colour
        short = "  ".join(f"{cell(i.account)} {i.remaining_percent:.0f}%" if i.remaining_percent is not None
                          else f"{cell(i.account)} ?" for i in items)
        return f"{line}\n{short}\n{I3_COLOURS[severity]}"
    term = term or Terminal()
    if term.width is not None and len(line) > term.width:
        return "\n".join(term.paint(i.text, i.severity) for i in items)
    return "  |  ".join(term.paint(i.text, i.severity) for i in items) if term.colour else line
