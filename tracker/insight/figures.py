"""One window's figures at a moment (``Forecast``), apart from ``tracker.insight.forecast`` that
computes them: the status line's state file rebuilds them without importing the forecasting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Forecast:
    """What the report, check, pick, chart and backtest know about one window at ``now``."""

    used_percent: float
    remaining_percent: float
    reset_at: datetime | None
    last_at: datetime
    burn_rate: float | None  # the recent slope, %/h; None when the evidence is too thin
    safe_rate: float | None  # the pace that would just last until the reset
    exhausts_at: datetime | None  # expected moment of reaching 100 % (after the reset: "after reset")
    exhausts_before_reset: bool | None
    reset_since_last_snapshot: bool = False  # the reset time has passed: figures are the last reading
    reading_past_reset: bool = False  # the reading itself named a reset time already past
    projected: float | None = None  # expected used % at the reset (capped at 100)
    projected_low: float | None = None
    projected_high: float | None = None
    run_out_probability: float | None = None  # P(100 % before the reset), 0-1 (tracker.insight.outlook)
    expected_rate: float | None = None  # expected average %/h from now to the reset, idle time included
    pace_delta: float | None = None  # used % minus an even pace's share of the window so far
    method: str | None = None
    path: list[tuple[datetime, float]] = field(default_factory=list)  # expected used % from now to the reset

    @property
    def may_exhaust_before_reset(self) -> bool:
        """Not expected to run out, but the high end of the range does."""
        return not self.exhausts_before_reset and self.projected_high is not None and self.projected_high >= 100.0
