"""A history collected at fixed instants from a local server whose answers change."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.fixtures import T0, USAGE_PATH, body, iso, run, write_auth


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


