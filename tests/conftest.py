from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from tests.helpers import NOW

USAGE_PATH = "/backend-api/wham/usage"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory, monkeypatch):
    """No test can touch the real user's data, Codex login or network settings."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("TRACKER_HOME", str(home / "data"))
    monkeypatch.setenv("CODEX_HOME", str(home / ".codex"))
    monkeypatch.setenv("HOME", str(home))
    for var in ("TRACKER_DB", "TRACKER_ACCOUNT_DIR", "TRACKER_USAGE_URL"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def now() -> datetime:
    return datetime.fromtimestamp(NOW, tz=UTC)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "tracker.db"


@pytest.fixture(scope="session")
def make_httpserver():
    """pytest-httpserver's server, threaded so that concurrent collection is really concurrent."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def usage_url(httpserver) -> str:
    return httpserver.url_for(USAGE_PATH)


@pytest.fixture
def pg_url():
    """A PostgreSQL database for the tests that need one; skipped with the reason when none answers."""
    url = os.environ.get("TRACKER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[dev]')")
    try:
        psycopg.connect(url.replace("+psycopg", ""), connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"no PostgreSQL server answers at {url}: {exc}")
    return url


@pytest.fixture
def pg_db(pg_url):
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import uuid

    import psycopg

    name = f"tracker_test_{uuid.uuid4().hex[:12]}"
    admin = pg_url.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
