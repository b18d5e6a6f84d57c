"""The plain values that flow from storage to analysis and charts (no SQLAlchemy here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
