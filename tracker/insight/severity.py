"""How bad is it: one severity per window and per account, the single rule behind `status`'s
classes and colours, `report`'s colours and JSON, and the dashboard's badges. Pure."""

from __future__ import annotations

from tracker.kinds import KINDS, LOGIN_KINDS, MAIN_LIMIT

TYPE_CHECKING = False  # not typing's: the status fast path imports this module, and typing costs milliseconds
if TYPE_CHECKING:
    from tracker.insight.report import AccountReport, WindowReport

LOW, CRITICAL = 25.0, 10.0  # % left: under LOW a warning, under CRITICAL critical
SEVERITY_ORDER = ("normal", "warning", "stale", "critical")  # worst last; stale outranks a warning
MAIN_KINDS = KINDS


def window_severity(window: WindowReport) -> str:
    """critical: under 10 % left or expected to run out before its reset; warning: under 25 %.
    A window past its reset says nothing about now: normal."""
    f = window.figures
    if not window.live:
        return "normal"
    if f.remaining_percent < CRITICAL or f.exhausts_before_reset:
        return "critical"
    return "warning" if f.remaining_percent < LOW else "normal"


def worst(severities) -> str:
    return max(severities, key=SEVERITY_ORDER.index, default="normal")


def account_severity(account: AccountReport, kinds: tuple[str, ...] = MAIN_KINDS) -> str:
    """The worst of the main limit's windows of ``kinds``; stale data (or a login needed) ranks
    above a warning and below critical."""
    windows = [w for w in account.windows if w.key.limit == MAIN_LIMIT and w.key.kind in kinds]
    found = worst(window_severity(w) for w in windows)
    if found != "critical" and (account.stale or (account.last_error and account.last_error.kind in LOGIN_KINDS)):
        return "stale"
    return found
