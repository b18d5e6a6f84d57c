"""The price of one percent for stored accounts: reads each account's main windows and token
counts from the store, then ``tracker.insight.limits`` (pure) computes. Shared by ``tracker
limits``, the ledger (``tracker resets``) and the notification rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tracker.insight.limit_changes import (
    LimitChange,
    WindowLimits,
    changes_between,
    window_limits,
)
from tracker.insight.limits import WEIGHTS
from tracker.kinds import KINDS, MAIN_LIMIT
from tracker.timeutil import iso_utc

if TYPE_CHECKING:
    from tracker.storage.store import Store

LEAD = timedelta(days=7)  # readings before ``since`` that place the first window's start
CHANGE_HISTORY = timedelta(weeks=8)  # what a change is found against, before the period listed


@dataclass
class AccountLimits:
    account: str
    since: datetime
    until: datetime
    windows: list[WindowLimits] = field(default_factory=list)

    @property
    def changes(self) -> list[LimitChange]:
        return sorted((c for w in self.windows for c in w.changes), key=lambda c: c.at)

    def as_dict(self) -> dict:
        return {"account": self.account, "since": iso_utc(self.since), "until": iso_utc(self.until),
                "weighting": dict(WEIGHTS), "windows": [w.as_dict() for w in self.windows]}


def account_limits(store: Store, names: Sequence[str], since: datetime, now: datetime,
                   kinds: Sequence[str] = KINDS, with_tokens_only: bool = False) -> list[AccountLimits]:
    """Per account (NAMES, or all) and main window: the weekly prices since ``since`` and the changes;
    ``with_tokens_only``: accounts without token counts in the period are left out (no timeline read)."""
    result = []
    imported = store.imported_accounts() if with_tokens_only else set()
    for state in store.account_states(tuple(names), now):
        if with_tokens_only and state.name not in imported:
            continue
        mine = AccountLimits(state.name, since, now)
        keys = [k for k in state.series if k.limit == MAIN_LIMIT and k.kind in kinds]
        uses = store.token_uses(state.name, since - LEAD, now) if keys else []
        if with_tokens_only and not uses:
            continue
        if keys:
            for key in sorted(keys, key=lambda k: KINDS.index(k.kind)):
                points = store.points(key, since - LEAD, now)
                first = store.points(key, None, now, first=1)  # one row on the (series, time) key
                mine.windows.append(window_limits(state.name, key.limit, key.kind, key.window_seconds, points, uses,
                                                  since, now, first[0].at if first else None))
        result.append(mine)
    return result


def limit_changes(store: Store, names: Sequence[str], since: datetime, until: datetime,
                  kinds: Sequence[str] = KINDS) -> list[LimitChange]:
    """The changes that took effect in [since, until], found against the 8 weeks before too."""
    found = []
    for account in account_limits(store, names, since - CHANGE_HISTORY, until, kinds, with_tokens_only=True):
        found += changes_between(account.changes, since, until)
    return sorted(found, key=lambda c: (c.at, c.account, c.kind))
