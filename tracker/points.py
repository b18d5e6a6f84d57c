"""The plain values that flow from storage to analysis and charts (no SQLAlchemy here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

HOURS_PER_WEEK = 168  # the usual week: one rate per hour of the week


@dataclass(frozen=True)
class SeriesKey:
    """One tracked window of one account."""

    account: str
    limit: str
    kind: str
    window_seconds: int | None


@dataclass(frozen=True)
class Point:
    """One stored value of one window."""

    at: datetime
    used_percent: float
    reset_at: datetime | None


@dataclass(frozen=True)
class KeptUsualWeek:
    """A long window's usual week as ``collect`` kept it (``tracker.storage.grids``): what it was
    learned from, and its numbers (``rates`` None: too little history for one)."""

    window_start: datetime
    readings: str  # the fingerprint of the grid read it was learned from
    rates: tuple[float, ...] | None
    ratios: tuple[float, ...]
