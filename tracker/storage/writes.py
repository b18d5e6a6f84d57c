"""Writing what was collected or imported: snapshots with their windows, failures, and how far
session logs were read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, func, insert, select, text, update

from tracker.records import (
    AccountInfo,
    FailureRecord,
    SnapshotRecord,
    TokenCounts,
    Window,
    snapshot_key,
)
from tracker.storage.base import (
    StoreBase,
    _unique_windows,
    _upsert_ignore,
    accounts_t,
    failures_t,
    models,
    progress_t,
    series_t,
    snapshots_t,
    windows_t,
)
from tracker.storage.codec import pack_body

TOKEN_FIELDS = ("input", "cached_input", "output", "reasoning_output")
_PG_IMPORT_LOCK = 0x7472_6B69  # "trki": one import batch checks and stores at a time on PostgreSQL


def token_columns(prefix: str, counts: TokenCounts | None) -> dict:
    """A snapshot row's token columns (``input_tokens``, ``total_input_tokens``, ...): NULL when unknown."""
    return {f"{prefix}{name}_tokens": None if counts is None else getattr(counts, name) for name in TOKEN_FIELDS}


_MANY = 100  # rows from which compiling the statement here (~0.1 ms) beats SQLAlchemy's cached one


def _insert_many(conn: Connection, table, rows: list[dict]) -> None:
    """``INSERT`` of many rows with the same keys. On SQLite, from ``_MANY`` rows on, the rows go
    to the driver's executemany as tuples made by the columns' own bind processors (``EpochMillis``,
    Boolean, ...) from a statement compiled once: SQLAlchemy's handling of each row's parameters
    took half the time of storing an import batch (1,800 snapshots: 22 -> 12 ms); a collect's few
    windows go SQLAlchemy's way (2 rows: 33 us, against 97 us here). A value a processor cannot
    take goes the usual way too, so that it fails as it always did."""
    if conn.dialect.name != "sqlite" or len(rows) < _MANY:
        conn.execute(insert(table), rows)
        return
    dialect = conn.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=list(rows[0]))
    keys = compiled.positiontup or []
    processors = [(i, processor) for i, key in enumerate(keys)
                  if (processor := table.c[key].type.dialect_impl(dialect).bind_processor(dialect)) is not None]
    try:
        params = []
        for row in rows:
            values = [row[key] for key in keys]
            for i, processor in processors:
                values[i] = processor(values[i])
            params.append(tuple(values))
    except Exception:  # a value no column type takes (or a row without a key): SQLAlchemy says which
        conn.execute(insert(table), rows)
        return
    conn.exec_driver_sql(compiled.string, params)


class SnapshotWriter(StoreBase):
    """Snapshots, failures and import progress, each write one short transaction."""

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

    def add_new_snapshots(self, account: str, records: Sequence[SnapshotRecord]) -> list[SnapshotRecord]:
        """Store those of one account's ``records`` not stored yet (the same time and window values,
        ``snapshot_key``, from the same source); returns them.

        The check and the insert are one write transaction (on PostgreSQL under an advisory lock):
        two imports of the same logs at once each checked before the other wrote, and both stored
        every snapshot (four at once: 8,998 snapshots for 2,478 lines, every token counted 3.6 times).
        """
        if not records:
            return []
        return self._refusing(self._add_new_snapshots, account, records)

    def _add_new_snapshots(self, account: str, records: Sequence[SnapshotRecord]) -> list[SnapshotRecord]:
        with self._write() as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_IMPORT_LOCK})
            known = self._snapshot_keys(conn, account, records[0].source, min(r.collected_at for r in records),
                                        max(r.collected_at for r in records))
            fresh = []
            for record in records:
                key = snapshot_key(record.collected_at, [(w.limit, w.kind, w.window_seconds, w.used_percent, w.reset_at)
                                                         for w in record.usage.windows])
                if key not in known:
                    known.add(key)
                    fresh.append(record)
            fresh.sort(key=lambda r: r.collected_at)
            if fresh:
                self._insert_snapshots(conn, fresh, {})
        return fresh

    def _add_snapshots(self, records: Sequence[SnapshotRecord], infos: dict[str, AccountInfo]) -> list[int]:
        with self._write() as conn, conn.begin():
            return self._insert_snapshots(conn, records, infos)

    def _insert_snapshots(self, conn: Connection, records: Sequence[SnapshotRecord],
                          infos: dict[str, AccountInfo]) -> list[int]:
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
                "spend_reached_type": r.usage.spend_reached_type,
                "workspace_id": r.usage.workspace_id,
                "workspace_label": r.usage.workspace_label,
                "seat_type": r.usage.seat_type,
                "raw": pack_body(r.raw),
                **token_columns("", r.tokens),
                **token_columns("total_", r.token_totals),
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
            _insert_many(conn, windows_t, window_rows)
        return ids

    @staticmethod
    def _insert_returning_ids(conn: Connection, rows: list[dict]) -> list[int]:
        if conn.dialect.name == "sqlite":
            # We hold the write lock (BEGIN IMMEDIATE): numbering the rows ourselves is safe and
            # lets executemany run in one pass (RETURNING in parameter order goes row by row).
            first = (conn.execute(select(func.max(snapshots_t.c.id))).scalar() or 0) + 1
            ids = list(range(first, first + len(rows)))
            _insert_many(conn, snapshots_t, [{**row, "id": i} for row, i in zip(rows, ids, strict=True)])
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
        """How far each session log was read. A row whose positions are not whole numbers >= 0 (edited
        by hand: text, -5, 2.5 made the import an internal error) is left out: that file is read again
        from its start, and what is already stored is skipped."""
        with self.engine.connect() as conn:
            rows = [dict(row._mapping) for row in conn.execute(select(progress_t))]
        return {row["path"]: row for row in rows
                if all(type(row[k]) is int and row[k] >= 0 for k in ("size", "mtime_ns", "offset"))}

    def snapshot_keys(self, account: str, source: str, since: datetime, until: datetime) -> set[tuple]:
        """Identity of the stored snapshots in a range: (time, sorted window values).

        Lets an importer skip what is already there, so re-reading a file stores nothing twice.
        """
        with self.engine.connect() as conn:
            return self._snapshot_keys(conn, account, source, since, until)

    @staticmethod
    def _snapshot_keys(conn: Connection, account: str, source: str, since: datetime, until: datetime) -> set[tuple]:
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
        for row in conn.execute(query):
            if row.collected_at is not None and row.used_percent is not None:  # unreadable rows: see sound_points
                grouped.setdefault(row.id, (row.collected_at, []))[1].append(
                    (row.limit_name, row.kind, row.window_seconds or None, row.used_percent, row.reset_at))
        return {snapshot_key(at, values) for at, values in grouped.values()}
