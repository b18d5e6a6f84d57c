"""Listing what was stored: snapshots newest first at a cost that follows the rows shown, failures,
raw bodies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select, union_all

from tracker.records import FailureRecord, remaining_percent
from tracker.storage.base import (
    MAX_REACH,
    StoreBase,
    _time_filters,
    accounts_t,
    failures_t,
    series_t,
    snapshots_t,
    windows_t,
)
from tracker.storage.codec import unpack_body


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


class HistoryReader(StoreBase):
    """``tracker history`` / ``export``: rows of every window, failures, raw bodies."""

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
                for r in raw if r[2] is not None and r[8] is not None]  # unreadable readings skipped (sound_points)
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
        newest = [at for at in newest if at is not None]  # a time that reads as None is damaged
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
