"""``tracker report``'s figures: per account and window, the latest reading and its forecast
(rendered by ``tracker.views.report``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from tracker.errors import NoDataError
from tracker.insight.figures import Forecast
from tracker.kinds import KIND_ORDER, MAIN_LIMIT
from tracker.points import Point, SeriesKey
from tracker.records import CreditsState

TYPE_CHECKING = False  # not typing's: cheap to import
if TYPE_CHECKING:
    from tracker.insight.blocked import Blocked


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
    credits_balance: str | None = None  # as the latest snapshot said, verbatim (e.g. "12.50")
    reset_credits: CreditsState | None = None  # the credits list as last read (None: never asked)
    credits_usable: int | None = None  # usable credits: from the list when known, else the usage answer's count
    credits_earliest_expiry: datetime | None = None  # of the usable credits
    credit_advice: list = field(default_factory=list)  # tracker.insight.credits.CreditAdvice
    blocked: Blocked | None = None  # the main quota's blocked spans over the last 7 days
    workspace_id: str | None = None  # the workspace and seat the latest snapshot named
    workspace_label: str | None = None
    seat_type: str | None = None

    @property
    def blocked_seconds_this_week(self) -> float | None:
        return self.blocked.seconds if self.blocked is not None else None

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
    store, names: tuple[str, ...], at: datetime, lookback: timedelta, stale_after: timedelta,
    zone: tzinfo | None = None,
) -> Report:
    """Read only the latest points of each account's windows and compute their figures (the usual
    week on the clock of ``zone``, the person's: ``--tz``, else the machine's zone)."""
    # Here, not at the top: the status fast path imports this module without the forecasting.
    from tracker.insight.blocked import account_blocked, full_readings
    from tracker.insight.forecast import forecast_window
    from tracker.insight.profile import window_days, window_profiles

    states = store.account_states(names, at)
    unknown = set(names) - {s.name for s in states}
    if unknown:
        raise NoDataError(f"no data for {', '.join(sorted(unknown))}: run `tracker collect` for it first")
    if not any(s.last_snapshot_at for s in states):
        raise NoSnapshotsError("no snapshots stored yet: run `tracker collect` first")
    credit_states = store.credit_states(names)
    accounts = []
    full = full_readings(store, at, names=names)  # one statement for every account's blocked time
    recent = {}
    for state in states:
        for key in state.series:
            points = recent_points(store, key, at, lookback)
            # Only windows present in the latest answers: a limit dropped long ago is history.
            if points and state.last_snapshot_at - points[-1].at <= max(stale_after, lookback):
                recent[key] = points
    # one read of every long window's usual week (the grids of all accounts in one statement)
    lasts = {key: points[-1] for key, points in recent.items()}
    profiles = window_profiles(store, lasts, zone)
    days = window_days(store, lasts, at)  # the current weeks' days: a burst is not a pace
    for state in states:
        account = AccountReport(
            account=state.name, plan=state.plan, last_snapshot_at=state.last_snapshot_at,
            stale=state.last_snapshot_at is None or at - state.last_snapshot_at > stale_after,
            last_error=_last_error(state), reset_credits_available=state.reset_credits_available,
            credits_balance=state.credits_balance, workspace_id=state.workspace_id,
            workspace_label=state.workspace_label, seat_type=state.seat_type,
        )
        for key in state.series:
            if key not in recent:
                continue
            figures = forecast_window(recent[key], at, key.window_seconds, profiles.get(key), lookback,
                                      days.get(key))
            if figures is not None:
                account.windows.append(WindowReport(key, figures))
        if state.last_snapshot_at is not None:
            account.blocked = account_blocked(store, state.series, at, full=full)
        account.windows = _latest_per_kind(account.windows)
        account.windows.sort(key=lambda w: (w.key.limit != MAIN_LIMIT, w.key.limit, KIND_ORDER.get(w.key.kind, 3)))
        _add_credits(account, credit_states.get(state.name), at)
        accounts.append(account)
    return Report(at, accounts)


def _add_credits(account: AccountReport, state: CreditsState | None, at: datetime) -> None:
    from tracker.insight.credits import available_count, credit_advice, earliest_expiry

    account.reset_credits = state
    account.credits_usable = available_count(state, account.reset_credits_available, at)
    account.credits_earliest_expiry = earliest_expiry(state, at)
    account.credit_advice = credit_advice(account.windows, state, account.reset_credits_available, at)


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
