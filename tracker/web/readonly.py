"""Open a store for reading only: never create a file, never run a migration, never write.

A dashboard is often pointed at the live database that ``collect`` writes; it must not be able
to change it, even by accident. SQLite is opened through a ``mode=ro`` URI (the file must exist);
PostgreSQL sessions default to read-only transactions. The schema must already be at head:
upgrading is the writer's job (``tracker db upgrade``). Kept small and separate so it can be
swapped for ``Store.open(url, readonly=True)`` once that exists.
"""

from __future__ import annotations

from urllib.parse import quote

from tracker.config import sqlite_path
from tracker.errors import NoDataError, StorageError


def readonly_engine(url: str):  # sqlalchemy is imported lazily
    """An engine that cannot write; a missing SQLite file is an error, not a new database."""
    from sqlalchemy import create_engine, event

    from tracker.db import BUSY_TIMEOUT_MS, make_engine

    path = sqlite_path(url)
    if path is None and url.startswith("sqlite"):
        raise StorageError("an in-memory SQLite database has nothing to show: pass --db with a file")
    if path is None:
        engine = make_engine(url)  # PostgreSQL: make_engine creates nothing, and checks the driver
        if engine.dialect.name != "postgresql":
            return engine
        engine.dispose()
        return create_engine(engine.url, connect_args={"options": "-c default_transaction_read_only=on"})
    if not path.is_file():
        raise NoDataError(f"no database at {path}: run `tracker collect` (or `tracker demo --db {path}`) first")
    engine = create_engine(f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true",
                           connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    return engine


def open_readonly(url: str):  # returns a tracker.store.Store
    """A Store over a read-only engine, refused unless the schema is already current."""
    from sqlalchemy.exc import SQLAlchemyError

    from tracker.db import SCHEMA_HEAD, current_revision
    from tracker.store import Store

    engine = readonly_engine(url)
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise StorageError(f"cannot open the database: {detail}") from None
    if revision != SCHEMA_HEAD:
        engine.dispose()
        found = f"at schema {revision}" if revision else "not a tracker database (or an empty one)"
        raise StorageError(f"the database is {found}, this version needs {SCHEMA_HEAD}: "
                           "run `tracker db upgrade` (as the writer) first; serve never changes it")
    return Store(engine)
