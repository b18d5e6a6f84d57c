"""The command line: parse options, call one function per command, print its result.

Kept thin and cheap to import: the tracker modules (and with them sqlalchemy, requests,
matplotlib) are imported inside the commands that need them, so ``tracker --help`` is instant.
Option values are checked by the parameter types in ``tracker.params`` before anything is opened.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta, tzinfo

import click

from tracker import __version__, params
from tracker.cliapp import TrackerGroup, run
from tracker.options import (
    DEFAULT_LOOKBACK,
    DEFAULT_STALE_AFTER,
    as_of_options,
    db_option,
    json_option,
    kind_option,
    kinds,
    names_argument,
    open_store,
    output_option,
    period_options,
    stale_option,
    tz_option,
)
from tracker.timeutil import When

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def main() -> None:
    run(cli)


def _now() -> datetime:
    return datetime.now(UTC)


def _resolve(when: When | None, now: datetime, zone: tzinfo | None = None) -> datetime | None:
    return None if when is None else when.resolve(now, zone)


def _emit(text: str, output: str | None) -> None:
    if output:
        from pathlib import Path

        from tracker.exports import write_atomic

        write_atomic(Path(output), text)
    else:
        click.echo(text, nl=False)


@click.group(cls=TrackerGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="codex-usage-tracker")
def cli() -> None:
    """Keep the history of your ChatGPT Codex rate limits.

    \b
    tracker collect        store every account's usage now (run it from cron)
    tracker report         balance, burn rate and predicted exhaustion
    tracker chart          a week of consumption as a picture
    tracker history        the stored snapshots
    tracker accounts       the accounts stored, and renaming or forgetting them
    tracker import-sessions  backfill from Codex's own session logs
    tracker demo           try it all on a synthetic history, no account needed
    """


# -- collect ---------------------------------------------------------------------------------


@cli.command()
@names_argument
@click.option("--account-dir", "account_dirs", multiple=True, envvar="TRACKER_ACCOUNT_DIR", metavar="DIR",
              help="Read every <name>.auth.json in DIR. [env TRACKER_ACCOUNT_DIR]")
@click.option("--auth", "auth_files", multiple=True, metavar="[NAME=]FILE",
              help="An auth.json file (repeatable); x.auth.json is named x.")
@click.option("--codex-home", "codex_homes", multiple=True, metavar="[NAME=]DIR",
              help="A Codex home holding auth.json (repeatable); ~/.codex-work is named codex-work.")
@click.option("--url", envvar="TRACKER_USAGE_URL", metavar="URL",
              help="Usage endpoint, or a base URL (see the README). [env TRACKER_USAGE_URL]")
@click.option("--concurrency", default=16, show_default=True, type=click.IntRange(1, 256),
              help="Requests in flight at once.")
@click.option("--timeout", default=30.0, show_default=True, type=params.Number(0.1, 600),
              help="Seconds to wait for each request.")
@click.option("--retries", default=2, show_default=True, type=click.IntRange(0, 10),
              help="Retries of 429, 5xx and network errors (with backoff).")
@db_option
@tz_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per account.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors (for cron).")
@click.option("--raw-json", is_flag=True, help="Print each response body (tokens removed).")
@click.option("--raw-headers", is_flag=True, help="Print each response's headers (tokens and cookies removed).")
@click.option("--every", type=params.Duration(timedelta(seconds=10)), metavar="DURATION",
              help="Keep running: collect at every slot (e.g. 5m) until SIGINT/SIGTERM.")
@click.option("--at", "at", type=params.When(), hidden=True,
              help="Record the snapshots as taken at this time (tests, replays).")
def collect(names, account_dirs, auth_files, codex_homes, url, concurrency, timeout, retries, db, tz,
            as_json, quiet, raw_json, raw_headers, every, at) -> None:
    """Fetch and store the current usage of every account.

    With no options, reads the logged-in account from $CODEX_HOME/auth.json (~/.codex/auth.json).
    NAMES restricts the accounts. Exit code: 0 all ok, 1 auth problem, 2 network problem,
    3 HTTP problem or unparsed response (the highest over all accounts), 4 database problem.

    \b
    Example:
        tracker collect --account-dir ~/codex-accounts --quiet
    """
    from tracker import client, config
    from tracker.collect import CollectSettings

    fixed = _resolve(at, _now(), tz)
    settings = CollectSettings(
        endpoint=client.usage_url(url or config.DEFAULT_USAGE_URL), account_dirs=tuple(account_dirs),
        auth_files=auth_files, codex_homes=codex_homes, names=names, concurrency=concurrency,
        timeout=timeout, retries=retries, clock=(lambda: fixed) if fixed else _now,
    )
    output = {"zone": tz, "as_json": as_json, "quiet": quiet, "raw_json": raw_json, "raw_headers": raw_headers}
    if every is None:
        sys.exit(_collect_once(db, settings, output))
    from tracker.errors import TrackerError
    from tracker.loop import StopFlag, run_every

    def once(stop: StopFlag) -> int:
        if not (quiet or as_json or raw_json or raw_headers):
            click.echo(f"-- {settings.clock().astimezone(tz):%Y-%m-%d %H:%M:%S %Z}")
        try:
            return _collect_once(db, settings, output, stop)
        except TrackerError as exc:  # e.g. no account yet, database busy: report and keep going
            click.echo(f"tracker: {exc.message}", err=True)
            return exc.exit_code

    stop = StopFlag()
    stop.install()
    sys.exit(run_every(every, once, stop))


def _collect_once(db: str | None, settings, output: dict, stop=None) -> int:  # noqa: ANN001
    """Run one collection and print it; returns the exit code (the highest over accounts)."""
    from tracker import collect_output, config
    from tracker.collect import run_collection
    from tracker.config import db_url
    from tracker.store import Store

    results = run_collection(settings, lambda: Store.open(db_url(db)), config.codex_home(), stop)
    for line in collect_output.problem_lines(results, output["quiet"]):
        click.echo(f"tracker: {line}", err=True)
    if output["raw_json"] or output["raw_headers"]:
        click.echo(collect_output.raw_text(results, output["raw_json"], output["raw_headers"]))
    elif output["as_json"]:
        click.echo(collect_output.results_json(results))
    elif not output["quiet"]:
        click.echo(collect_output.results_table(results, output["zone"], settings.clock()))
    return max((r.exit_code for r in results), default=0)


# -- report, check, pick ---------------------------------------------------------------------


def _build_report(names: tuple[str, ...], at: When | None, lookback: timedelta, stale_after: timedelta,
                  db: str | None, zone: tzinfo, with_paths: bool = False):  # noqa: ANN202
    """The report of the known NAMES (and each account's auth file), and the unknown NAMES."""
    from tracker.errors import NoDataError
    from tracker.report import NoSnapshotsError, build_report
    from tracker.timeutil import format_local

    moment = _resolve(at, _now(), zone) or _now()
    with open_store(db, readonly=True) as store:
        known = set(store.account_names())
        unknown = [n for n in dict.fromkeys(names) if n not in known]
        wanted = tuple(n for n in names if n in known)
        if names and not wanted:
            raise NoDataError(_unknown_line(unknown))
        try:
            result = build_report(store, wanted, moment, lookback, stale_after)
        except NoSnapshotsError:
            if at is None:
                raise
            raise NoDataError(f"no snapshots at or before {format_local(moment, zone)}") from None
        return result, unknown, (store.account_paths() if with_paths else {})


def _unknown_line(unknown: list[str]) -> str:
    return "; ".join(f"no account named {n!r} (see `tracker accounts`)" for n in unknown)


@cli.command()
@names_argument
@as_of_options
@click.option("--format", "fmt", type=click.Choice(["table", "json", "prometheus"]), default="table",
              show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@output_option
@db_option
@tz_option
def report(names, at, lookback, stale_after, fmt, as_json, output, db, tz) -> None:
    """Balance, burn rate and predicted exhaustion of every window, from the history alone.

    Unknown NAMES get one line each on stderr and exit 1, after the report of the others.

    \b
    Example:
        tracker report --tz Europe/Paris
        tracker report work --json --at 2026-11-20T10:00
    """
    from tracker import exports, render
    from tracker.report import report_json, report_table
    from tracker.timeutil import format_local, zone_name

    result, unknown, _ = _build_report(names, at, lookback, stale_after, db, tz)
    fmt = "json" if as_json else fmt
    if fmt == "json":
        text = render.to_json(report_json(result)) + "\n"
    elif fmt == "prometheus":
        text = exports.prometheus_text(result)
    else:
        text = report_table(result, tz) + "\n"
        if at is not None:
            text = f"as of {format_local(result.generated_at, tz)} ({zone_name(tz)})\n\n" + text
    _emit(text, output)
    for name in unknown:
        click.echo(f"tracker: {_unknown_line([name])}", err=True)
    if unknown:
        sys.exit(1)


@cli.command()
@names_argument
@click.option("--min-remaining", type=params.Number(0, 100), default=10, show_default=True, metavar="PCT",
              help="A window with less left than this is a problem.")
@kind_option
@click.option("--before-reset", is_flag=True, help="Also a problem: predicted to run out before its reset.")
@as_of_options
@db_option
@tz_option
def check(names, min_remaining, kind, before_reset, at, lookback, stale_after, db, tz) -> None:
    """Exit 0 when every window is fine, 10 when one is low, 20 when data is stale or missing.

    Prints one line per problem, for scripts, status bars and notifications. 20 wins over 10:
    a stale figure cannot be trusted.

    \b
    Example:
        tracker check --min-remaining 15 --before-reset || notify-send "Codex: $(tracker check)"
    """
    from tracker.alerts import EXIT_STALE, check_report
    from tracker.errors import NoDataError

    try:
        result, unknown, _ = _build_report(names, at, lookback, stale_after, db, tz)
    except NoDataError as exc:
        click.echo(exc.message)
        sys.exit(EXIT_STALE)
    outcome = check_report(result, kinds(kind), min_remaining, before_reset, tz)
    for problem in [*outcome.problems, *(_unknown_line([n]) for n in unknown)]:
        click.echo(problem)
    sys.exit(EXIT_STALE if unknown else outcome.exit_code)


@cli.command()
@kind_option
@click.option("--path", "with_path", is_flag=True, help="Also print its auth file, tab-separated.")
@click.option("--codex-home", "home_only", is_flag=True,
              help="Print the Codex home of the best account that has one (for CODEX_HOME=...).")
@stale_option
@click.option("--at", "at", type=params.When(), metavar="WHEN", help="Evaluate as of a past moment.")
@db_option
def pick(kind, with_path, home_only, stale_after, at, db) -> None:
    """Print the account with the most headroom now (the highest smallest-remaining %).

    Stale accounts are ignored; exit 1 when no account has anything left. Only accounts read
    from a Codex home (--codex-home, or the default ~/.codex) can be switched to directly: Codex
    reads $CODEX_HOME/auth.json. For <name>.auth.json files, give each account its own Codex
    home once (`mkdir ~/.codex-NAME && cp NAME.auth.json ~/.codex-NAME/auth.json`) and collect
    with --codex-home.

    \b
    Example:
        CODEX_HOME=$(tracker pick --codex-home) codex
        tracker pick --path        # name<TAB>auth file, for any kind of account
    """
    from tracker.accounts import codex_home_of
    from tracker.alerts import pick_account
    from tracker.errors import NoDataError

    result, _, paths = _build_report((), at, DEFAULT_LOOKBACK, stale_after, db, UTC, with_paths=True)
    if home_only:
        result.accounts = [a for a in result.accounts if codex_home_of(paths.get(a.account))]
        if not result.accounts:
            raise NoDataError("no stored account comes from a Codex home: collect with --codex-home DIR "
                              "(a directory holding auth.json) to switch between accounts")
    best = pick_account(result, kinds(kind))
    if best is None:
        raise NoDataError("no fresh account has anything left")
    if home_only:
        click.echo(str(codex_home_of(paths.get(best[0]))))
    else:
        click.echo(f"{best[0]}\t{paths.get(best[0]) or ''}" if with_path else best[0])


# -- chart and demo --------------------------------------------------------------------------


@cli.command()
@names_argument
@click.option("--days", type=params.Number(0.01, 3660), default=7, show_default=True,
              help="The period: the last N days.")
@period_options
@kind_option
@click.option("-o", "--output", metavar="FILE", help="PNG, SVG or PDF, by extension. [default: tracker-usage-DATE.png]")
@click.option("--title", help="Chart title.")
@click.option("--width", type=params.Number(2, 100), help="Width in inches.")
@click.option("--height", type=params.Number(2, 100), help="Height in inches.")
@click.option("--size", type=params.Size(), metavar="WxH", help="Width and height in inches, e.g. 14x9.")
@db_option
@tz_option
def chart(names, days, since, until, kind, output, title, width, height, size, db, tz) -> None:
    """Draw a week of consumption: windows filling and resetting, projections, use per day.

    --since overrides --days.

    \b
    Example:
        tracker chart --days 7 -o week.png
        tracker chart work home --kind weekly --since 2026-11-01 -o nov.svg
    """
    from tracker.chartfile import write_chart

    now = _now()
    until_at = _resolve(until, now, tz) or now
    since_at = _resolve(since, now, tz) or until_at - timedelta(days=days)
    if since_at >= until_at:
        raise click.BadParameter("the period is empty: --since must be before --until")
    if size is None and (width or height):
        size = (width or 12.0, height or 8.0)
    with open_store(db, readonly=True) as store:
        path = write_chart(store, names, since_at, until_at, kinds(kind), tz, now,
                           output or f"tracker-usage-{now:%Y-%m-%d}.png", title, size)
    click.echo(str(path))


@cli.command()
@click.option("--db", "db", metavar="PATH", help="Fill this database (default: a throwaway one in a temporary directory).")
@click.option("--accounts", type=click.IntRange(1, 500), default=3, show_default=True)
@click.option("--days", type=params.Number(0.1, 800), default=7, show_default=True)
@click.option("--interval", type=params.Duration(timedelta(seconds=10)), default="5m", show_default=True,
              metavar="DURATION", help="Time between snapshots.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("-o", "--output", default="tracker-demo.png", show_default=True, metavar="FILE",
              help="Where to write the chart (PNG, SVG or PDF).")
@tz_option
def demo(db, accounts, days, interval, seed, output, tz) -> None:
    """Fill a database with a realistic synthetic history, then report and chart it.

    For trying the tool without a Codex account: work-day bursts, idle nights, five-hour windows
    filling and resetting, a weekly window that nearly runs out, a collection gap and an
    expired token.

    \b
    Example:
        tracker demo                       # then open tracker-demo.png
        tracker demo --accounts 20 --days 14 -o team.png
    """
    from tracker.demo import run_demo

    done = run_demo(db, accounts=accounts, days=days, interval=interval, seed=seed, output=output, zone=tz,
                    now=_now())
    summary = done.summary
    click.echo(f"demo: {summary.snapshots} snapshots and {summary.failures} failed collections "
               f"for {len(summary.accounts)} accounts over {days:g} days"
               + (f" in {db}" if db else " (throwaway database)"), err=True)
    click.echo(done.report_text)
    click.echo()
    click.echo(f"chart: {done.chart}")


# -- import-sessions -------------------------------------------------------------------------


@cli.command("import-sessions")
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
    from tracker import accounts, config, render
    from tracker.progress import LazyProgressBar
    from tracker.sessions import import_sessions

    homes = accounts.resolve_codex_homes(codex_homes, config.codex_home(), account)
    since_at = _resolve(since, _now())
    bar = LazyProgressBar()
    try:
        with open_store(db) as store:
            summary = import_sessions(store, homes, since_at, on_plan=bar.plan, on_bytes=bar.advance)
    finally:
        bar.close()
    if as_json:
        click.echo(render.to_json(summary.as_dict()))
        return
    skipped = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in sorted(summary.skipped.items()))
    click.echo(f"{summary.files} files ({summary.files_read} with new lines), {summary.lines} lines read, "
               f"{summary.token_count_events} token_count events: {summary.imported} snapshots imported, "
               f"{summary.duplicates} duplicates skipped" + (f"; skipped: {skipped}" if skipped else ""))


# -- history, export -------------------------------------------------------------------------


@cli.command()
@names_argument
@period_options
@click.option("--limit", type=click.IntRange(1), help="At most N rows, the newest.")
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
    from tracker import exports, render, timeutil

    now = _now()
    since_at, until_at = _resolve(since, now, tz), _resolve(until, now, tz)
    if limit is None and not show_all and fmt == "table" and since is None and until is None:
        limit = 50
    with open_store(db, readonly=True) as store:
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
        shown_rows = [[timeutil.format_local(c, tz) if h in exports.TIME_COLUMNS and c else
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


@cli.command()
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
    from tracker import exports

    now = _now()
    with open_store(db, readonly=True) as store:
        if fmt == "prometheus":
            from tracker.report import build_report

            text = exports.prometheus_text(build_report(store, tuple(names), now, DEFAULT_LOOKBACK,
                                                        DEFAULT_STALE_AFTER))
        else:
            rows_of = exports.failure_rows if errors else exports.snapshot_rows
            headers, rows = rows_of(store, names, _resolve(since, now), _resolve(until, now), None, False)
            text = exports.format_rows(headers, rows, fmt)
    _emit(text, output)


# -- accounts --------------------------------------------------------------------------------


@cli.group(invoke_without_command=True)
@json_option
@db_option
@tz_option
@click.pass_context
def accounts(ctx, as_json, db, tz) -> None:
    """The accounts stored: where their credentials come from, their history, their last status.

    \b
    Example:
        tracker accounts
        tracker accounts rename typo work --merge
        tracker accounts forget old-laptop --yes
    """
    if ctx.invoked_subcommand is not None:
        return
    from tracker import render
    from tracker.account_admin import list_accounts
    from tracker.timeutil import format_local

    with open_store(db, readonly=True) as store:
        found = list_accounts(store)
    if as_json:
        click.echo(render.to_json([a.as_dict() for a in found]))
    elif not found:
        click.echo("no accounts stored yet: run `tracker collect`")
    else:
        click.echo(render.table(
            ["account", "source", "first snapshot", "last snapshot", "snapshots", "last status"],
            [[a.name, a.source or "-", format_local(a.first_snapshot_at, tz), format_local(a.last_snapshot_at, tz),
              f"{a.snapshots:,}", a.last_status] for a in found], right={4}))


@accounts.command("rename")
@click.argument("old")
@click.argument("new")
@click.option("--merge", is_flag=True, help="NEW exists already: fold OLD's history into it.")
@db_option
def accounts_rename(old, new, merge, db) -> None:
    """Rename an account (its history follows), or merge it into another with --merge."""
    from tracker.account_admin import rename_account

    with open_store(db) as store:
        click.echo(rename_account(store, old, new, merge))


@accounts.command("forget")
@click.argument("names", nargs=-1, required=True)
@click.option("--yes", is_flag=True, help="Do not ask (required when not on a terminal).")
@db_option
def accounts_forget(names, yes, db) -> None:
    """Delete accounts and all their history, in one transaction. Auth files are never touched."""
    from tracker.account_admin import forget_accounts
    from tracker.errors import TrackerError

    if not yes:
        if not sys.stdin.isatty():
            raise TrackerError("refusing to delete history without --yes (not a terminal)", exit_code=2)
        click.confirm(f"Delete {', '.join(names)} and all their history?", abort=True)
    with open_store(db) as store:
        removed = forget_accounts(store, list(names))
    for name, count in removed.items():
        click.echo(f"forgot {name} ({count:,} snapshots)")


# -- prune -----------------------------------------------------------------------------------


@cli.command()
@click.option("--older-than", required=True, type=params.Duration(), metavar="DURATION",
              help="Work on snapshots older than this (e.g. 90d).")
@click.option("--downsample", type=params.Duration(), metavar="DURATION",
              help="Thin instead of delete: keep one snapshot per DURATION (e.g. 1h) and each window's last "
                   "snapshot before its reset.")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; change nothing.")
@db_option
def prune(older_than, downsample, dry_run, db) -> None:
    """Delete or thin old snapshots, in small batches that never hold up a running collect.

    \b
    Example:
        tracker prune --older-than 90d --downsample 1h --dry-run
    """
    from tracker import prune as pruning
    from tracker.timeutil import iso_utc

    cutoff = _now() - older_than
    with open_store(db) as store:
        summary = pruning.prune(store, cutoff, downsample, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} {summary.snapshots_removed} of {summary.snapshots_examined} snapshots older than "
               f"{iso_utc(cutoff)} ({summary.windows_removed} window values) for {summary.accounts} "
               f"accounts, kept {summary.snapshots_kept}; {verb} {summary.failures_removed} failures")


# -- schedule --------------------------------------------------------------------------------


@cli.group()
def schedule() -> None:
    """Run `tracker collect --quiet` on a schedule: systemd user timer, launchd agent or crontab."""


scheduler_option = click.option("--scheduler", type=click.Choice(["auto", "systemd", "cron", "launchd"]),
                                default="auto", show_default=True,
                                help="auto: launchd on macOS, systemd where it runs, cron otherwise.")


def _scheduler(name: str) -> str:
    from tracker.schedule import detect_scheduler

    return detect_scheduler() if name == "auto" else name


@schedule.command("install", context_settings={"ignore_unknown_options": True})
@click.option("--every", type=params.Duration(timedelta(minutes=1)), default="5m", show_default=True,
              metavar="DURATION")
@scheduler_option
@click.option("--print", "print_only", is_flag=True, help="Show what would be installed; change nothing.")
@click.argument("collect_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def schedule_install(ctx, every, scheduler, print_only, collect_args) -> None:
    """Install a per-user schedule for `tracker collect --quiet` with COLLECT_ARGS.

    The database is pinned with --db (and TRACKER_ACCOUNT_DIR, when set, with --account-dir) so
    that the schedule, which runs without your shell's environment, uses the same ones.

    \b
    Example:
        tracker schedule install --every 5m --account-dir ~/codex-accounts
        tracker schedule install --print
    """
    import os

    from tracker import schedule as sched
    from tracker.config import db_url, sqlite_path
    from tracker.timeutil import format_duration

    args = list(collect_args)
    try:  # the options must be ones `collect` accepts
        collect.make_context("collect", list(args), parent=ctx.parent, resilient_parsing=False)
    except click.UsageError as exc:
        raise click.UsageError(f"not a collect option: {exc.format_message()}") from None
    if "--db" not in args:
        url = db_url(None)
        args += ["--db", str(sqlite_path(url) or url)]
    if "--account-dir" not in args and os.environ.get("TRACKER_ACCOUNT_DIR"):
        args += ["--account-dir", os.environ["TRACKER_ACCOUNT_DIR"]]
    plan = sched.build_plan(_scheduler(scheduler), every, args)
    if print_only:
        click.echo(plan.describe())
        return
    for line in sched.install(plan):
        click.echo(line)
    click.echo(f"installed: {plan.scheduler}, every {format_duration(every)}: {' '.join(plan.command)}")


@schedule.command("status")
@scheduler_option
@db_option
def schedule_status(scheduler, db) -> None:
    """Show what is installed and when a collection last ran (from the database)."""
    from tracker import schedule as sched
    from tracker.timeutil import format_countdown, local_zone

    name = _scheduler(scheduler)
    found = sched.installed(name)
    click.echo(f"{name}: " + ("installed" if found else "nothing installed"))
    for item in found:
        click.echo(f"  {item}")
    with open_store(db, readonly=True) as store:
        last = store.last_activity()
    if last is None:
        click.echo("last collection: never")
    else:
        click.echo(f"last collection: {last.astimezone(local_zone()):%Y-%m-%d %H:%M} "
                   f"({format_countdown(last - _now())})")


@schedule.command("remove")
@scheduler_option
def schedule_remove(scheduler) -> None:
    """Remove exactly what `schedule install` installed."""
    from tracker import schedule as sched

    done = sched.remove(_scheduler(scheduler))
    for line in done or ["nothing to remove"]:
        click.echo(line)


# -- db --------------------------------------------------------------------------------------


@cli.group()
def db() -> None:
    """Where the database is, and upgrading it by hand (every command upgrades it anyway)."""


@db.command("path")
@db_option
def db_path(db: str | None) -> None:
    """Print where the database is."""
    from tracker.config import db_url, sqlite_path

    url = db_url(db)
    path = sqlite_path(url)
    if path is not None:
        click.echo(str(path))
    else:
        from sqlalchemy.engine import make_url

        click.echo(make_url(url).render_as_string(hide_password=True))


@db.command("upgrade")
@db_option
def db_upgrade(db: str | None) -> None:
    """Upgrade the database schema to the latest revision."""
    from tracker.config import db_url
    from tracker.db import current_revision, make_engine, upgrade

    engine = make_engine(db_url(db))
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    click.echo(f"database at revision {after}" + ("" if before == after else f" (was {before or 'empty'})"))

