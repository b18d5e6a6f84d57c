"""Engines and schema upgrades.

Opening a database is cheap when it is already at head: one ``SELECT`` against
``alembic_version`` compared with ``SCHEMA_HEAD``; Alembic is imported only when an upgrade is
actually pending (a test keeps ``SCHEMA_HEAD`` equal to the migrations' head).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from tracker.config import sqlite_path
from tracker.errors import StorageError

SCHEMA_HEAD = "0002"
BUSY_TIMEOUT_MS = 30_000
_PG_LOCK_KEY = 0x7472_6B72  # "trkr": serialises concurrent upgrades on PostgreSQL


def migrations_dir() -> Path:
    """The wheel carries them as ``tracker/_migrations``; a source checkout has ``migrations/``."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_migrations", here.parent / "migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise StorageError("the Alembic migrations are missing from this installation (reinstall it)")


def _create_sqlite_file(path: Path) -> None:
    """Create the file (and its directory) private to the user before SQLite touches it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise StorageError(f"cannot create the database {path}: {exc.strerror or exc}") from None


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001
        # Let SQLAlchemy's begin event issue BEGIN, so writers can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files are created 0600 and opened in WAL mode."""
    path = sqlite_path(url)
    if path is not None:
        _create_sqlite_file(path)
    if url.startswith(("postgresql", "postgres")):
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise StorageError(
                "a PostgreSQL URL needs the driver: pip install 'codex-usage-tracker[postgres]'"
            ) from None
        if url.startswith(("postgresql://", "postgres://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
    try:
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000} if path else {})
    except Exception as exc:  # noqa: BLE001 - bad URL, unknown dialect: one line for the user
        raise StorageError(f"cannot use database URL: {exc}") from None
    if engine.dialect.name == "sqlite":
        _install_sqlite_hooks(engine)
    return engine


def write_options(engine: Engine) -> dict:
    """Execution options for a write transaction: take SQLite's write lock at BEGIN."""
    return {"sqlite_begin": "IMMEDIATE"} if engine.dialect.name == "sqlite" else {}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except (OperationalError, ProgrammingError) as exc:
            if "alembic_version" in str(exc) or "no such table" in str(exc):
                return None
            raise


def alembic_config(connection=None):  # noqa: ANN001, ANN201 - alembic types are imported lazily
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run pending migrations, one process at a time."""
    from alembic import command
    from alembic.util.exc import CommandError

    with engine.connect() as conn, conn.execution_options(**write_options(engine)).begin():
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        try:
            command.upgrade(alembic_config(conn), revision)
        except CommandError as exc:
            raise StorageError(
                f"cannot upgrade the database: {exc} (was it written by a newer codex-usage-tracker?)"
            ) from None


def ensure_schema(engine: Engine) -> None:
    """Bring the database to head; free when it already is."""
    try:
        if current_revision(engine) == SCHEMA_HEAD:
            return
        upgrade(engine)
    except OperationalError as exc:
        raise StorageError(f"cannot open the database: {exc.orig}") from None


def open_database(url: str) -> Engine:
    engine = make_engine(url)
    ensure_schema(engine)
    return engine
