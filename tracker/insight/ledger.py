"""``tracker resets``: a ledger of every window change the history shows.

People report resets that come early, come late, move later (a redeemed credit, a policy change)
or open at 85-99 % used; nobody records them. The ledger lists the windows of each series'
timeline (``tracker.insight.timeline``, the one reset rule): a reset where a window began after
another, a move where a window's reset time moved within it. An overdue window (its reset time
passed, no reading since shows the next one) has no reset yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from tracker.insight.limit_changes import LimitChange
from tracker.insight.timeline import build_timeline
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
    reached_limit_at: datetime | None = None  # when the window that ended first read 100 %
    blocked_seconds: float | None = None  # how long it then stayed at 100 % (until its reset); None for a move

    def as_dict(self) -> dict:
        return {"account": self.account, "limit": self.limit, "kind": self.kind, "event": self.event,
                "seen_at": iso_utc(self.seen_at), "last_before_at": iso_utc(self.last_before_at),
                "used_before": self.used_before, "used_after": self.used_after,
                "expected_at": iso_utc(self.expected_at), "new_reset_at": iso_utc(self.new_reset_at),
                "timing": self.timing, "reached_limit_at": iso_utc(self.reached_limit_at),
                "blocked_seconds": None if self.blocked_seconds is None else round(self.blocked_seconds)}


TIMING = {"early": "early", "late": "late", "on time": "on_time", "moved later": "on_time",
          "moved earlier": "on_time", "unknown": "unknown"}  # a window's ending -> the ledger's timing


def series_events(key: SeriesKey, points: Sequence[Point]) -> list[ResetEvent]:
    """The resets and moves of one series, read from its timeline: a reset where a window began
    after another, a move where a window's reset time moved within it."""
    spans = build_timeline(points, key.window_seconds)
    events = []
    for prev, span in zip(spans, spans[1:], strict=False):
        before = [p for p in prev.readings if p.at <= span.start] or list(prev.readings)
        last_before = before[-1]
        events.append(ResetEvent(key.account, key.limit, key.kind, "reset", span.start, last_before.at,
                                 prev.used_at(last_before.at), span.readings[0].used_percent, prev.reset_at,
                                 span.reset_at, TIMING[prev.ending], prev.reached_limit_at, prev.blocked_seconds))
    for span in spans:
        for move in span.moves:
            direction = "later" if move.new_reset > move.old_reset else "earlier"
            events.append(ResetEvent(key.account, key.limit, key.kind, "moved", move.after.at, move.before.at,
                                     span.used_at(move.before.at), span.used_at(move.after.at), move.old_reset,
                                     move.new_reset, direction))
    return sorted(events, key=lambda e: e.seen_at)


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


def _blocked(event: ResetEvent) -> str:
    """How long the window that ended sat at 100 %: "-" when it never reached it."""
    if not event.blocked_seconds:
        return "-"
    hours, minutes = divmod(round(event.blocked_seconds / 60), 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def ledger_table(events: Sequence[ResetEvent], tz: tzinfo, changes: Sequence[LimitChange] = ()) -> str:
    """One row per reset or move, and per change in the limit (``tracker limits``), in time order."""
    rows = [(e.seen_at, [e.account, e.limit, e.kind, format_local(e.seen_at, tz),
                         f"{percent(e.used_before)} → {percent(e.used_after)}", format_local(e.expected_at, tz),
                         format_local(e.new_reset_at, tz), TIMING_TEXT[e.timing], _blocked(e)]) for e in events]
    rows += [(c.at, [c.account, c.limit, c.kind, format_local(c.at, tz), "-", "-", "-",
                     f"limit {'cut' if c.ratio < 1 else 'raised'} x{c.ratio:.2f}", "-"]) for c in changes]
    rows.sort(key=lambda r: r[0])
    return table(["account", "limit", "window", "seen", "used %", "expected", "next reset", "timing", "blocked"],
                 [r[1] for r in rows])
