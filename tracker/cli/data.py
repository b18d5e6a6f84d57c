"""``import-sessions``, ``history`` and ``export``: getting snapshots in and out."""

from __future__ import annotations

import gc
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

import click

from tracker.cli import params
from tracker.cli.common import emit, resolve, resolve_period, utcnow
from tracker.cli.options import (
    DEFAULT_LOOKBACK,
    DEFAULT_STALE_AFTER,
    db_option,
    names_argument,
    open_store,
    output_option,
    period_options,
    require_known,
    tz_option,
)

if TYPE_CHECKING:
    pass

# -- import-sessions -------------------------------------------------------------------------


@click.command("import-sessions")
@click.option("--codex-home", "codex_homes", multiple=True, metavar="[NAME=]DIR",
              help="A Codex home to read (repeatable). [default: $CODEX_HOME or ~/.codex]")
@click.option("--account", metavar="NAME", help="Store everything under this account name.")
@click.option("--since", type=params.When(), metavar="WHEN",
              help="Only events from this time on (ISO time or a duration ago).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@db_option
def import_sessions_command(codex_homes, account, since, as_json, db) -> None:
    """Backfill history from Codex's own session logs.

    Reads every token_count event in sessions/ and archived_sessions/ of each Codex home and
    stores its rate limits as snapshots (source: session-log). Safe to run again: only new
    lines are read, and nothing is stored twice. The account is named as `collect` names it
    (the default home is `default`, ~/.codex-work is `codex-work`), or --account.

    \b
    Example:
        tracker import-sessions
        tracker import-sessions --codex-home work=~/.codex-work --since 30d
    """
    from tracker import config, render
    from tracker.collect import accounts
    from tracker.collect.sessions import import_sessions
    from tracker.views.progress import LazyProgressBar

    homes = accounts.resolve_codex_homes(codex_homes, config.codex_home(), account)
    now = utcnow()
    since_at = resolve(since, now)
    bar = LazyProgressBar()
    # What start-up built (SQLAlchemy's tables, types and statements: some 100,000 objects) is no
    # garbage: out of the collector's way while the lines are read, the full passes the snapshots
    # set off cost a third as much (20 MB of logs: 26 -> 10 ms; 100 MB: 67 -> 28 ms).
    gc.freeze()
    try:
        with open_store(db) as store:
            summary = import_sessions(store, homes, since_at, on_plan=bar.plan, on_bytes=bar.advance, now=now)
    finally:
        gc.unfreeze()
        bar.close()
    for name, refused in summary.refused_limits.items():
        click.echo(f"tracker: warning: {_refused_line(name, refused)}", err=True)
    if as_json:
        click.echo(render.to_json(summary.as_dict()))
        return
    skipped = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in sorted(summary.skipped.items()))
    click.echo(f"{summary.files} files ({summary.files_read} with new lines), {summary.lines} lines read, "
               f"{summary.token_count_events} token_count events: {summary.imported} snapshots imported, "
               f"{summary.duplicates} duplicates skipped" + (f"; skipped: {skipped}" if skipped else "")
               + (f"; {summary.flat_events} events in the older flat form (no reset time)"
                  if summary.flat_events else ""))


def _refused_line(account: str, refused: dict) -> str:
    """One line per account whose session logs name more limit families than it may keep."""
    from tracker import render
    from tracker.collect.sessions import MAX_ACCOUNT_LIMITS

    families = refused["families"]
    first = ", ".join(render.cell(name) for name in refused["first"])
    more = f" and {families - len(refused['first']):,} more" if families > len(refused["first"]) else ""
    return (f"{render.cell(account)}: {families:,} limit famil{'y' if families == 1 else 'ies'} past the "
            f"{MAX_ACCOUNT_LIMITS} one account keeps not imported ({first}{more}; {refused['readings']:,} "
            "readings, their tokens counted with the next reading kept)")


# -- history, export -------------------------------------------------------------------------


