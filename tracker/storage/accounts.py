"""``tracker accounts``: list, rename, merge and forget the accounts a database holds.

Each change is one transaction, so an interrupted rename or forget leaves the database as it
was. Only the database is touched, never an auth file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, update

from tracker.collect.accounts import check_account_name
from tracker.errors import EXIT_AUTH, TrackerError
from tracker.storage.schema import accounts as accounts_t
from tracker.storage.schema import failures as failures_t
from tracker.storage.schema import import_progress as progress_t
from tracker.storage.schema import notifications as notifications_t
from tracker.storage.schema import reset_credit_fetches as credit_fetches_t
from tracker.storage.schema import reset_credits as reset_credits_t
from tracker.storage.schema import series as series_t
from tracker.storage.schema import snapshots as snapshots_t
from tracker.storage.schema import usual_weeks as usual_weeks_t
from tracker.storage.schema import windows as windows_t
from tracker.timeutil import iso_utc

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from tracker.storage.store import Store


class UnknownAccountError(TrackerError):
    exit_code = EXIT_AUTH


@dataclass
class AccountSummary:
    name: str
    source: str | None  # the auth file or Codex home its credentials were read from
    first_snapshot_at: datetime | None
    last_snapshot_at: datetime | None
    snapshots: int
    last_status: str  # ok, or the kind of the newest failure when that is newer; "none" when empty
    last_status_at: datetime | None

    def as_dict(self) -> dict:
        return {"name": self.name, "source": self.source, "first_snapshot_at": iso_utc(self.first_snapshot_at),
                "last_snapshot_at": iso_utc(self.last_snapshot_at), "snapshots": self.snapshots,
                "last_status": self.last_status, "last_status_at": iso_utc(self.last_status_at)}


def list_accounts(store: Store) -> list[AccountSummary]:
    a, sn, f = accounts_t, snapshots_t, failures_t
    snaps = (select(sn.c.account_id, func.min(sn.c.collected_at).label("first"),
                    func.max(sn.c.collected_at).label("last"), func.count().label("n"))
             .group_by(sn.c.account_id).subquery())
    fails = select(f.c.account_id, func.max(f.c.at).label("at")).group_by(f.c.account_id).subquery()
    query = (select(a.c.id, a.c.name, a.c.source_path, snaps.c.first, snaps.c.last, snaps.c.n, fails.c.at)
             .outerjoin(snaps, snaps.c.account_id == a.c.id).outerjoin(fails, fails.c.account_id == a.c.id)
             .order_by(a.c.name))
    summaries = []
    with store.engine.connect() as conn:
        for account_id, name, source, first, last, count, failed_at in conn.execute(query):
            status, status_at = ("ok", last) if last else ("none", None)
            if failed_at is not None and (last is None or failed_at > last):
                kind = conn.execute(select(f.c.kind).where(f.c.account_id == account_id, f.c.at == failed_at)
                                    .limit(1)).scalar()
                status, status_at = kind or "failed", failed_at
            summaries.append(AccountSummary(name, source, first, last, count or 0, status, status_at))
    return summaries


def _ids(conn: Connection, names: list[str]) -> dict[str, int]:
    found = dict(conn.execute(select(accounts_t.c.name, accounts_t.c.id).where(accounts_t.c.name.in_(names))).all())
    missing = [n for n in names if n not in found]
    if missing:
        raise UnknownAccountError(f"no account named {', '.join(repr(n) for n in missing)} "
                                  "(see `tracker accounts`)")
    return found


def rename_account(store: Store, old: str, new: str, merge: bool = False) -> str:
    """Rename OLD to NEW; with ``merge``, fold OLD's history into an existing NEW."""
    check_account_name(new)
    if old == new:
        raise TrackerError("the old and new names are the same", exit_code=2)
    with store._write() as conn, conn.begin():
        old_id = _ids(conn, [old])[old]
        new_id = conn.execute(select(accounts_t.c.id).where(accounts_t.c.name == new)).scalar()
        if new_id is None:
            conn.execute(update(accounts_t).where(accounts_t.c.id == old_id).values(name=new))
            _move_by_name(conn, old, new)
            return f"renamed {old} to {new}"
        if not merge:
            raise TrackerError(f"an account named {new} exists already: pass --merge to fold {old}'s "
                               f"history into it", exit_code=2)
        _merge(conn, old_id, new_id)
        conn.execute(delete(notifications_t).where(notifications_t.c.account == old))  # NEW's episodes stand
        _move_by_name(conn, old, new)
        conn.execute(delete(accounts_t).where(accounts_t.c.id == old_id))
    return f"merged {old} into {new}"


def _move_by_name(conn: Connection, old: str, new: str) -> None:
    """The tables that name the account instead of pointing at it: import progress, notifications."""
    for table in (progress_t, notifications_t):
        conn.execute(update(table).where(table.c.account == old).values(account=new))


def _merge(conn: Connection, old_id: int, new_id: int) -> None:
    s = series_t
    key = (s.c.limit_name, s.c.kind, s.c.window_seconds)
    targets = {tuple(r[1:]): r[0] for r in conn.execute(select(s.c.id, *key).where(s.c.account_id == new_id))}
    for series_id, *rest in conn.execute(select(s.c.id, *key).where(s.c.account_id == old_id)).all():
        target = targets.get(tuple(rest))
        if target is None:
            conn.execute(update(s).where(s.c.id == series_id).values(account_id=new_id))
        else:
            conn.execute(update(windows_t).where(windows_t.c.series_id == series_id).values(series_id=target))
            conn.execute(delete(usual_weeks_t).where(usual_weeks_t.c.series_id == series_id))
            conn.execute(delete(s).where(s.c.id == series_id))
    for table in (snapshots_t, failures_t):
        conn.execute(update(table).where(table.c.account_id == old_id).values(account_id=new_id))
    c = reset_credits_t  # a credit both lists name is NEW's; NEW's last request stands
    conn.execute(delete(c).where(c.c.account_id == old_id, c.c.credit_id.in_(
        select(c.c.credit_id).where(c.c.account_id == new_id).scalar_subquery())))
    conn.execute(update(c).where(c.c.account_id == old_id).values(account_id=new_id))
    conn.execute(delete(credit_fetches_t).where(credit_fetches_t.c.account_id == old_id))


def forget_accounts(store: Store, names: list[str]) -> dict[str, int]:
    """Delete the accounts and all their history in one transaction; snapshots removed per account."""
    removed = {}
    with store.children_first() as conn:  # windows, then series, then snapshots
        for name, account_id in _ids(conn, list(dict.fromkeys(names))).items():
            series_ids = select(series_t.c.id).where(series_t.c.account_id == account_id)
            conn.execute(delete(windows_t).where(windows_t.c.series_id.in_(series_ids)))
            conn.execute(delete(usual_weeks_t).where(usual_weeks_t.c.series_id.in_(series_ids)))
            conn.execute(delete(series_t).where(series_t.c.account_id == account_id))
            removed[name] = conn.execute(delete(snapshots_t).where(snapshots_t.c.account_id == account_id)).rowcount
            conn.execute(delete(failures_t).where(failures_t.c.account_id == account_id))
            for table in (reset_credits_t, credit_fetches_t):
                conn.execute(delete(table).where(table.c.account_id == account_id))
            conn.execute(delete(progress_t).where(progress_t.c.account == name))
            conn.execute(delete(notifications_t).where(notifications_t.c.account == name))
            conn.execute(delete(accounts_t).where(accounts_t.c.id == account_id))
    return removed
