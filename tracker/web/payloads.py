"""What the dashboard's JSON endpoints answer, computed from the store; no web framework here.

``/api/report`` is ``report --json`` itself (``report_json`` is passed through untouched, so
fields added to that contract appear here too). A series is one window of one account over a
period, as the page draws it: values downsampled in the database (``queries``), split into
lines at resets and gaps exactly as ``tracker chart`` splits them, the reset moments, and the
current window's projection. Times in series are Unix seconds (compact, what the chart library
takes); everything else follows the ISO UTC rule of the JSON output. The reset ledger is
``tracker resets --json`` over a bounded period, with the same event objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.errors import TrackerError
from tracker.kinds import KINDS as MAIN_KINDS
from tracker.kinds import MAIN_LIMIT, MONTHLY, OTHER, WEEKLY
from tracker.points import SeriesKey
from tracker.timeutil import get_zone, iso_utc, parse_when
from tracker.web.queries import MAX_POINTS, read_series, series_window_seconds

KINDS = (*MAIN_KINDS, OTHER)
DEFAULT_PERIOD = timedelta(days=7)
MAX_DAILY_DAYS = 366
DEFAULT_RESET_PERIOD = timedelta(days=30)
# The ledger reads every point of the period (about 6.5 ms per account-day of 5-minute readings):
# 92 account-days answer in about 0.6 s, so no page anywhere can make the server spend seconds.
MAX_RESET_ACCOUNT_DAYS = 92
MAX_RESET_PERIOD = timedelta(days=MAX_DAILY_DAYS)  # one pass over every point of it: keep it bounded
MAX_RESET_EVENTS = 1000  # the newest are kept; a week of 5-hour windows is about 35 per account


class BadRequest(TrackerError):
    """A query parameter the endpoint cannot use (HTTP 400)."""


class NotFound(TrackerError):
    """No such account or series (HTTP 404)."""


@dataclass(frozen=True)
class Figures:
    """How the report is computed: the same defaults as ``tracker report``."""

    lookback: timedelta = timedelta(hours=1)
    stale_after: timedelta = timedelta(minutes=30)


def report_payload(store, now: datetime, figures: Figures) -> dict:
    from tracker.insight.report import build_report
    from tracker.views.report import report_json

    return report_json(build_report(store, (), now, figures.lookback, figures.stale_after))


def _seconds(value: datetime) -> float:
    return value.timestamp()  # exact: stored times are whole milliseconds


def period(since: str | None, until: str | None, now: datetime,
           default: timedelta = DEFAULT_PERIOD) -> tuple[datetime, datetime]:
    """``since``/``until`` as ISO times or durations ago; by default the ``default`` before until."""
    try:
        end = parse_when(until, now) if until else now
        start = parse_when(since, now) if since else end - default
    except TrackerError as exc:
        raise BadRequest(exc.message) from None
    if start >= end:
        raise BadRequest("since must be before until")
    return start, end


def _series_key(store, account: str, kind: str, limit: str) -> SeriesKey:
    if kind not in KINDS:
        raise BadRequest(f"kind must be one of {', '.join(KINDS)}")
    lengths = series_window_seconds(store, account, limit, kind)
    if not lengths:
        raise NotFound(f"no {kind} series for account {account!r}")
    return SeriesKey(account, limit, kind, lengths[-1])


def series_payload(
    store, account: str, kind: str, since: datetime, until: datetime, now: datetime,
    figures: Figures, limit: str = MAIN_LIMIT, max_points: int = MAX_POINTS,
) -> dict:
    from tracker.views.chartdata import KindSeries, _add_projection, split_lines

    key = _series_key(store, account, kind, limit)
    read = read_series(store, key, since, until, max_points)
    lines, resets = split_lines(read.points, key.window_seconds) if read.points else ([], [])
    item = KindSeries(account, kind, lines, resets)
    if read.points and until >= now - figures.lookback:  # the period reaches the present
        window = timedelta(seconds=key.window_seconds or DEFAULT_PERIOD.total_seconds())
        _add_projection(item, store, key, store.points(key, until - window, until), until, figures.lookback)
    return {
        "account": account, "limit": limit, "kind": kind, "window_seconds": key.window_seconds,
        "since": iso_utc(since), "until": iso_utc(until),
        "stored": read.stored, "returned": len(read.points), "downsampled": read.downsampled,
        "lines": [[[_seconds(at), used] for at, used in line] for line in item.lines],
        "resets": [_seconds(at) for at in item.resets],
        "projection": [[_seconds(at), round(used, 2)] for at, used in item.projection],
        "next_reset": _seconds(item.next_reset) if item.next_reset else None,
        "exhausts_before_reset": item.exhausts_before_reset,
    }


def daily_payload(store, account: str, tz_name: str | None, days: int, now: datetime) -> dict:
    """Percentage points of the weekly window (the monthly one where there is no week) used per
    local day, the last ``days`` days."""
    from tracker.insight.windows import daily_consumption

    if not 1 <= days <= MAX_DAILY_DAYS:
        raise BadRequest(f"days must be between 1 and {MAX_DAILY_DAYS}")
    try:
        zone = get_zone(tz_name or "UTC")
    except TrackerError as exc:
        raise BadRequest(exc.message) from None
    try:
        key = _series_key(store, account, WEEKLY, MAIN_LIMIT)
    except NotFound:
        key = _series_key(store, account, MONTHLY, MAIN_LIMIT)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    # One point before the period, so that the first day's first rise is counted.
    points = store.points(key, None, start, last=1) + store.points(key, start, now)
    used = daily_consumption(points, key.window_seconds, zone)
    return {
        "account": account, "tz": tz_name or "UTC",
        "days": [{"date": (first + timedelta(days=i)).isoformat(),
                  "used_percent": round(used.get(first + timedelta(days=i), 0.0), 2)} for i in range(days)],
    }


def resets_payload(store, account: str | None, kind: str, since: datetime, until: datetime) -> dict:
    """The reset ledger of one account (or all) in [since, until]: ``tracker resets --json``'s events.

    ``kind`` "all" means what it means for ``tracker resets``. The period is bounded because the
    ledger reads every point of it; the events are bounded so that a page never gets megabytes.
    """
    from tracker.insight.ledger import build_ledger
    from tracker.kinds import KINDS as ALL_KINDS

    if kind != "all" and kind not in KINDS:
        raise BadRequest(f"kind must be all or one of {', '.join(KINDS)}")
    if until - since > MAX_RESET_PERIOD:
        raise BadRequest(f"the period must be at most {MAX_RESET_PERIOD.days} days")
    names = (account,) if account else ()
    known = store.account_names()
    if account and account not in known:
        raise NotFound(f"no account {account!r}")
    account_days = (until - since).total_seconds() / 86400 * (1 if account else max(1, len(known)))
    if account_days > MAX_RESET_ACCOUNT_DAYS:
        raise BadRequest(f"at most {MAX_RESET_ACCOUNT_DAYS} account-days of resets per request (this asks for "
                         f"{account_days:.0f}): name one account, or ask for a shorter period")
    events = build_ledger(store, names, since, until, ALL_KINDS if kind == "all" else (kind,))
    kept = events[-MAX_RESET_EVENTS:]
    return {
        "account": account, "kind": kind, "since": iso_utc(since), "until": iso_utc(until),
        "total": len(events), "returned": len(kept), "truncated": len(kept) < len(events),
        "events": [e.as_dict() for e in kept],
    }