@click.command()
@names_argument
@period_options
@click.option("--limit", type=click.IntRange(1, 10**9), help="At most N rows, the newest.")
@click.option("--all", "show_all", is_flag=True, help="Every row (the table's default without --since/--until "
                                                     "is the newest 50).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--errors", is_flag=True, help="List failed collections instead of snapshots.")
@db_option
@tz_option
def history(names, since, until, limit, show_all, fmt, errors, db, tz) -> None:
    """List stored snapshots, one row per snapshot and window.

    The table shows the newest first; json and csv list the oldest first. Without --since or
    --until the table shows the newest 50 rows (json and csv: every row); whenever rows are cut,
    a line on stderr says how many there are.

    \b
    Example:
        tracker history work --since 7d --format csv > work.csv
    """
    from tracker import render, timeutil
    from tracker.views import exports

    now = utcnow()
    since_at, until_at = resolve_period(since, until, now, tz)
    if limit is not None and show_all:
        raise click.BadParameter("use --limit N or --all, not both")
    if limit is None and not show_all and fmt == "table" and since is None and until is None:
        limit = 50
    with open_store(db, readonly=True) as store:
        require_known(store, names)
        rows_of = exports.failure_rows if errors else exports.snapshot_rows
        headers, rows = rows_of(store, names, since_at, until_at, limit, fmt == "table")
        total = exports.row_count(store, names, since_at, until_at, errors) if limit and len(rows) >= limit else 0
    if total > len(rows):
        shown = f"{total:,}" if total < exports.COUNT_CAP else f"more than {exports.COUNT_CAP:,}"
        click.echo(f"tracker: showing the newest {len(rows):,} of {shown}; --limit N or --all", err=True)
    if fmt != "table":
        click.echo(exports.format_rows(headers, rows, fmt), nl=False)
    elif not rows:
        click.echo(_nothing_stored(errors, since_at, until_at, tz))
    else:
        shown_rows = [[timeutil.format_local(c, tz, now) if h in exports.TIME_COLUMNS and c else
                       render.percent(c) if isinstance(c, float) else c for h, c in zip(headers, row, strict=True)]
                      for row in rows]
        click.echo(render.table(headers, shown_rows))


def _nothing_stored(errors: bool, since: datetime | None, until: datetime | None, zone: tzinfo) -> str:
    from tracker.timeutil import format_local

    what = "no failures" if errors else "no snapshots"
    if since and until:
        return f"{what} between {format_local(since, zone)} and {format_local(until, zone)}"
    if since or until:
        return f"{what} {'since' if since else 'at or before'} {format_local(since or until, zone)}"
    return "no failures stored" if errors else "no snapshots stored yet: run `tracker collect`"


@click.command()
@names_argument
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "ndjson", "prometheus"]), default="csv",
              show_default=True)
@period_options
@click.option("--errors", is_flag=True, help="Export failed collections instead of snapshots.")
@output_option
@db_option
def export(names, fmt, since, until, errors, output, db) -> None:
    """Export snapshots (or failures) for spreadsheets and notebooks, or current gauges for Prometheus.

    csv/json/ndjson: one row per snapshot and window, oldest first, with the fields of `history`.
    prometheus: the gauges of `tracker report --format prometheus`.

    \b
    Example:
        tracker export --since 30d > usage.csv
        tracker export --format prometheus -o /var/lib/node_exporter/textfile/codex.prom
    """
    from tracker.views import exports

    now = utcnow()
    with open_store(db, readonly=True) as store:
        if fmt == "prometheus":
            from tracker.insight.report import build_report

            text = exports.prometheus_text(build_report(store, tuple(names), now, DEFAULT_LOOKBACK,
                                                        DEFAULT_STALE_AFTER))
        else:
            rows_of = exports.failure_rows if errors else exports.snapshot_rows
            headers, rows = rows_of(store, names, *resolve_period(since, until, now), None, False)
            text = exports.format_rows(headers, rows, fmt)
    emit(text, output)
