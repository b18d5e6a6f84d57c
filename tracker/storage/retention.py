"""Retention's queries: old snapshots and their windows, deleted in short batches (the policy of
what to keep is ``tracker.insight.retention``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, func, select

from tracker.points import Point
from tracker.storage.base import StoreBase, accounts_t, failures_t, series_t, snapshots_t, windows_t


class Retention(StoreBase):
    """Finding and deleting old rows without holding the write lock for long."""

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
                        (sid, Point(at, used, reset)) for sid, at, used, reset in rows
                        if at is not None and used is not None]  # unreadable ones stay as they are
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
