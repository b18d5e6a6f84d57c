"""The store's foundation: the engine, the table names every query uses, and the helpers that
turn a refused value into one failed record instead of a failed run.

Writers take SQLite's write lock at BEGIN (``BEGIN IMMEDIATE``) and hold it for one short
transaction per snapshot, so overlapping cron runs queue behind the busy timeout instead of
failing, and a snapshot is stored with all its windows or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, and_

from tracker.points import Point
from tracker.records import UnstorableValue, Window
from tracker.storage import schema as models
from tracker.storage.db import open_database, write_options

accounts_t = models.accounts
snapshots_t = models.snapshots
series_t = models.series
windows_t = models.windows
failures_t = models.failures
progress_t = models.import_progress
MAX_REACH = timedelta(days=36525)


def _unstorable(exc: Exception) -> UnstorableValue:
    detail = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
    return UnstorableValue(f"a value the database cannot hold ({type(exc).__name__}: {detail})")


def _refused_value(exc: Exception) -> bool:
    """Whether the database refused a value (not the database being unwritable or gone)."""
    from sqlalchemy.exc import DataError, IntegrityError, StatementError

    if isinstance(exc, OverflowError | UnicodeError | DataError | IntegrityError):
        return True
    return isinstance(exc, StatementError) and isinstance(exc.orig, OverflowError | UnicodeError | ValueError)


def _dialect_insert(conn: Connection, table):
    """An INSERT that can say what to do on a conflict (``on_conflict_do_nothing``/``_do_update``)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(table)


def _upsert_ignore(conn: Connection, table, values: dict) -> None:
    conn.execute(_dialect_insert(conn, table).values(**values).on_conflict_do_nothing())


def _time_filters(column, since: datetime | None, until: datetime | None) -> list:
    filters = []
    if since is not None:
        filters.append(column >= since)
    if until is not None:
        filters.append(column <= until)
    return [and_(*filters)] if filters else []


def sound_points(rows: Iterable[tuple]) -> list[Point]:
    """(time, used %, reset) rows as points, without the readings a hand edit or a damaged page
    left unreadable (a time or a share that reads as None: text, a blob, an infinity, a year past
    2999; see ``schema.EpochMillis``): the reading is skipped, never an internal error, and stays
    in the database as it is. A damaged reset time is an unknown reset."""
    return [Point(at, used, reset) for at, used, reset in rows if at is not None and used is not None]


def _unique_windows(windows: Iterable[Window]) -> Iterator[Window]:
    """A response naming the same window twice would break the primary key: keep the first."""
    seen = set()
    for window in windows:
        key = (window.limit, window.kind, models.stored_length(window.window_seconds))
        if key not in seen:
            seen.add(key)
            yield window


class StoreBase:
    """Holds the engine and the id caches; each concern's queries are a mixin on top of it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._account_ids: dict[str, int] = {}
        self._series_ids: dict[tuple[int, str, str, int], int] = {}

    @classmethod
    def open(cls, url: str, *, readonly: bool = False):
        """Open for writing (create and upgrade as needed) or, ``readonly``, only an existing
        tracker database at head: readers never create files, never migrate, never touch a
        database that is not ours (``NoDataError``, exit 1, when there is none)."""
        return cls(open_database(url, readonly=readonly))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _write(self):
        return self.engine.connect().execution_options(**write_options(self.engine))

    def _refusing(self, write, *args):
        """Run a write; a refused value becomes ``UnstorableValue``, and the id caches, which
        may name rows of the rolled-back transaction, are dropped."""
        try:
            return write(*args)
        except Exception as exc:
            if not _refused_value(exc):
                raise
            self._account_ids.clear()
            self._series_ids.clear()
            raise _unstorable(exc) from None
