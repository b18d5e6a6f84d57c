"""Builders shared by the dashboard tests: demo databases and a clock the test moves."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.helpers import NOW

END = datetime.fromtimestamp(NOW - NOW % 300, tz=UTC)  # the demo's last snapshot: 2026-11-18 11:05 UTC
DEMO_ACCOUNTS = ["personal", "research", "work"]


class Clock:
    """The server's "now", moved by the test (never the wall clock)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def fill(url: str, accounts: int = 3, days: float = 7, end: datetime = END) -> str:
    """A demo history in the database at ``url`` (created and upgraded); returns the URL."""
    from tracker.demo import fill_demo
    from tracker.store import Store

    store = Store.open(url)
    try:
        fill_demo(store, accounts=accounts, days=days, end=end, tz=UTC)
    finally:
        store.close()
    return url


def get(server, path: str, **kwargs):
    """GET ``path`` from a running dashboard server."""
    import requests

    return requests.get(server.url + path.lstrip("/"), timeout=10, **kwargs)


def moves_db(path, t0: datetime) -> str:
    """Account "solo" from ``t0``: its 5-hour window's reset time moves 2 h later at t0+2h
    (50 → 55 %), then it resets late (seen at t0+9h, announced for t0+7h; 60 → 3 %); a steady
    weekly window beside it (so the page has every chart it asks for)."""
    from datetime import timedelta

    from tracker.normalize import FIVE_HOUR, MAIN_LIMIT, WEEKLY, Usage, Window
    from tracker.store import SnapshotRecord, Store

    rows = [(0, 40.0, 5), (1, 50.0, 5), (2, 55.0, 7), (8.5, 60.0, 7), (9, 3.0, 14)]  # hours, used %, reset
    url = f"sqlite:///{path}"
    store = Store.open(url)
    try:
        store.add_snapshots([SnapshotRecord("solo", t0 + timedelta(hours=h), "api", Usage(windows=[
            Window(MAIN_LIMIT, FIVE_HOUR, 18000, used, t0 + timedelta(hours=reset)),
            Window(MAIN_LIMIT, WEEKLY, 604800, 10.0 + h, t0 + timedelta(days=5))], plan="pro"))
            for h, used, reset in rows])
    finally:
        store.close()
    return url
