"""``tracker report``: assemble per-account figures from the store, render them as table or JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from tracker.analysis import WindowFigures, window_figures
from tracker.errors import NoDataError
from tracker.points import SeriesKey
from tracker.render import percent, table
from tracker.timeutil import format_countdown, format_local, iso_utc

KIND_LABELS = {"five_hour": "5h", "weekly": "weekly", "other": "other"}
KIND_ORDER = {"five_hour": 0, "weekly": 1, "other": 2}
LOGIN_HINTS = {"expired": "run `codex login`", "auth_error": "fix the auth file or run `codex login`"}


class NoSnapshotsError(NoDataError):
    """Nothing stored at or before the moment asked about."""


@dataclass
class WindowReport:
    key: SeriesKey
    figures: WindowFigures


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

    @property
    def runs_out_before_reset(self) -> bool:
        return any(w.figures.exhausts_before_reset for w in self.windows)


@dataclass
class Report:
    generated_at: datetime
    accounts: list[AccountReport]


def build_report(
    store, names: tuple[str, ...], at: datetime, lookback: timedelta, stale_after: timedelta  # noqa: ANN001
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
            last_error=_last_error(state),
        )
        for key in state.series:
            points = store.points(key, at - lookback, at)
            if len(points) < 2:
                points = store.points(key, None, at, last=3)
            # Only windows present in the latest answers: a limit dropped long ago is history.
            if not points or state.last_snapshot_at - points[-1].at > max(stale_after, lookback):
                continue
            figures = window_figures(points, at, lookback, key.window_seconds)
            if figures is not None:
                account.windows.append(WindowReport(key, figures))
        account.windows.sort(key=lambda w: (w.key.limit != "codex", w.key.limit, KIND_ORDER.get(w.key.kind, 3)))
        accounts.append(account)
    return Report(at, accounts)


def _last_error(state) -> LastError | None:  # noqa: ANN001
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
                    }
                    for w in a.windows
                ],
            }
            for a in report.accounts
        ],
    }


def _runs_out(f: WindowFigures, tz: tzinfo, now: datetime) -> str:
    if f.exhausts_at is None:
        return "—"
    if f.exhausts_before_reset is False:
        return "after reset"
    text = format_local(f.exhausts_at, tz, now)
    return f"{text} (!)" if f.exhausts_before_reset else text


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
        if a.stale:
            head += " · STALE"
        if a.runs_out_before_reset:
            head += " · RUNS OUT BEFORE RESET"
        lines = [head]
        if a.last_error:
            hint = LOGIN_HINTS.get(a.last_error.kind, a.last_error.message)
            lines.append(f"  ! {a.last_error.kind} since {format_local(a.last_error.since, tz, now)}: {hint}")
        rows = []
        for w in a.windows:
            f = w.figures
            if f.reset_since_last_snapshot:
                resets = "passed (reset since last snapshot)"
            elif f.reset_at:
                resets = f"{format_local(f.reset_at, tz, now)} ({format_countdown(f.reset_at - now)})"
            else:
                resets = "-"
            label = KIND_LABELS.get(w.key.kind, w.key.kind)
            if w.key.kind == "other" and w.key.window_seconds:
                label = f"{w.key.window_seconds // 60}m"
            rows.append([w.key.limit, label, percent(f.used_percent), percent(f.remaining_percent),
                         _rate(f.burn_rate), _rate(f.safe_rate), resets, _runs_out(f, tz, now)])
        if rows:
            body = table(["limit", "window", "used%", "left%", "burn %/h", "safe %/h", "resets", "runs out"],
                         rows, right={2, 3, 4, 5})
            lines += ["  " + line for line in body.splitlines()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
