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


def resolve_period(since: When | None, until: When | None, at: datetime, zone: tzinfo | None = None,
                   default_since: datetime | None = None, default_until: datetime | None = None
                   ) -> tuple[datetime | None, datetime | None]:
    """(since, until) resolved, defaults applied; a reversed period is a usage error, not "no data"."""
    import click

    until_at = resolve(until, at, zone) or default_until
    since_at = resolve(since, at, zone) or default_since
    if since_at and until_at and since_at >= until_at:
        raise click.BadParameter("the period is empty: --since must be before --until")
    return since_at, until_at


def emit(text: str, output: str | None) -> None:
    """Print, or write FILE atomically."""
    if output:
        from pathlib import Path

        from tracker.views.exports import write_atomic

        write_atomic(Path(output), text)
    else:
        click.echo(text, nl=False)
