"""Engines and schema upgrades.

Opening a database is cheap when it is already at head: one ``SELECT`` against
``alembic_version`` compared with ``SCHEMA_HEAD``; Alembic is imported only when an upgrade is
actually pending (a test keeps ``SCHEMA_HEAD`` equal to the migrations' head).

A database that is not ours (tables but no ``alembic_version``) is never touched: not switched
to WAL, not given our tables. Readers open SQLite read-only and never create or upgrade anything.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from tracker.config import display_url, is_memory_sqlite, sqlite_path
from tracker.errors import NoDataError, StorageError

SCHEMA_HEAD = "0011"
OUR_TABLES = {"accounts", "snapshots", "series", "windows", "failures"}
BUSY_TIMEOUT_MS = 30_000
_PG_LOCK_KEY = 0x7472_6B72  # "trkr": serialises concurrent upgrades on PostgreSQL


def migrations_dir() -> Path:
    """The wheel carries them as ``tracker/_migrations``; a source checkout has ``migrations/``."""
    package = Path(__file__).resolve().parent.parent  # tracker/
    for candidate in (package / "_migrations", package.parent / "migrations"):
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
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's begin event issue BEGIN, so writers can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, readonly: bool = False) -> Engine:
    """An engine for ``url``; SQLite files are created 0600 and opened in WAL mode.

    ``readonly`` (PostgreSQL): every transaction is read-only, so a reader cannot write even by
    mistake, whatever its role may do.
    """
    path = sqlite_path(url)
    if path is not None:
        _create_sqlite_file(path)
    if url.startswith(("postgresql", "postgres")):
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise StorageError(
                "a PostgreSQL URL needs the driver: pip install 'codex-quota-history[postgres]'"
            ) from None
        if url.startswith(("postgresql://", "postgres://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
    connect_args: dict = {"timeout": BUSY_TIMEOUT_MS / 1000} if path else {}
    if readonly and url.startswith("postgresql"):
        connect_args["options"] = "-c default_transaction_read_only=on"
    try:
        engine = create_engine(url, connect_args=connect_args)
    except Exception as exc:  # bad URL, unknown dialect: one line for the user
        raise StorageError(f"cannot use database URL {display_url(url)}: {display_url(str(exc))}") from None
    if engine.dialect.name == "sqlite":
        _install_sqlite_hooks(engine)
    elif engine.dialect.name == "postgresql":
        from tracker.storage.schema import declare_postgresql

        declare_postgresql()  # the metadata Alembic compares with, as PostgreSQL has it
    return engine


def _readonly_sqlite_engine(path: Path) -> Engine:
    """Open an existing SQLite file read-only: nothing is created, a read-only directory works.

    ``mode=ro`` first; where SQLite cannot make the WAL index because the directory is read-only,
    ``immutable=1`` (safe there: no writer can use a directory it cannot write either).
    """
    import sqlite3
    from urllib.parse import quote

    base = f"file:{quote(str(path.resolve()))}?mode=ro"

    def connect() -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(base, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            return conn
        except sqlite3.OperationalError:
            if os.access(path.parent, os.W_OK):
                raise
        return sqlite3.connect(base + "&immutable=1", uri=True, check_same_thread=False)

    from sqlalchemy.pool import QueuePool

    # A pool of real file connections (the "sqlite://" URL alone would mean one connection per
    # thread, closed under other threads' feet): the dashboard reads from several threads.
    engine = create_engine("sqlite://", creator=connect, poolclass=QueuePool)
    _install_sqlite_hooks(engine)
    return engine


class SchemaBehindError(StorageError):
    """Our database, written by an older version: a reader upgrades it once, where it can write."""


def open_readonly(url: str) -> Engine:
    """An engine for reading an existing tracker database at head; raises a clear error otherwise.

    Our own database at an older revision is upgraded first (opening an older database must
    keep working after an update), when it can be written; anything else is never changed.
    """
    try:
        return open_readonly_as_is(url)
    except SchemaBehindError:
        with contextlib.suppress(StorageError):  # not writable here: the reader's message says what to do
            open_database(url).dispose()
        return open_readonly_as_is(url)


def open_readonly_as_is(url: str) -> Engine:
    """Read-only and never upgraded (the dashboard): an older schema is refused with what to do."""
    path = sqlite_path(url)
    if url.startswith("sqlite"):
        if path is None:
            raise NoDataError("no database in memory to read: pass --db with a file or a URL")
        if not path.exists():
            raise NoDataError(f"no database at {path}: run `tracker collect` first (or pass --db)")
        if not path.is_file():
            raise StorageError(f"{path} is not a database file")
        engine = _readonly_sqlite_engine(path)
    else:
        engine = make_engine(url, readonly=True)
    try:
        check_ours(engine, url, readonly=True)
    except BaseException:
        engine.dispose()
        raise
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


def alembic_config(connection=None):  # alembic types are imported lazily
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

    check_ours(engine, str(engine.url), readonly=False)  # never give a foreign database our tables
    with engine.connect() as conn, conn.execution_options(**write_options(engine)).begin():
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        try:
            command.upgrade(alembic_config(conn), revision)
        except CommandError as exc:
            raise StorageError(
                f"cannot upgrade the database: {exc} (was it written by a newer codex-quota-history?)"
            ) from None


def _where(url: str) -> str:
    path = sqlite_path(url)
    return str(path) if path is not None else display_url(url)


def check_ours(engine: Engine, url: str, readonly: bool) -> str | None:
    """The database's revision when it is ours (None: empty); raise when it is not, or is unusable.

    Readers also refuse an empty database and one behind the code (they never upgrade).
    """
    from sqlalchemy.exc import DBAPIError

    where = _where(url)
    try:
        revision = current_revision(engine)
        tables = set() if revision else _table_names(engine)
        if revision is None and tables:  # another process may have created the schema between the two reads
            revision = current_revision(engine)
    except DBAPIError as exc:
        detail = " ".join(display_url(str(exc.orig)).split())  # one line: drivers add hints on new lines
        raise StorageError(f"cannot open the database {where}: {detail}") from None
    if revision is None and tables:
        if tables & OUR_TABLES:
            missing = ("an empty alembic_version table (its row was deleted?)" if "alembic_version" in tables
                       else "no alembic_version table (was it dropped?)")
            raise StorageError(
                f"{where} has tracker tables but {missing}, so its schema "
                "revision is unknown and it is left untouched: restore that table, or pass another --db")
        raise StorageError(f"{where} is not a tracker database (it holds {', '.join(sorted(tables)[:5])}); "
                           "it is left untouched: pass another --db")
    if revision is not None and not _known_revision(revision):  # "11" passed as 0011, then no upgrade found it
        from tracker.render import printable

        raise StorageError(f"{where} names a schema revision no codex-quota-history wrote "
                           f"({printable(str(revision))[:40]!r}; they are four digits, 0001 to {SCHEMA_HEAD} here), "
                           "so it is left untouched: was alembic_version edited? restore it, or pass another --db")
    if revision is not None and int(revision) > int(SCHEMA_HEAD):
        raise StorageError(f"{where} was written by a newer codex-quota-history (schema revision {revision}, "
                           f"this version knows up to {SCHEMA_HEAD}): upgrade the tracker")
    if readonly and revision is None:
        raise NoDataError(f"the database at {where} is empty: run `tracker collect` first")
    if readonly and revision != SCHEMA_HEAD:
        raise SchemaBehindError(f"{where} is at schema revision {revision}, this version needs {SCHEMA_HEAD}: "
                           "run `tracker db upgrade` (or `tracker collect`) once as the writer")
    return revision


def _known_revision(revision) -> bool:
    """A revision this version, or a newer one, could have written: four ASCII digits."""
    return isinstance(revision, str) and len(revision) == 4 and revision.isascii() and revision.isdigit() \
        and revision != "0000"


def _table_names(engine: Engine) -> set[str]:
    from sqlalchemy import inspect

    return {name for name in inspect(engine).get_table_names() if not name.startswith("sqlite_")}


def _use_wal(engine: Engine) -> None:
    """WAL lets readers run during a collect; set once on our own database (it persists)."""
    if engine.dialect.name != "sqlite":
        return
    import sqlite3
    import time

    raw = engine.raw_connection()  # outside SQLAlchemy's transaction: the mode cannot change inside one
    try:
        cursor = raw.cursor()
        for _ in range(50):  # switching needs the file to itself: overlapping first runs take turns
            try:
                if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    cursor.execute("PRAGMA journal_mode = WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                time.sleep(0.1)  # another process holds it; it is switching the same file
        cursor.close()
    finally:
        raw.close()


def ensure_schema(engine: Engine, url: str = "") -> None:
    """Bring our database to head; free when it already is. A foreign database is refused."""
    try:
        if check_ours(engine, url or str(engine.url), readonly=False) != SCHEMA_HEAD:
            upgrade(engine)
        _use_wal(engine)
    except OperationalError as exc:
        raise StorageError(f"cannot open the database: {exc.orig}") from None


def open_database(url: str, *, readonly: bool = False) -> Engine:
    """An engine at head for writing (creating and upgrading as needed), or for reading only."""
    if readonly:
        return open_readonly(url)
    if is_memory_sqlite(url):
        raise StorageError("an in-memory database keeps nothing: pass --db with a file or a URL")
    engine = make_engine(url)
    try:
        ensure_schema(engine, url)
    except BaseException:
        engine.dispose()
        raise
    return engine
