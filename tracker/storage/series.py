"""Reading the series the figures are computed from: each account's state and the points of one
window over a range (served by the clustered (series, time) key)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from tracker.points import Point, SeriesKey
from tracker.records import FailureRecord
from tracker.storage.base import (
    StoreBase,
    _time_filters,
    accounts_t,
    failures_t,
    models,
    series_t,
    snapshots_t,
    sound_points,
    windows_t,
)


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
    credits_balance: str | None = None  # the credits balance as the latest snapshot said (text)
    workspace_id: str | None = None  # the latest snapshot's workspace and seat, when it named them
    workspace_label: str | None = None
    seat_type: str | None = None


class SeriesReader(StoreBase):
    """Accounts, their latest state, and the points of one series."""

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
                    select(sn.c.collected_at, sn.c.plan, sn.c.reset_credits_available, sn.c.credits_balance,
                           sn.c.workspace_id, sn.c.workspace_label, sn.c.seat_type)
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
                    credits_balance=latest.credits_balance if latest else None,
                    workspace_id=latest.workspace_id if latest else None,
                    workspace_label=latest.workspace_label if latest else None,
                    seat_type=latest.seat_type if latest else None,
                ))
        return states

    def points(
        self, key: SeriesKey, since: datetime | None, until: datetime | None, last: int | None = None,
        first: int | None = None,
    ) -> list[Point]:
        """The values of one window in [since, until], oldest first; ``last``: only the newest N,
        ``first``: only the oldest N.

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
            query = query.order_by(w.c.collected_at).limit(first)
        with self.engine.connect() as conn:
            points = sound_points(conn.execute(query))
        return points[::-1] if last else points

    def points_at_least(self, key: SeriesKey, since: datetime, until: datetime, percent: float,
                        first: int | None = None, strict: bool = False) -> list[Point]:
        """The values of one window at ``percent`` or more (``strict``: above it) in [since, until],
        oldest first (``first``: only the oldest N): a range read on the clustered (series, time)
        key, filtered by value (blocked time reads only these)."""
        w = windows_t
        series_id = models.series_id_query(key).scalar_subquery()
        query = select(w.c.collected_at, w.c.used_percent, w.c.reset_at).where(
            w.c.series_id == series_id, *_time_filters(w.c.collected_at, since, until),
            w.c.used_percent > percent if strict else w.c.used_percent >= percent,
        ).order_by(w.c.collected_at).limit(first)
        with self.engine.connect() as conn:
            return sound_points(conn.execute(query))

    def readings_at_least(self, limit: str, kinds: Sequence[str], since: datetime, until: datetime,
                          percent: float, names: Sequence[str] = ()) -> dict[SeriesKey, list[Point]]:
        """``points_at_least`` of every account's (or the ``names``') series of ``limit`` and
        ``kinds`` in one statement (one range read per series on the clustered key, never a scan of
        other times): only the series that have such readings, each oldest first."""
        w, s, a = windows_t, series_t, accounts_t
        chosen = select(s.c.id).where(s.c.limit_name == limit, s.c.kind.in_(list(kinds)))
        if names:
            chosen = chosen.where(s.c.account_id.in_(select(a.c.id).where(a.c.name.in_(list(names)))))
        query = (select(a.c.name, s.c.kind, s.c.window_seconds, w.c.collected_at, w.c.used_percent, w.c.reset_at)
                 .join(s, s.c.id == w.c.series_id).join(a, a.c.id == s.c.account_id)
                 .where(w.c.series_id.in_(chosen),
                        *_time_filters(w.c.collected_at, since, until), w.c.used_percent >= percent)
                 .order_by(w.c.series_id, w.c.collected_at))
        found: dict[SeriesKey, list[Point]] = {}
        with self.engine.connect() as conn:
            for name, kind, seconds, at, used, reset in conn.execute(query):
                if at is None or used is None:  # unreadable (see sound_points)
                    continue
                found.setdefault(SeriesKey(name, limit, kind, seconds or None), []).append(Point(at, used, reset))
        return found
