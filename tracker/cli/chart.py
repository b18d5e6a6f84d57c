"""``tracker chart``: a week of windows filling and resetting, drawn to PNG, SVG or PDF."""

from __future__ import annotations

from datetime import timedelta

import click

from tracker.cli import params
from tracker.cli.common import resolve, resolve_period, utcnow
from tracker.cli.options import (
    db_option,
    kind_option,
    kinds,
    names_argument,
    open_store,
    period_options,
    tz_option,
)


@click.command()
@names_argument
@click.option("--last", type=params.Duration(timedelta(minutes=15)), default="7d", show_default=True,
              metavar="DURATION", help="The period: the last DURATION before --until (12h, 7d, 4w).")
@click.option("--days", type=params.Number(0.01, 3660), hidden=True, help="Same as --last Nd (older scripts).")
@period_options
@kind_option
@click.option("-o", "--output", metavar="FILE", help="PNG, SVG or PDF, by extension. [default: tracker-usage-DATE.png]")
@click.option("--title", help="Chart title.")
@click.option("--width", type=params.Number(2, 100), help="Width in inches.")
@click.option("--height", type=params.Number(2, 100), help="Height in inches.")
@click.option("--size", type=params.Size(), metavar="WxH", help="Width and height in inches, e.g. 14x9.")
@db_option
@tz_option
def chart(names, last, days, since, until, kind, output, title, width, height, size, db, tz) -> None:
    """Draw a week of consumption: windows filling and resetting, projections, use per day.

    --since overrides --last.

    \b
    Example:
        tracker chart --last 3d -o week.png
        tracker chart work home --kind weekly --since 2026-11-01 -o nov.svg
    """
    from tracker.views.chartfile import write_chart

    now = utcnow()
    until_at = resolve(until, now, tz) or now
    span = timedelta(days=days) if days is not None else last
    since_at, until_at = resolve_period(since, until, now, tz, until_at - span, until_at)
    if size is None and (width or height):
        size = (width or 12.0, height or 8.0)
    with open_store(db, readonly=True) as store:
        path = write_chart(store, names, since_at, until_at, kinds(kind), tz, now,
                           output or f"tracker-usage-{now.astimezone(tz):%Y-%m-%d}.png", title, size)  # the user's day
    click.echo(str(path))
