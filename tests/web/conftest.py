"""Demo databases and a dashboard server on a free loopback port, with a clock the test moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import NOW

pytest.importorskip("starlette", reason="the web extra is not installed (pip install -e '.[dev]')")
pytest.importorskip("uvicorn", reason="the web extra is not installed (pip install -e '.[dev]')")

END = datetime.fromtimestamp(NOW - NOW % 300, tz=UTC)  # the demo's last snapshot: 2026-11-18 11:05 UTC
DEMO_ACCOUNTS = ["personal", "research", "work"]


class Clock:
    """The server's "now", moved by the test (never the wall clock)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def fill(url: str, accounts: int = 3, days: float = 7, end: datetime = END) -> str:
    from tracker.demo import fill_demo
    from tracker.store import Store

    store = Store.open(url)
    try:
        fill_demo(store, accounts=accounts, days=days, end=end, tz=UTC)
    finally:
        store.close()
    return url


@pytest.fixture(scope="session")
def shared_demo_url(tmp_path_factory) -> str:
    """A three-account week, filled once; tests that read only share it."""
    return fill(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")


@pytest.fixture
def demo_url(tmp_path) -> str:
    """A three-account week of its own, for tests that write to it."""
    return fill(f"sqlite:///{tmp_path / 'demo.db'}")


@pytest.fixture
def clock() -> Clock:
    return Clock(END + timedelta(minutes=1))


@pytest.fixture
def start_server(clock):
    """start_server(url, **options) -> the running server (stopped when the test ends)."""
    from tracker.web.server import RunningServer, ServeOptions

    running = []

    def start(url: str, **options) -> RunningServer:
        server = RunningServer(ServeOptions(db_url=url, clock=clock, **options)).__enter__()
        running.append(server)
        return server

    yield start
    for server in running:
        server.__exit__(None, None, None)
