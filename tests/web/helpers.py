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


def get(server, path: str, **kwargs):  # noqa: ANN001, ANN201
    """GET ``path`` from a running dashboard server."""
    import requests

    return requests.get(server.url + path.lstrip("/"), timeout=10, **kwargs)
