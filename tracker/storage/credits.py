"""Reset credits: each account's banked credits (upserted by account and credit id) and the last
request for the list (its time keeps the request to once an hour)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, select

from tracker.records import AccountInfo, CreditsReading, CreditsState, ResetCredit
from tracker.storage.base import StoreBase, _dialect_insert, accounts_t
from tracker.storage.codec import pack_body
from tracker.storage.schema import reset_credit_fetches as fetches_t
from tracker.storage.schema import reset_credits as credits_t

_CREDIT_FIELDS = ("reset_type", "title", "status", "granted_at", "expires_at", "redeemed_at")


def _upsert(conn: Connection, table, values: dict, keys: Sequence[str]) -> None:
    statement = _dialect_insert(conn, table).values(**values)
    changes = {k: statement.excluded[k] for k in values if k not in keys and k != "first_seen_at"}
    conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=changes))


class CreditStore(StoreBase):
    """Writing and reading the reset-credits list; each write one short transaction (accounts are
    found or made by ``SnapshotWriter._account_id``, beside it in ``Store``)."""

    def record_credits(self, account: str, reading: CreditsReading) -> None:
        """Keep one request's outcome; an ``ok`` list upserts its credits (seen now) and becomes the
        last list known. A value the database refuses raises ``UnstorableValue``, nothing kept."""
        self._refusing(self._record_credits, account, reading)

    def _record_credits(self, account: str, reading: CreditsReading) -> None:
        with self._write() as conn, conn.begin():
            account_id = self._account_id(conn, AccountInfo(account))
            fetch = {"account_id": account_id, "checked_at": reading.at, "outcome": reading.outcome,
                     "error": reading.error, "raw": pack_body(reading.raw)}
            if reading.outcome == "ok":
                fetch.update(listed_at=reading.at, available_count=reading.available_count)
                for credit in reading.credits:
                    row = {"account_id": account_id, "credit_id": credit.id, "first_seen_at": reading.at,
                           "seen_at": reading.at, **{k: getattr(credit, k) for k in _CREDIT_FIELDS}}
                    _upsert(conn, credits_t, row, ("account_id", "credit_id"))
            _upsert(conn, fetches_t, fetch, ("account_id",))

    def credit_fetch_times(self) -> dict[str, datetime]:
        """When each account's credits list was last asked for (answered or not)."""
        query = select(accounts_t.c.name, fetches_t.c.checked_at).join(
            fetches_t, fetches_t.c.account_id == accounts_t.c.id)
        with self.engine.connect() as conn:
            return {row.name: row.checked_at for row in conn.execute(query)}

    def credit_states(self, names: Sequence[str] = ()) -> dict[str, CreditsState]:
        """Each account's last request and its credits, those of the last list known first (by
        expiry), then older ones; accounts never asked are absent."""
        f, c, a = fetches_t, credits_t, accounts_t
        where = [a.c.name.in_(list(names))] if names else []
        states: dict[str, CreditsState] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(select(a.c.name, f).join(f, f.c.account_id == a.c.id).where(*where)):
                states[row.name] = CreditsState(row.checked_at, row.outcome, row.error, row.listed_at,
                                                row.available_count)
            query = select(a.c.name, c).join(c, c.c.account_id == a.c.id).where(*where)
            for row in conn.execute(query):
                state = states.setdefault(row.name, CreditsState())
                state.credits.append(ResetCredit(
                    row.credit_id, **{k: getattr(row, k) for k in _CREDIT_FIELDS},
                    first_seen_at=row.first_seen_at, seen_at=row.seen_at))
        for state in states.values():
            state.credits.sort(key=lambda r: (r.seen_at != state.listed_at, r.expires_at is None,
                                              r.expires_at or r.seen_at, r.id))
        return states
