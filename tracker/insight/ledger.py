"""``tracker resets``: a ledger of every window change the history shows.

People report resets that come early, come late, move later (a redeemed credit, a policy change)
or open at 85-99 % used; nobody records them. The ledger uses the report's reset rule
(``analysis.is_reset_between``), one pass over each series' points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from tracker.insight.windows import is_reset_between, jitter_tolerance
from tracker.points import Point, SeriesKey
from tracker.render import percent, table
from tracker.timeutil import format_local, iso_utc

if TYPE_CHECKING:
    from tracker.storage.store import Store


@dataclass
class ResetEvent:
    account: str
    limit: str
    kind: str
    event: str  # "reset": a new window began; "moved": the expected reset time changed within a window
    seen_at: datetime  # the first snapshot that showed it
    last_before_at: datetime  # the snapshot before it
    used_before: float
    used_after: float
    expected_at: datetime | None  # the reset time the window before announced
    new_reset_at: datetime | None
    timing: str  # early | on_time | late | later | earlier | unknown

    def as_dict(self) -> dict:
        return {"account": self.account, "limit": self.limit, "kind": self.kind, "event": self.event,
                "seen_at": iso_utc(self.seen_at), "last_before_at": iso_utc(self.last_before_at),
                "used_before": self.used_before, "used_after": self.used_after,
                "expected_at": iso_utc(self.expected_at), "new_reset_at": iso_utc(self.new_reset_at),
                "timing": self.timing}


def _timing(before: Point, after: Point, tolerance: timedelta) -> str:
    """Early when the new window was seen before the announced time; late when the old one was
    still there after it (each beyond the jitter tolerance)."""
    if before.reset_at is None:
        return "unknown"
    if after.at < before.reset_at - tolerance:
        return "early"
    if before.at > before.reset_at + tolerance:
        return "late"
    return "on_time"


def series_events(key: SeriesKey, points: Sequence[Point]) -> list[ResetEvent]:
    tolerance = timedelta(seconds=jitter_tolerance(key.window_seconds))
    events = []
    for a, b in zip(points, points[1:], strict=False):
        dropped = b.used_percent <= a.used_percent - 1.0
        if (not dropped and a.reset_at is not None and b.at >= a.reset_at and b.reset_at is not None
                and abs(b.reset_at - a.reset_at) <= tolerance):
            continue  # past its announced time, yet the server still shows the old window: overdue
        moved = (a.reset_at is not None and b.reset_at is not None and b.at < a.reset_at
                 and abs(b.reset_at - a.reset_at) > tolerance and not dropped)
        if moved:
            direction = "later" if b.reset_at > a.reset_at else "earlier"
            events.append(ResetEvent(key.account, key.limit, key.kind, "moved", b.at, a.at, a.used_percent,
                                     b.used_percent, a.reset_at, b.reset_at, direction))
        elif is_reset_between(a, b, key.window_seconds):
            events.append(ResetEvent(key.account, key.limit, key.kind, "reset", b.at, a.at, a.used_percent,
                                     b.used_percent, a.reset_at, b.reset_at, _timing(a, b, tolerance)))
    return events


def build_ledger(store: Store, names: tuple[str, ...], since: datetime, until: datetime,
                 kinds: tuple[str, ...]) -> list[ResetEvent]:
    events = []
    for state in store.account_states(names, until):
        for key in state.series:
            if key.kind in kinds:
                events += series_events(key, store.points(key, since, until))
    return sorted(events, key=lambda e: (e.seen_at, e.account, e.limit, e.kind))


TIMING_TEXT = {"early": "early", "on_time": "on time", "late": "late", "unknown": "-",
               "later": "moved later", "earlier": "moved earlier"}


def ledger_table(events: Sequence[ResetEvent], tz: tzinfo) -> str:
    rows = [[e.account, e.limit, e.kind, format_local(e.seen_at, tz), f"{percent(e.used_before)} → {percent(e.used_after)}",
             format_local(e.expected_at, tz), format_local(e.new_reset_at, tz), TIMING_TEXT[e.timing]]
            for e in events]
    return table(["account", "limit", "window", "seen", "used %", "expected", "next reset", "timing"], rows)
