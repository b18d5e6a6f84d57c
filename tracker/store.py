"""Reads and writes of the tracker database: the queries (``db.py`` opens and upgrades it).

Writers take SQLite's write lock at BEGIN (``BEGIN IMMEDIATE``) and hold it for one short
transaction per snapshot, so overlapping cron runs queue behind the busy timeout instead of
failing, and a snapshot is stored with all its windows or not at all.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, and_, func, insert, select, union_all, update

from tracker import models
from tracker.codec import pack_body, unpack_body
from tracker.db import open_database, write_options
from tracker.errors import StorageError
from tracker.normalize import Usage, Window, remaining_percent
from tracker.points import Point, SeriesKey

accounts_t = models.accounts
snapshots_t = models.snapshots
series_t = models.series
windows_t = models.windows
failures_t = models.failures
progress_t = models.import_progress


class UnstorableValue(StorageError):
    """A value the database refused (too long, out of range, not encodable): this record only."""


def _unstorable(exc: Exception) -> UnstorableValue:
    detail = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
    return UnstorableValue(f"a value the database cannot hold ({type(exc).__name__}: {detail})")


def _refused_value(exc: Exception) -> bool:
    """Whether the database refused a value (not the database being unwritable or gone)."""
    from sqlalchemy.exc import DataError, IntegrityError, StatementError

    if isinstance(exc, OverflowError | UnicodeError | DataError | IntegrityError):
        return True
    return isinstance(exc, StatementError) and isinstance(exc.orig, OverflowError | UnicodeError | ValueError)


@dataclass
class AccountInfo:
    name: str
    account_id: str | None = None
    email: str | None = None
    plan: str | None = None
    source_path: str | None = None


@dataclass
class SnapshotRecord:
    account: str
    collected_at: datetime
    source: str  # api | session-log | demo
    usage: Usage
    raw: bytes | None = None


@dataclass
class FailureRecord:
    account: str
    at: datetime
    kind: str
    message: str
    http_status: int | None = None
    raw: bytes | None = None


@dataclass
class HistoryRow:
    snapshot_id: int
    account: str
    collected_at: datetime
    source: str
    plan: str | None
    limit: str
    kind: str
    window_seconds: int | None
    used_percent: float
    remaining_percent: float
    reset_at: datetime | None


@dataclass
class AccountState:
    """What the report needs about an account besides its windows."""

    name: str
    plan: str | None
    last_snapshot_at: datetime | None
    last_failure: FailureRecord | None
    failing_since: datetime | None  # the first failure after the last success
    series: list[SeriesKey]
    reset_credits_available: int | None = None  # as the latest snapshot said


def _upsert_ignore(conn: Connection, table, values: dict) -> None:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    conn.execute(dialect_insert(table).values(**values).on_conflict_do_nothing())


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._account_ids: dict[str, int] = {}
        self._series_ids: dict[tuple[int, str, str, int], int] = {}

    @classmethod
    def open(cls, url: str, *, readonly: bool = False) -> Store:
        """Open for writing (create and upgrade as needed) or, ``readonly``, only an existing
        tracker database at head: readers never create files, never migrate, never touch a
        database that is not ours (``NoDataError``, exit 1, when there is none)."""
        return cls(open_database(url, readonly=readonly))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- writes -----------------------------------------------------------------------------

    def _write(self):
        return self.engine.connect().execution_options(**write_options(self.engine))

    def _account_id(self, conn: Connection, info: AccountInfo) -> int:
        cached = self._account_ids.get(info.name)
        if cached is None:
            _upsert_ignore(
                conn, accounts_t, {"name": info.name, "created_at": datetime.now(UTC)}
            )
            cached = conn.execute(select(accounts_t.c.id).where(accounts_t.c.name == info.name)).scalar_one()
            self._account_ids[info.name] = cached
        changes = {
            k: v for k, v in (("account_id", info.account_id), ("email", info.email), ("plan", info.plan),
                              ("source_path", info.source_path)) if v is not None
        }
        if changes:
            conn.execute(update(accounts_t).where(accounts_t.c.id == cached).values(**changes))
        return cached

    def _account_ids_for(self, conn: Connection, names: list[str], infos: dict[str, AccountInfo]) -> dict[str, int]:
        return {name: self._account_id(conn, infos.get(name) or AccountInfo(name)) for name in dict.fromkeys(names)}

    def _series_id(self, conn: Connection, account_id: int, window: Window) -> int:
        key = (account_id, window.limit, window.kind, models.stored_length(window.window_seconds))
        cached = self._series_ids.get(key)
        if cached is None:
            values = dict(zip(("account_id", "limit_name", "kind", "window_seconds"), key, strict=True))
            _upsert_ignore(conn, series_t, values)
            cached = conn.execute(
                select(series_t.c.id).where(*(series_t.c[k] == v for k, v in values.items()))
            ).scalar_one()
            self._series_ids[key] = cached
        return cached

    def add_snapshots(self, records: Sequence[SnapshotRecord], infos: dict[str, AccountInfo] | None = None) -> list[int]:
        """Store snapshots with their windows in one transaction; returns their ids.

        A value the database refuses raises ``UnstorableValue`` with nothing stored (and the
        caches of ids dropped, since the transaction that made them is gone).
        """
        if not records:
            return []
        return self._refusing(self._add_snapshots, records, infos or {})

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

    def _add_snapshots(self, records: Sequence[SnapshotRecord], infos: dict[str, AccountInfo]) -> list[int]:
        with self._write() as conn, conn.begin():
            account_ids = self._account_ids_for(conn, [r.account for r in records], infos)
            rows = [
                {
                    "account_id": account_ids[r.account],
                    "collected_at": r.collected_at,
                    "source": r.source,
                    "plan": r.usage.plan,
                    "limit_reached": r.usage.limit_reached,
                    "reached_type": r.usage.reached_type,
                    "credits_balance": r.usage.credits_balance,
                    "reset_credits_available": r.usage.reset_credits_available,
                    "spend_control_reached": r.usage.spend_control_reached,
                    "raw": pack_body(r.raw),
                }
                for r in records
            ]
            ids = self._insert_returning_ids(conn, rows)
            window_rows = [
                {
                    "series_id": self._series_id(conn, account_ids[r.account], w),
                    "collected_at": r.collected_at,
                    "snapshot_id": snapshot_id,
                    "used_percent": w.used_percent,
                    "reset_at": w.reset_at,
                }
                for r, snapshot_id in zip(records, ids, strict=True)
                for w in _unique_windows(r.usage.windows)
            ]
            if window_rows:
                conn.execute(insert(windows_t), window_rows)
        return ids

    @staticmethod
    def _insert_returning_ids(conn: Connection, rows: list[dict]) -> list[int]:
        if conn.dialect.name == "sqlite":
            # We hold the write lock (BEGIN IMMEDIATE): numbering the rows ourselves is safe and
            # lets executemany run in one pass (RETURNING in parameter order goes row by row).
            first = (conn.execute(select(func.max(snapshots_t.c.id))).scalar() or 0) + 1
            ids = list(range(first, first + len(rows)))
            conn.execute(insert(snapshots_t), [{**row, "id": i} for row, i in zip(rows, ids, strict=True)])
            return ids
        result = conn.execute(insert(snapshots_t).returning(snapshots_t.c.id, sort_by_parameter_order=True), rows)
        return [row[0] for row in result]

    def add_failure(self, record: FailureRecord, info: AccountInfo | None = None) -> None:
        self.add_failures([record], {record.account: info} if info else None)

    def add_failures(self, records: Sequence[FailureRecord], infos: dict[str, AccountInfo] | None = None) -> None:
        if not records:
            return
        self._refusing(self._add_failures, records, infos or {})

    def _add_failures(self, records: Sequence[FailureRecord], infos: dict[str, AccountInfo]) -> None:
        with self._write() as conn, conn.begin():
            account_ids = self._account_ids_for(conn, [r.account for r in records], infos)
            rows = [
                {
                    "account_id": account_ids[r.account],
                    "at": r.at,
                    "kind": r.kind,
                    "http_status": r.http_status,
                    "message": r.message,
                    "raw": pack_body(r.raw),
                }
                for r in records
            ]
            conn.execute(insert(failures_t), rows)

    def save_progress(self, entries: Sequence[dict]) -> None:
        """Remember how far session logs were read (path, account, size, mtime_ns, offset, head_sha1)."""
        if not entries:
            return
        with self._write() as conn, conn.begin():
            paths = [e["path"] for e in entries]
            conn.execute(progress_t.delete().where(progress_t.c.path.in_(paths)))
            conn.execute(insert(progress_t), list(entries))

    def progress(self) -> dict[str, dict]:
        with self.engine.connect() as conn:
            return {row.path: dict(row._mapping) for row in conn.execute(select(progress_t))}

    def snapshot_keys(self, account: str, source: str, since: datetime, until: datetime) -> set[tuple]:
        """Identity of the stored snapshots in a range: (time, sorted window values).

        Lets an importer skip what is already there, so re-reading a file stores nothing twice.
        """
        w, s, sn, a = windows_t, series_t, snapshots_t, accounts_t
        # Driven by the (series, time) key: the account's few series, then a range of each.
        query = (
            select(sn.c.id, w.c.collected_at, s.c.limit_name, s.c.kind, s.c.window_seconds,
                   w.c.used_percent, w.c.reset_at)
            .select_from(s.join(a, s.c.account_id == a.c.id).join(w, w.c.series_id == s.c.id)
                         .join(sn, sn.c.id == w.c.snapshot_id))
            .where(a.c.name == account, sn.c.source == source, w.c.collected_at >= since, w.c.collected_at <= until)
        )
        grouped: dict[int, tuple[datetime, list]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                grouped.setdefault(row.id, (row.collected_at, []))[1].append(
                    (row.limit_name, row.kind, row.window_seconds or None, row.used_percent, row.reset_at))
        return {snapshot_key(at, values) for at, values in grouped.values()}

    # -- retention --------------------------------------------------------------------------

    def account_ids(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {name: i for i, name in conn.execute(select(accounts_t.c.id, accounts_t.c.name))}

    def oldest_snapshot_at(self, account_id: int) -> datetime | None:
        with self.engine.connect() as conn:
            return conn.execute(select(func.min(snapshots_t.c.collected_at))
                                .where(snapshots_t.c.account_id == account_id)).scalar()

    def old_snapshots(self, account_id: int, before: datetime,
                      since: datetime | None = None) -> list[tuple[int, datetime]]:
        """(id, time) of the account's snapshots in [since, before), oldest first."""
        sn = snapshots_t
        with self.engine.connect() as conn:
            return [(i, at) for i, at in conn.execute(
                select(sn.c.id, sn.c.collected_at)
                .where(sn.c.account_id == account_id, sn.c.collected_at < before,
                       *([sn.c.collected_at >= since] if since is not None else []))
                .order_by(sn.c.collected_at))]

    def old_window_points(self, account_id: int, before: datetime, since: datetime | None = None,
                          look_until: datetime | None = None) -> dict[tuple, list[tuple[int, Point]]]:
        """Per series (limit, kind, seconds): (snapshot id, point) in [since, before), oldest first,
        plus the first point in [before, look_until) when given: what follows a slice decides
        whether its last point ended a window."""
        w, s = windows_t, series_t
        result: dict[tuple, list[tuple[int, Point]]] = {}
        with self.engine.connect() as conn:
            series = conn.execute(select(s.c.id, s.c.limit_name, s.c.kind, s.c.window_seconds)
                                  .where(s.c.account_id == account_id)).all()
            columns = (w.c.snapshot_id, w.c.collected_at, w.c.used_percent, w.c.reset_at)
            for series_id, limit, kind, seconds in series:
                rows = list(conn.execute(select(*columns).where(
                    w.c.series_id == series_id, w.c.collected_at < before,
                    *([w.c.collected_at >= since] if since is not None else [])).order_by(w.c.collected_at)))
                if look_until is not None and look_until > before:
                    rows += conn.execute(select(*columns).where(
                        w.c.series_id == series_id, w.c.collected_at >= before, w.c.collected_at < look_until)
                        .order_by(w.c.collected_at).limit(1)).all()
                if rows:
                    result[(limit, kind, seconds or None)] = [
                        (sid, Point(at, used, reset)) for sid, at, used, reset in rows]
        return result

    @contextmanager
    def children_first(self) -> Iterator[Connection]:
        """A write transaction whose deletes remove children (windows) before parents (snapshots).

        SQLite checks each deleted snapshot against ``windows`` by scanning it (no index on
        ``snapshot_id``: it would cost a quarter of the database), which makes large deletes
        quadratic. The caller deletes the children first, so the check can be switched off for
        this transaction; it is switched back on before the connection returns to the pool.
        """
        with self._write() as conn:
            raw = conn.connection.driver_connection if self.engine.dialect.name == "sqlite" else None
            if raw is not None:
                raw.execute("PRAGMA foreign_keys = OFF")  # outside a transaction, where it takes effect
            try:
                with conn.begin():
                    yield conn
            finally:
                if raw is not None:
                    with contextlib.suppress(Exception):  # closed by an interrupt: never mask it
                        raw.execute("PRAGMA foreign_keys = ON")

    def delete_snapshots(self, account_id: int, ids: Sequence[int]) -> int:
        """Delete snapshots and their windows in one short transaction; returns windows removed."""
        if not ids:
            return 0
        w, s, sn = windows_t, series_t, snapshots_t
        with self.children_first() as conn:
            series_ids = select(s.c.id).where(s.c.account_id == account_id).scalar_subquery()
            times = conn.execute(select(func.min(sn.c.collected_at), func.max(sn.c.collected_at))
                                 .where(sn.c.id.in_(ids))).one()
            removed = conn.execute(w.delete().where(
                w.c.series_id.in_(series_ids), w.c.collected_at >= times[0], w.c.collected_at <= times[1],
                w.c.snapshot_id.in_(ids))).rowcount
            conn.execute(sn.delete().where(sn.c.id.in_(ids)))
        return removed

    def delete_failures_before(self, before: datetime, dry_run: bool = False) -> int:
        f = failures_t
        if dry_run:  # a count needs no write lock
            with self.engine.connect() as conn:
                return conn.execute(select(func.count()).select_from(f).where(f.c.at < before)).scalar_one()
        with self._write() as conn, conn.begin():
            return conn.execute(f.delete().where(f.c.at < before)).rowcount

    # -- reads ------------------------------------------------------------------------------

    def account_names(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(accounts_t.c.name).order_by(accounts_t.c.name)).scalars())

    def account_paths(self) -> dict[str, str | None]:
        with self.engine.connect() as conn:
            return {name: path for name, path in conn.execute(select(accounts_t.c.name, accounts_t.c.source_path))}

    def last_activity(self) -> datetime | None:
        """When a collection last ran: the newest snapshot or failure."""
        with self.engine.connect() as conn:
            times = [conn.execute(select(func.max(snapshots_t.c.collected_at))).scalar(),
                     conn.execute(select(func.max(failures_t.c.at))).scalar()]
        return max((t for t in times if t is not None), default=None)

    def snapshot_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(snapshots_t)).scalar_one()

    def raw_body(self, snapshot_id: int) -> bytes | None:
        with self.engine.connect() as conn:
            stored = conn.execute(select(snapshots_t.c.raw).where(snapshots_t.c.id == snapshot_id)).scalar()
        return unpack_body(stored)

    def history(
        self,
        names: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        newest_first: bool = True,
    ) -> list[HistoryRow]:
        """Rows of every window in [since, until]; with ``limit``, the newest N.

        The newest N are found from the newest time of each series (one index probe each) and a
        widening time range across the series, so their cost follows N and the number of series,
        not the size of the history.
        """
        w, s, sn, a = windows_t, series_t, snapshots_t, accounts_t
        query = (
            select(sn.c.id, a.c.name, w.c.collected_at, sn.c.source, sn.c.plan, s.c.limit_name,
                   s.c.kind, s.c.window_seconds, w.c.used_percent, w.c.reset_at)
            .select_from(w.join(s, w.c.series_id == s.c.id).join(a, s.c.account_id == a.c.id)
                         .join(sn, sn.c.id == w.c.snapshot_id))
            .where(*_time_filters(w.c.collected_at, since, until))
        )
        with self.engine.connect() as conn:
            if limit:
                raw = self._newest_rows(conn, query, names, limit, since, until)
            else:
                if names:
                    query = query.where(a.c.name.in_(names))
                order = w.c.collected_at.desc() if newest_first else w.c.collected_at
                raw = conn.execute(query.order_by(order, a.c.name, s.c.id)).all()
        rows = [HistoryRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] or None, r[8], remaining_percent(r[8]), r[9])
                for r in raw]
        if limit and not newest_first:
            rows.reverse()
        return rows

    def _newest_rows(self, conn: Connection, query, names: Sequence[str], limit: int,
                     since: datetime | None, until: datetime | None) -> list:
        w = windows_t
        ids = list(conn.execute(self._series_query(names)).scalars())
        newest = []
        for start in range(0, len(ids), 200):  # SQLite allows 500 terms in a compound select
            newest += conn.execute(union_all(*(
                select(w.c.collected_at).where(w.c.series_id == i, *_time_filters(w.c.collected_at, None, until))
                .order_by(w.c.collected_at.desc()).limit(1).subquery().select()
                for i in ids[start:start + 200]))).scalars().all()
        if not newest:
            return []
        latest, reach = max(newest), timedelta(minutes=10)
        query = query.where(w.c.series_id.in_(ids)).order_by(w.c.collected_at.desc(), accounts_t.c.name, series_t.c.id)
        while True:
            lower = latest - reach
            whole = reach > MAX_REACH or (since is not None and lower <= since)
            rows = conn.execute((query if whole else query.where(w.c.collected_at >= lower)).limit(limit)).all()
            if len(rows) >= limit or whole:
                return rows
            reach *= 4

    @staticmethod
    def _series_query(names: Sequence[str]):
        query = select(series_t.c.id).join(accounts_t, series_t.c.account_id == accounts_t.c.id)
        return query.where(accounts_t.c.name.in_(names)) if names else query

    def history_count(self, names: Sequence[str], since: datetime | None, until: datetime | None,
                      cap: int) -> int:
        """How many history rows there are, counting no further than ``cap`` (a bounded cost)."""
        w = windows_t
        inner = (select(w.c.series_id).where(w.c.series_id.in_(self._series_query(names)),
                                              *_time_filters(w.c.collected_at, since, until)).limit(cap).subquery())
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(inner)).scalar_one()

    def failures(
        self, names: Sequence[str] = (), since: datetime | None = None, until: datetime | None = None,
        limit: int | None = None, newest_first: bool = True,
    ) -> list[FailureRecord]:
        f, a = failures_t, accounts_t
        query = select(a.c.name, f.c.at, f.c.kind, f.c.message, f.c.http_status).join(a, f.c.account_id == a.c.id)
        query = query.where(*_time_filters(f.c.at, since, until))
        if names:
            query = query.where(a.c.name.in_(names))
        query = query.order_by(f.c.at.desc() if newest_first or limit else f.c.at)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            rows = [FailureRecord(*r) for r in conn.execute(query)]  # raw stays None: never read back
        if limit and not newest_first:
            rows.reverse()
        return rows

    def account_states(self, names: Sequence[str], at: datetime) -> list[AccountState]:
        """Latest snapshot time, plan, last failure and current series of each account."""
        a, sn, s, f = accounts_t, snapshots_t, series_t, failures_t
        states = []
        with self.engine.connect() as conn:
            accounts = conn.execute(select(a.c.id, a.c.name).order_by(a.c.name)).all()
            for account_id, name in accounts:
                if names and name not in names:
                    continue
                latest = conn.execute(
                    select(sn.c.collected_at, sn.c.plan, sn.c.reset_credits_available)
                    .where(sn.c.account_id == account_id, sn.c.collected_at <= at)
                    .order_by(sn.c.collected_at.desc()).limit(1)
                ).first()
                failure = conn.execute(
                    select(f.c.at, f.c.kind, f.c.message, f.c.http_status)
                    .where(f.c.account_id == account_id, f.c.at <= at)
                    .order_by(f.c.at.desc()).limit(1)
                ).first()
                failing_since = None
                if failure and (latest is None or failure.at > latest.collected_at):
                    failing_since = conn.execute(
                        select(func.min(f.c.at)).where(
                            f.c.account_id == account_id, f.c.at <= at,
                            *([f.c.at > latest.collected_at] if latest else []),
                        )
                    ).scalar()
                series = [
                    SeriesKey(name, r.limit_name, r.kind, r.window_seconds or None)
                    for r in conn.execute(
                        select(s.c.limit_name, s.c.kind, s.c.window_seconds)
                        .where(s.c.account_id == account_id).order_by(s.c.limit_name, s.c.window_seconds)
                    )
                ]
                states.append(AccountState(
                    name=name,
                    plan=latest.plan if latest else None,
                    last_snapshot_at=latest.collected_at if latest else None,
                    last_failure=FailureRecord(name, *failure) if failure else None,
                    failing_since=failing_since,
                    series=series,
                    reset_credits_available=latest.reset_credits_available if latest else None,
                ))
        return states

    def points(
        self, key: SeriesKey, since: datetime | None, until: datetime | None, last: int | None = None
    ) -> list[Point]:
        """The values of one window in [since, until], oldest first; ``last``: only the newest N.

        Served by the clustered (series, time) key: the cost depends on the range, not on the
        size of the history.
        """
        w = windows_t
        series_id = models.series_id_query(key).scalar_subquery()
        query = select(w.c.collected_at, w.c.used_percent, w.c.reset_at).where(
            w.c.series_id == series_id, *_time_filters(w.c.collected_at, since, until)
        )
        if last:
            query = query.order_by(w.c.collected_at.desc()).limit(last)
        else:
            query = query.order_by(w.c.collected_at)
        with self.engine.connect() as conn:
            points = [Point(*row) for row in conn.execute(query)]
        return points[::-1] if last else points


MAX_REACH = timedelta(days=36525)


def snapshot_key(at: datetime, windows: Iterable[tuple]) -> tuple:
    """(time in ms, sorted window tuples): equal for the same snapshot stored twice."""
    return (round(at.timestamp() * 1000), tuple(sorted(
        (limit, kind, seconds or 0, float(used), int(reset.timestamp()) if reset else None)
        for limit, kind, seconds, used, reset in windows
    )))


def _time_filters(column, since: datetime | None, until: datetime | None) -> list:
    filters = []
    if since is not None:
        filters.append(column >= since)
    if until is not None:
        filters.append(column <= until)
    return [and_(*filters)] if filters else []


def _unique_windows(windows: Iterable[Window]) -> Iterator[Window]:
    """A response naming the same window twice would break the primary key: keep the first."""
    seen = set()
    for window in windows:
        key = (window.limit, window.kind, models.stored_length(window.window_seconds))
        if key not in seen:
            seen.add(key)
            yield window
