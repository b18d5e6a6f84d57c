"""``tracker limits``: what one percent of a window is worth in tokens, and when that changed."""

from __future__ import annotations

import click

from tracker.cli import options as opt
from tracker.cli import params
from tracker.cli.common import resolve_past, resolve_period, utcnow


@click.command()
@opt.names_argument
@click.option("--since", type=params.When(), default="8w", show_default=True, metavar="WHEN",
              help="From this time (ISO time or a duration ago): weeks of 7 days ending now.")
@opt.kind_option
@opt.json_option
@click.option("--at", "at", type=params.When(), hidden=True, help="Evaluate as of this moment (tests).")
@opt.db_option
@opt.tz_option
def limits(names, since, kind, as_json, at, db, tz) -> None:
    """What 1 % is worth in tokens, per week, and when the limit changed.

    Needs the token counts of Codex's session logs (`tracker import-sessions`). Per account and
    window: the tokens one percent cost each week (uncached input, cached input, output, and a
    combined figure: uncached + 0.1 x cached + 8 x output), the share of the window's rise that
    local tokens explain (use on other machines moves the window without tokens here), and the
    spread over the week's days. A week with too little evidence says why instead of a number.
    A change in the limit is the same work costing clearly more or fewer percent than before,
    beyond the day-to-day scatter: its date, ratio (tokens per percent after / before; a halved
    limit is about 0.5) and the tokens and percent it rests on. Changes are in `tracker resets` too.

    \b
    Example:
        tracker import-sessions && tracker limits
        tracker limits work --since 12w --json
    """
    from tracker import render
    from tracker.insight.limits_history import account_limits
    from tracker.views.limits import limits_text

    now = resolve_past(at, utcnow(), tz) or utcnow()
    since_at, _ = resolve_period(since, None, now, tz, default_until=now)
    with opt.open_store(db, readonly=True) as store:
        opt.require_known(store, names)
        result = account_limits(store, tuple(names), since_at, now, opt.kinds(kind))
    click.echo(render.to_json([a.as_dict() for a in result]) if as_json else limits_text(result, tz))
