"""Demo databases and a dashboard server on a free loopback port, with a clock the test moves."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.fixtures import END, Clock, fill


@pytest.fixture
def web_extra() -> None:
    """Skip (with the reason) where the web extra is not installed."""
    for module in ("starlette", "uvicorn"):
        pytest.importorskip(module, reason="the web extra is not installed (pip install -e '.[dev]')")


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
def start_server(clock, web_extra):
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


@pytest.fixture
def server(start_server, shared_demo_url):
    """A server over the shared demo week."""
    return start_server(shared_demo_url)
