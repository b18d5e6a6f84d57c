"""Pure decisions for scripts: is anything low or running out (``check``), which account has the
most headroom (``pick``). Reports in, plain values out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo

from tracker.insight.report import Report, WindowReport
from tracker.kinds import KIND_LABELS, MAIN_LIMIT
from tracker.timeutil import format_countdown, format_local

EXIT_FINE = 0
EXIT_LOW = 10
EXIT_STALE = 20


@dataclass
class CheckResult:
    problems: list[str] = field(default_factory=list)
    exit_code: int = EXIT_FINE
    codes: list[int] = field(default_factory=list)  # each problem's own exit code

    def add(self, message: str, code: int) -> None:
        self.problems.append(message)
        self.codes.append(code)
        self.exit_code = max(self.exit_code, code)


def selected(window: WindowReport, kinds: tuple[str, ...]) -> bool:
    return not kinds or window.key.kind in kinds


def window_label(window: WindowReport) -> str:
    label = KIND_LABELS.get(window.key.kind, window.key.kind)
    return label if window.key.limit == MAIN_LIMIT else f"{window.key.limit} {label}"


def check_report(
    report: Report, kinds: tuple[str, ...], min_remaining: float, before_reset: bool, tz: tzinfo,
    missing: tuple[str, ...] = (),
) -> CheckResult:
    """Exit 10 when a window is low (or, with ``before_reset``, runs out first); 20 when stale or
    missing, which wins: a stale figure cannot be trusted."""
    result = CheckResult()
    now = report.generated_at
    for name in missing:
        result.add(f"{name}: no data: run `tracker collect`", EXIT_STALE)
    for account in report.accounts:
        if account.stale:
            when = (f"last snapshot {format_countdown(account.last_snapshot_at - now)}"
                    if account.last_snapshot_at else "no snapshot yet")
            error = f" ({account.last_error.kind}: {account.last_error.message})" if account.last_error else ""
            result.add(f"{account.account}: stale: {when}{error}", EXIT_STALE)
        for window in account.windows:
            if not selected(window, kinds) or not window.live:
                continue  # past its reset: the reading no longer says what is left
            f = window.figures
            if f.remaining_percent < min_remaining:
                resets = f", resets {format_local(f.reset_at, tz, now)}" if f.reset_at else ""
                result.add(f"{account.account}: {window_label(window)} window: {f.remaining_percent:.0f}% left "
                           f"(below {min_remaining:g}%){resets}", EXIT_LOW)
            elif before_reset and f.exhausts_before_reset:
                result.add(f"{account.account}: {window_label(window)} window runs out at "
                           f"{format_local(f.exhausts_at, tz, now)}, before its reset at "
                           f"{format_local(f.reset_at, tz, now)}", EXIT_LOW)
    return result


def headroom(windows: list[WindowReport], kinds: tuple[str, ...]) -> float | None:
    """The least left over the selected main-limit windows (one past its reset counts as full)."""
    values = [w.figures.remaining_percent if w.live else 100.0
              for w in windows if selected(w, kinds) and w.key.limit == MAIN_LIMIT]
    return min(values) if values else None


def pick_account(report: Report, kinds: tuple[str, ...]) -> tuple[str, float] | None:
    """The fresh account whose tightest selected window has the most left; None if none has any.

    An account expected to run out of a selected window before its reset ranks after every one
    that is not, whatever it has left now: switching to it buys little.
    """
    best: tuple[str, float] | None = None
    best_rank: tuple[bool, float] | None = None
    for account in report.accounts:
        if account.stale:
            continue
        score = headroom(account.windows, kinds)
        if score is None or score <= 0:
            continue
        runs_out = any(w.figures.exhausts_before_reset for w in account.windows
                       if selected(w, kinds) and w.key.limit == MAIN_LIMIT)
        rank = (not runs_out, score)
        if best_rank is None or rank > best_rank:
            best, best_rank = (account.account, score), rank
    return best
