"""The dashboard opens the database without writing: no file created, no migration, no write."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy.exc import DBAPIError

from tests.fixtures import fill
from tracker.errors import NoDataError, StorageError, TrackerError
from tracker.storage.db import SCHEMA_HEAD, current_revision, make_engine, upgrade
from tracker.web.readonly import open_readonly


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_read_only(url: str, statement: str, refusal: str) -> None:
    """The store reads the demo's accounts, and ``statement`` fails with ``refusal``."""
    store = open_readonly(url)
    try:
        assert store.account_names() == ["personal", "research", "work"]
        with pytest.raises(DBAPIError, match=refusal), store.engine.begin() as conn:
            conn.exec_driver_sql(statement)
    finally:
        store.close()


def test_a_missing_sqlite_file_is_refused_and_not_created(tmp_path):
    path = tmp_path / "nowhere" / "tracker.db"
    with pytest.raises(NoDataError, match="no database at .*run `tracker collect`"):  # exit 1, as for readers
        open_readonly(f"sqlite:///{path}")
    assert not path.exists() and not path.parent.exists()


def test_in_memory_sqlite_is_refused():
    with pytest.raises(NoDataError, match="no database in memory"):
        open_readonly("sqlite://")


def test_reads_work_and_writes_are_impossible(demo_url, tmp_path):
    path = tmp_path / "demo.db"
    before = digest(path)
    assert_read_only(demo_url, "DELETE FROM snapshots", "readonly|read-only")
    assert digest(path) == before


@pytest.mark.parametrize("revision", [None, "0001"])
def test_an_old_or_foreign_schema_is_refused_and_left_alone(tmp_path, revision):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)  # creates the (empty) file
    if revision:
        upgrade(engine, revision)
    engine.dispose()
    expected = ("needs " + SCHEMA_HEAD + ".*tracker db upgrade") if revision else "is empty: run `tracker collect`"
    with pytest.raises(TrackerError, match=expected):
        open_readonly(url)
    engine = make_engine(url)
    assert current_revision(engine) == revision  # never migrated
    engine.dispose()


def test_not_a_database_is_one_line(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("this is not sqlite " * 100)
    with pytest.raises(StorageError, match="cannot open the database .*notes.db: file is not a database"):
        open_readonly(f"sqlite:///{path}")


@pytest.mark.postgres
def test_postgresql_sessions_are_read_only(pg_db):
    fill(pg_db, days=1)
    assert_read_only(pg_db, "DELETE FROM failures", "read-only transaction")
