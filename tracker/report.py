"""``tracker report``: assemble per-account figures from the store, render them as table or JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from tracker.errors import NoDataError
from tracker.forecast import Forecast, forecast_window
from tracker.hourly import window_profile
from tracker.normalize import MAIN_LIMIT
from tracker.points import Point, SeriesKey
from tracker.render import percent, table
from tracker.timeutil import format_countdown, format_local, iso_utc

KIND_LABELS = {"five_hour": "5h", "weekly": "weekly", "other": "other"}
KIND_ORDER = {"five_hour": 0, "weekly": 1, "other": 2}
LOGIN_KINDS = frozenset({"expired", "auth_error", "unauthorized"})  # fixed by `codex login`
LOGIN_HINTS = {"expired": "run `codex login`", "auth_error": "fix the auth file or run `codex login`"}


class NoSnapshotsError(NoDataError):
    """Nothing stored at or before the moment asked about."""


@dataclass
class WindowReport:
    key: SeriesKey
    figures: Forecast

    @property
    def live(self) -> bool:
        """Its figures describe the window now; False once its reset time has passed since the last
        reading (the reading is history: no alert, no headroom, shown as reset)."""
        return not self.figures.reset_since_last_snapshot


@dataclass
class LastError:
    """The newest failed collection since the last success, and when the failures began."""

    kind: str
    since: datetime
    at: datetime
    http_status: int | None
    message: str


@dataclass
class AccountReport:
    account: str
    plan: str | None
    last_snapshot_at: datetime | None
    stale: bool
    last_error: LastError | None
    windows: list[WindowReport] = field(default_factory=list)
    reset_credits_available: int | None = None

    @property
    def runs_out_before_reset(self) -> bool:
        return any(w.figures.exhausts_before_reset for w in self.windows)

    @property
    def may_run_out_before_reset(self) -> bool:
        return any(w.figures.may_exhaust_before_reset for w in self.windows)

    @property
    def binding(self) -> WindowReport | None:
        """The main-limit window that stops the person first: one at 100 % now (the longest), else
        the one expected to run out first, else the one with the least left."""
        def order(w: WindowReport) -> tuple:
            f, length = w.figures, -(w.key.window_seconds or 0)
            if f.remaining_percent <= 0:
                return (0, 0.0, length)
            if f.exhausts_before_reset and f.exhausts_at is not None:
                return (1, f.exhausts_at.timestamp(), length)
            return (2, f.remaining_percent, length)

        return min(self.live_main_windows(), key=order, default=None)

    @property
    def effective_remaining_percent(self) -> float | None:
        """What is really left: the least of the main limit's windows (a full week blocks use
        whatever the five-hour window shows)."""
        return min((w.figures.remaining_percent for w in self.live_main_windows()), default=None)

    def live_main_windows(self) -> list[WindowReport]:
        return [w for w in self.windows if w.key.limit == MAIN_LIMIT and w.live]


@dataclass
class Report:
    generated_at: datetime
    accounts: list[AccountReport]


def build_report(
    store, names: tuple[str, ...], at: datetime, lookback: timedelta, stale_after: timedelta
) -> Report:
    """Read only the latest points of each account's windows and compute their figures."""
    states = store.account_states(names, at)
    unknown = set(names) - {s.name for s in states}
    if unknown:
        raise NoDataError(f"no data for {', '.join(sorted(unknown))}: run `tracker collect` for it first")
    if not any(s.last_snapshot_at for s in states):
        raise NoSnapshotsError("no snapshots stored yet: run `tracker collect` first")
    accounts = []
    for state in states:
        account = AccountReport(
            account=state.name, plan=state.plan, last_snapshot_at=state.last_snapshot_at,
            stale=state.last_snapshot_at is None or at - state.last_snapshot_at > stale_after,
            last_error=_last_error(state), reset_credits_available=state.reset_credits_available,
        )
        for key in state.series:
            points = recent_points(store, key, at, lookback)
            # Only windows present in the latest answers: a limit dropped long ago is history.
            if not points or state.last_snapshot_at - points[-1].at > max(stale_after, lookback):
                continue
            figures = forecast_window(points, at, key.window_seconds, window_profile(store, key, points[-1]), lookback)
            if figures is not None:
                account.windows.append(WindowReport(key, figures))
        account.windows = _latest_per_kind(account.windows)
        account.windows.sort(key=lambda w: (w.key.limit != MAIN_LIMIT, w.key.limit, KIND_ORDER.get(w.key.kind, 3)))
        accounts.append(account)
    return Report(at, accounts)


def _latest_per_kind(windows: list[WindowReport]) -> list[WindowReport]:
    """One window per limit and kind: the most recently read. A series stored under another length
    (an answer that once gave a nonsense length) is history, not a second current window."""
    latest: dict[tuple[str, str], WindowReport] = {}
    for w in windows:
        key = (w.key.limit, w.key.kind)
        if key not in latest or w.figures.last_at > latest[key].figures.last_at:
            latest[key] = w
    return list(latest.values())


def recent_points(store, key: SeriesKey, at: datetime, lookback: timedelta) -> list[Point]:
    """The readings within ``lookback`` and the two before them (the slope, idleness and the
    window's state need no more)."""
    before = store.points(key, None, at - lookback, last=2)
    recent = store.points(key, at - lookback, at)
    seen = {p.at for p in recent}
    return [p for p in before if p.at not in seen] + recent


def _last_error(state) -> LastError | None:
    failure = state.last_failure
    if failure is None or state.failing_since is None:
        return None
    return LastError(failure.kind, state.failing_since, failure.at, failure.http_status, failure.message)


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
                "reset_credits_available": a.reset_credits_available,
                "windows": [
                    {
                        "limit": w.key.limit,
                        "kind": w.key.kind,
                        "window_seconds": w.key.window_seconds,
                        "used_percent": w.figures.used_percent,
                        "remaining_percent": w.figures.remaining_percent,
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


def _rate(value: float | None) -> str:
    if value is None:
        return "-"
    return ">100" if value > 100 else f"{value:.1f}"


def report_table(report: Report, tz: tzinfo) -> str:
    now = report.generated_at
    blocks = []
    for a in report.accounts:
        head = f"{a.account}" + (f" ({a.plan})" if a.plan else "")
        if a.last_snapshot_at:
            head += f" · last snapshot {format_local(a.last_snapshot_at, tz, now)} ({format_countdown(a.last_snapshot_at - now)})"
        else:
            head += " · no snapshot yet"
        if a.reset_credits_available:
            head += f" · {a.reset_credits_available} reset credit{'s' if a.reset_credits_available != 1 else ''}"
        if a.stale:
            head += " · STALE"
        if a.runs_out_before_reset:
            head += " · RUNS OUT BEFORE RESET"
        elif a.may_run_out_before_reset:
            head += " · may run out before reset"
        lines = [head]
        if a.last_error:
            hint = LOGIN_HINTS.get(a.last_error.kind, a.last_error.message)
            lines.append(f"  ! {a.last_error.kind} since {format_local(a.last_error.since, tz, now)}: {hint}")
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
                         _rate(f.burn_rate), _rate(f.safe_rate), _at_reset(f), resets, _runs_out(f, tz, now)])
        if rows:
            body = table(["limit", "window", "used%", "left%", "burn %/h", "safe %/h", "at reset", "resets",
                          "runs out"], rows, right={2, 3, 4, 5, 6})
            lines += ["  " + line for line in body.splitlines()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
