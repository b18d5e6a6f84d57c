"""A progress bar for long imports: on a terminal only, and only once the work has taken a while
(a quick rerun that finds nothing new should print nothing)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import click


class LazyProgressBar:
    def __init__(self, delay: float = 2.0, clock: Callable[[], float] | None = None,
                 enabled: bool | None = None, label: str = "importing") -> None:
        self.clock = clock or time.monotonic
        self.started = self.clock()
        self.delay, self.total, self.done, self.bar, self.label = delay, 0, 0, None, label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled

    def plan(self, total: int) -> None:
        self.total = total

    def advance(self, amount: int) -> None:
        self.done += amount
        if self.bar is None and self.enabled and self.clock() - self.started > self.delay:
            self.bar = click.progressbar(length=max(1, self.total), label=self.label, file=sys.stderr)
            self.bar.__enter__()
            self.bar.update(self.done)
        elif self.bar is not None:
            self.bar.update(amount)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
