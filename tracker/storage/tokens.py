"""Reading the token counts imported from Codex session logs: the use each snapshot carries,
by time, for summing between two readings of a window (``tracker.insight.limits``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from tracker.records import TokenCounts
from tracker.storage.base import StoreBase, _time_filters, accounts_t, progress_t, snapshots_t


class TokenReader(StoreBase):
    """The token counts of an account's snapshots."""

    def token_uses(self, account: str, since: datetime | None, until: datetime | None) -> list[tuple[datetime, TokenCounts]]:
        """(time, the tokens used since the session's previous line) of every snapshot in
        [since, until] that carries counts, oldest first."""
        sn, a = snapshots_t, accounts_t
        columns = [sn.c[f"{name}_tokens"] for name in ("input", "cached_input", "output", "reasoning_output")]
        query = (select(sn.c.collected_at, *columns).join(a, sn.c.account_id == a.c.id)
                 .where(a.c.name == account, columns[0].is_not(None), *_time_filters(sn.c.collected_at, since, until))
                 .order_by(sn.c.collected_at))
        with self.engine.connect() as conn:
            return [(row[0], TokenCounts(*(value or 0 for value in row[1:]))) for row in conn.execute(query)]

    def imported_accounts(self) -> set[str]:
        """The accounts session logs were ever imported for: only they can have token counts (a
        cheap gate before reading any snapshot)."""
        with self.engine.connect() as conn:
            return set(conn.execute(select(progress_t.c.account).distinct()).scalars())
