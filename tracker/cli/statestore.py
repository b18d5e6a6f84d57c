"""Write the state file ``tracker status`` reads (``tracker.views.statefile``) after every command
that stores, and after every full ``tracker status``. Never fails the command that stored."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.insight.report import Report

STALE_AFTER = timedelta(minutes=30)  # only decides which windows are current; staleness is read-time
LOOKBACK = timedelta(hours=1)  # tracker.cli.options.DEFAULT_LOOKBACK


def same_report(names: tuple[str, ...], lookback: timedelta, stale_after: timedelta, zone: tzinfo) -> bool:
    """Whether a report built with these arguments is the one the file holds (every account, the
    file's lookback and staleness, the machine's zone for the usual week), so that ``tracker
    status`` hands its own report over instead of the file's being built again (a second opening
    of the store and the same queries: a tenth of a cold ``status``)."""
    from tracker.insight.profile import zone_key
    from tracker.timeutil import local_zone

    key = zone_key(zone)
    return (not names and lookback == LOOKBACK and stale_after == STALE_AFTER and key is not None
            and key == zone_key(local_zone()))


def refresh_state(url: str, at: datetime | None = None, report: Report | None = None) -> None:
    """The report of every account at ``at`` (default now) into ``<db>.status.json``; SQLite only.
    ``at`` given (a status as of a past moment) marks the file so that only that moment reads it.
    ``report``: that report, already built (see ``same_report``); else it is built here."""
    from tracker.config import sqlite_path
    from tracker.errors import TrackerError

    path = sqlite_path(url)
    if path is None or not path.is_file():
        return
    try:
        from tracker.insight.report import NoSnapshotsError, build_report
        from tracker.storage.store import Store
        from tracker.views.statefile import state_path, write_state

        if report is None:
            store = Store.open(url, readonly=True)
            try:
                report = build_report(store, (), at or datetime.now(UTC), LOOKBACK, STALE_AFTER)
            finally:
                store.close()
        write_state(report, path, as_of=at is not None)
    except NoSnapshotsError:
        state_path(path).unlink(missing_ok=True)
    except (TrackerError, OSError, ValueError) as exc:
        print(f"tracker: could not write the status state file: {exc}", file=sys.stderr)
