"""A history collected at fixed instants from a local server whose answers change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from tests.conftest import USAGE_PATH
from tests.helpers import write_auth
from tracker.cli import cli

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
FIVE_RESET = int((T0 + timedelta(hours=4)).timestamp())  # 14:00
WEEK_RESET = int((T0 + timedelta(days=3)).timestamp())


def body(five, weekly):
    return {"plan_type": "pro", "rate_limit": {
        "primary_window": {"used_percent": five, "limit_window_seconds": 18000, "reset_at": FIVE_RESET},
        "secondary_window": {"used_percent": weekly, "limit_window_seconds": 604800, "reset_at": WEEK_RESET}}}


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def store_url(db) -> str:
    """A SQLite path or a PostgreSQL URL, as the Store wants it."""
    return str(db) if "://" in str(db) else f"sqlite:///{db}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def history_db(request, httpserver, usage_url, tmp_path):
    """Five collections 15 minutes apart: 5h at 20 %/h, weekly at 4 %/h; on SQLite and PostgreSQL."""
    accounts = tmp_path / "accounts"
    write_auth(accounts / "work.auth.json", "work")
    db = tmp_path / "t.db" if request.param == "sqlite" else request.getfixturevalue("pg_db")
    for i in range(5):
        httpserver.expect_ordered_request(USAGE_PATH).respond_with_json(body(10 + 5 * i, 50 + i))
        result = run("collect", "--account-dir", str(accounts), "--url", usage_url, "--db", str(db),
                     "--at", iso(T0 + timedelta(minutes=15 * i)), "-q")
        assert result.exit_code == 0, result.stderr
    return db, accounts, usage_url


