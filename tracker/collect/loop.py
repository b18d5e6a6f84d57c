"""``collect --every``: run in the foreground, one collection per slot, stop cleanly on a signal.

Slots are aligned to the clock (every 5m means :00, :05, …) so several collectors line up, plus a
little jitter so they do not all hit the server in the same second. A signal during the sleep
stops at once; during a collection it lets the snapshot being written finish (each is one
transaction, so there is never a partial row) and stops before the next.
"""

from __future__ import annotations

import random
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def next_slot(now: datetime, every: timedelta) -> datetime:
    """The next clock-aligned multiple of ``every`` after ``now``."""
    period = every.total_seconds()
    epoch = now.timestamp()
    return datetime.fromtimestamp((epoch // period + 1) * period, tz=UTC)


class StopFlag:
    """Set by SIGINT/SIGTERM; ``wait`` sleeps until a deadline or the signal, whichever is first."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal_name: str | None = None

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, _frame) -> None:
        self.signal_name = signal.Signals(signum).name
        self.event.set()

    @property
    def stopped(self) -> bool:
        return self.event.is_set()

    def wait(self, seconds: float) -> bool:
        return self.event.wait(max(0.0, seconds))


def run_every(
    every: timedelta,
    collect_once: Callable[[StopFlag], int],
    stop: StopFlag,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    jitter: float | None = None,
    rng: random.Random | None = None,
    max_runs: int | None = None,
) -> int:
    """Collect now, then at every slot until stopped; returns 0 when stopped by a signal."""
    rng = rng or random.Random()
    jitter = min(10.0, every.total_seconds() * 0.05) if jitter is None else jitter
    runs = 0
    while not stop.stopped:
        collect_once(stop)
        runs += 1
        if max_runs is not None and runs >= max_runs:
            break
        now = clock()
        delay = (next_slot(now, every) - now).total_seconds() + rng.uniform(0, jitter)
        if stop.wait(delay):
            break
    return 0
