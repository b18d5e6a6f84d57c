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


FUTURE_TOLERANCE_SECONDS = 60  # clocks disagree a little; a minute ahead is still "now"


def resolve_past(when: When | None, now: datetime, zone: tzinfo | None = None, option: str = "--at"
                 ) -> datetime | None:
    """A moment that must not be in the future (what the history said then; it cannot say more)."""
    moment = resolve(when, now, zone)
    if moment is not None and (moment - now).total_seconds() > FUTURE_TOLERANCE_SECONDS:
        raise click.BadParameter(f"{when.text!r} is in the future: the history only knows the past "
                                 "(leave it out for now)", param_hint=f"'{option}'")
    return moment


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


def emit(text: str, output: str | None, colour: bool | None = None) -> None:
    """Print (``colour`` False strips colour codes, True keeps them), or write FILE atomically."""
    if output:
        from pathlib import Path

        from tracker.views.exports import write_atomic

        write_atomic(Path(output), text)
    else:
        click.echo(text, nl=False, color=colour)
