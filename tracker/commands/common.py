"""Small helpers every command module uses: the clock, resolving moments, writing output."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from tracker.timeutil import When



def utcnow() -> datetime:
    return datetime.now(UTC)


def resolve(when: When | None, at: datetime, zone: tzinfo | None = None) -> datetime | None:
    return None if when is None else when.resolve(at, zone)


def emit(text: str, output: str | None) -> None:
    """Print, or write FILE atomically."""
    if output:
        from pathlib import Path

        from tracker.exports import write_atomic

        write_atomic(Path(output), text)
    else:
        click.echo(text, nl=False)
