from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest

from tests import fixtures as helpers
from tests.fixtures import NOW, USAGE_PATH


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
    except Exception as exc:
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


# -- secrets: after the whole suite, no fixture token may appear in any output or file --------

_outputs: list[tuple[str, str]] = []


@pytest.fixture(autouse=True)
def record_cli_output(monkeypatch, request):
    """Keep every CliRunner output, to be searched for tokens when the session ends."""
    from click.testing import CliRunner

    real_invoke = CliRunner.invoke

    def invoke(self, *args, **kwargs):
        result = real_invoke(self, *args, **kwargs)
        _outputs.append((request.node.nodeid, result.stdout + result.stderr))
        return result

    monkeypatch.setattr(CliRunner, "invoke", invoke)


def pytest_runtest_logreport(report):
    captured = "".join(content for _, content in report.sections)
    if captured:
        _outputs.append((report.nodeid, captured))


def _leaks(basetemp) -> list[str]:
    secrets = [s for s in helpers.SECRETS if len(s) >= 12]
    found = []
    for nodeid, text in _outputs:
        if any(secret in text for secret in secrets):
            found.append(f"output of {nodeid}")
    encoded = [s.encode() for s in secrets]
    for path in basetemp.rglob("*") if basetemp and basetemp.exists() else []:
        if not path.is_file() or path.is_symlink():
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if path.suffix == ".json" and b'"tokens"' in data[:200]:
            continue  # an auth file the test wrote: the one place tokens belong
        if any(secret in data for secret in encoded):
            found.append(str(path))
    return found


def pytest_sessionfinish(session, exitstatus):
    """Search every output and file for the fixture tokens. Under pytest-xdist each worker searches
    what it saw and leaves its findings beside its temporary directory; the controller reads them
    all and fails the run on any hit (and when a worker left none). Listing the tests
    (``--collect-only``, an editor's discovery) runs none and outputs nothing: nothing to check."""
    if session.config.option.collectonly:
        return
    factory = getattr(session.config, "_tmp_path_factory", None)
    basetemp = factory.getbasetemp() if factory else None
    worker = getattr(session.config, "workerinput", None)
    if worker is not None:
        found = {"tokens": len(helpers.SECRETS), "outputs": len(_outputs),
                 "leaks": _leaks(basetemp) if helpers.SECRETS else []}
        (basetemp.parent / f"secrets-{worker['workerid']}.json").write_text(json.dumps(found))
        return
    reports = []
    if session.config.getoption("numprocesses", None) and basetemp is not None:
        reports = [json.loads(f.read_text()) for f in sorted(basetemp.glob("secrets-*.json"))]
        if not reports and session.testscollected:
            reports = [{"tokens": 0, "outputs": 0, "leaks": ["no worker reported its secrets check"]}]
    else:
        reports = [{"tokens": len(helpers.SECRETS), "outputs": len(_outputs),
                    "leaks": _leaks(basetemp) if helpers.SECRETS else []}]
    leaks = [leak for r in reports for leak in r["leaks"]]
    tokens, outputs = sum(r["tokens"] for r in reports), sum(r["outputs"] for r in reports)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if leaks:
        if reporter:
            reporter.write_line("SECRET LEAK: a fixture token appears in: " + ", ".join(leaks[:20]), red=True)
        session.exitstatus = 1
    elif reporter and tokens:
        reporter.write_line(f"secrets check: {tokens} fixture tokens, none found in "
                            f"{outputs} outputs or the files under {basetemp}")
