"""The command line: parse options, call one function per command, print its result.

Kept thin and cheap to import: the tracker modules (and with them sqlalchemy, requests,
matplotlib) are imported inside the commands that need them, so ``tracker --help`` is instant.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click

from tracker import __version__

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class TrackerGroup(click.Group):
    """Turns the errors users can act on into one line on stderr and their exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        import os

        from tracker.errors import EXIT_INTERNAL, EXIT_SETUP, TrackerError

        try:
            return super().invoke(ctx)
        except TrackerError as exc:
            click.echo(f"tracker: {exc.message}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            message = _database_error(exc)
            if message is not None:
                click.echo(f"tracker: {message}", err=True)
                ctx.exit(EXIT_SETUP)
            if os.environ.get("TRACKER_DEBUG"):
                raise
            click.echo(f"tracker: internal error ({type(exc).__name__}: {str(exc)[:200]}); "
                       "rerun with TRACKER_DEBUG=1 for the traceback and please report it", err=True)
            ctx.exit(EXIT_INTERNAL)


def _database_error(exc: Exception) -> str | None:
    if "sqlalchemy" not in sys.modules:
        return None
    from sqlalchemy.exc import SQLAlchemyError

    if not isinstance(exc, SQLAlchemyError):
        return None
    detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    hint = ""
    if "readonly" in detail or "read-only" in detail or "unable to open" in detail:
        hint = " (check that the database file and its directory are writable, or pass --db)"
    return f"database error: {detail}{hint}"


def main() -> None:
    cli(prog_name="tracker")


def _now(at: datetime | None = None) -> datetime:
    return at or datetime.now(UTC)


def db_option(f: Callable) -> Callable:
    return click.option(
        "--db", "db", metavar="URL|PATH", envvar="TRACKER_DB",
        help="Database: a SQLAlchemy URL or a SQLite file path. [env TRACKER_DB; default: tracker.db "
             "in the user data directory, see `tracker db path`]",
    )(f)


def tz_option(f: Callable) -> Callable:
    return click.option("--tz", metavar="ZONE", help="Show times in this IANA zone (default: the local zone).")(f)


def _open_store(db: str | None):  # noqa: ANN202
    from tracker.config import db_url
    from tracker.store import Store

    return Store.open(db_url(db))


def _parse_when(value: str | None, now: datetime, tz_name: str | None = None) -> datetime | None:
    if value is None:
        return None
    from tracker.timeutil import get_zone, parse_when

    return parse_when(value, now, get_zone(tz_name) if tz_name else None)


@click.group(cls=TrackerGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="codex-usage-tracker")
def cli() -> None:
    """Keep the history of your ChatGPT Codex rate limits.

    \b
    tracker collect        store every account's usage now (run it from cron)
    tracker report         balance, burn rate and predicted exhaustion
    tracker chart          a week of consumption as a picture
    tracker history        the stored snapshots
    tracker import-sessions  backfill from Codex's own session logs
    tracker demo           try it all on a synthetic history, no account needed
    """


# -- collect ---------------------------------------------------------------------------------


@cli.command()
@click.argument("names", nargs=-1)
@click.option("--account-dir", "account_dirs", multiple=True, envvar="TRACKER_ACCOUNT_DIR", metavar="DIR",
              help="Read every <name>.auth.json in DIR. [env TRACKER_ACCOUNT_DIR]")
@click.option("--auth", "auth_files", multiple=True, metavar="[NAME=]FILE",
              help="An auth.json file (repeatable); x.auth.json is named x.")
@click.option("--codex-home", "codex_homes", multiple=True, metavar="[NAME=]DIR",
              help="A Codex home holding auth.json (repeatable); ~/.codex-work is named codex-work.")
@click.option("--url", envvar="TRACKER_USAGE_URL", metavar="URL",
              help="Usage endpoint (or a base URL). [env TRACKER_USAGE_URL]")
@click.option("--concurrency", default=16, show_default=True, type=click.IntRange(1, 256),
              help="Requests in flight at once.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(0.1, 600),
              help="Seconds to wait for each request.")
@click.option("--retries", default=2, show_default=True, type=click.IntRange(0, 10),
              help="Retries of 429, 5xx and network errors (with backoff).")
@db_option
@tz_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per account.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors (for cron).")
@click.option("--raw-json", is_flag=True, help="Print each response body (tokens removed).")
@click.option("--raw-headers", is_flag=True, help="Print each response's headers (tokens and cookies removed).")
@click.option("--every", metavar="DURATION",
              help="Keep running: collect at every slot (e.g. 5m) until SIGINT/SIGTERM.")
@click.option("--at", "at_text", hidden=True, help="Record the snapshots as taken at this time (tests, replays).")
def collect(names, account_dirs, auth_files, codex_homes, url, concurrency, timeout, retries, db, tz,
            as_json, quiet, raw_json, raw_headers, every, at_text) -> None:
    """Fetch and store the current usage of every account.

    With no options, reads the logged-in account from $CODEX_HOME/auth.json (~/.codex/auth.json).
    NAMES restricts the accounts. Exit code: 0 all ok, 1 auth problem, 2 network problem,
    3 HTTP problem or unparsed response (the highest over all accounts), 4 database problem.

    \b
    Example:
        tracker collect --account-dir ~/codex-accounts --quiet
    """
    from tracker import client, config, timeutil
    from tracker.collect import CollectSettings

    zone = timeutil.get_zone(tz)
    fixed = _parse_when(at_text, _now()) if at_text else None
    settings = CollectSettings(
        endpoint=client.usage_url(url or config.DEFAULT_USAGE_URL), account_dirs=tuple(account_dirs),
        auth_files=auth_files, codex_homes=codex_homes, names=names, concurrency=concurrency,
        timeout=timeout, retries=retries, clock=(lambda: fixed) if fixed else (lambda: datetime.now(UTC)),
    )
    output = {"zone": zone, "as_json": as_json, "quiet": quiet, "raw_json": raw_json, "raw_headers": raw_headers}
    if every is None:
        sys.exit(_collect_once(db, settings, output))
    from tracker.errors import TrackerError
    from tracker.loop import StopFlag, run_every

    def once(stop: StopFlag) -> int:
        try:
            return _collect_once(db, settings, output, stop)
        except TrackerError as exc:  # e.g. no account yet, database busy: report and keep going
            click.echo(f"tracker: {exc.message}", err=True)
            return exc.exit_code

    stop = StopFlag()
    stop.install()
    sys.exit(run_every(timeutil.parse_duration(every), once, stop))


def _collect_once(db, settings, output: dict, stop=None) -> int:  # noqa: ANN001
    """Run one collection and print it; returns the exit code (the highest over accounts)."""
    from tracker import config
    from tracker.collect import run_collection

    results = run_collection(settings, lambda: _open_store(db), config.codex_home(), stop)
    for result in results:
        if not output["quiet"]:
            for warning in result.warnings:
                click.echo(f"tracker: warning: {warning}", err=True)
        if result.status != "ok":
            click.echo(f"tracker: {result.account}: {result.status}: {result.error}", err=True)
    if output["raw_json"] or output["raw_headers"]:
        _print_raw(results, output["raw_json"], output["raw_headers"])
    elif output["as_json"]:
        from tracker.render import to_json

        click.echo(to_json([_result_json(r) for r in results]))
    elif not output["quiet"]:
        click.echo(_collect_table(results, output["zone"], settings.clock()))
    return max((r.exit_code for r in results), default=0)


def _print_raw(results, bodies: bool, headers: bool) -> None:  # noqa: ANN001
    for result in results:
        click.echo(f"# {result.account}: {result.status}" + (f" (HTTP {result.http_status})" if result.http_status else ""))
        if headers:
            for key, value in result.raw_headers.items():
                click.echo(f"{key}: {value}")
        if bodies and result.raw_body is not None:
            click.echo(result.raw_body.decode("utf-8", "replace"))


def _window_json(window) -> dict:  # noqa: ANN001
    from tracker.timeutil import iso_utc

    return {
        "limit": window.limit,
        "kind": window.kind,
        "window_seconds": window.window_seconds,
        "used_percent": window.used_percent,
        "remaining_percent": window.remaining_percent,
        "reset_at": iso_utc(window.reset_at),
    }


def _result_json(result) -> dict:  # noqa: ANN001
    return {
        "account": result.account,
        "status": result.status,
        "error": result.error,
        "http_status": result.http_status,
        "plan": result.plan,
        "windows": [_window_json(w) for w in result.windows],
    }


def _collect_table(results, zone, now: datetime) -> str:  # noqa: ANN001
    from tracker.render import percent, table
    from tracker.timeutil import format_countdown, format_local

    def cells(result, kind: str) -> list[str]:  # noqa: ANN001
        for w in result.windows:
            if w.limit == "codex" and w.kind == kind:
                resets = "-"
                if w.reset_at:
                    resets = f"{format_local(w.reset_at, zone, now)} ({format_countdown(w.reset_at - now)})"
                return [percent(w.remaining_percent), resets]
        return ["-", "-"]

    rows = [
        [r.account, r.plan or "-", *cells(r, "five_hour"), *cells(r, "weekly"), r.status]
        for r in results
    ]
    return table(["account", "plan", "5h left%", "5h resets", "weekly left%", "weekly resets", "status"],
                 rows, right={2, 4})


# -- report ----------------------------------------------------------------------------------


@cli.command()
@click.argument("names", nargs=-1)
@click.option("--at", "at_text", metavar="WHEN", help="Evaluate as of a past moment (ISO time or a duration ago).")
@click.option("--lookback", default="1h", show_default=True, metavar="DURATION",
              help="How far back the burn rate looks (within the current window).")
@click.option("--stale-after", default="30m", show_default=True, metavar="DURATION",
              help="A last snapshot older than this is stale.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "prometheus"]), default="table",
              show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (atomically), e.g. for node_exporter.")
@db_option
@tz_option
def report(names, at_text, lookback, stale_after, fmt, as_json, output, db, tz) -> None:
    """Balance, burn rate and predicted exhaustion of every window, from the history alone.

    \b
    Example:
        tracker report --tz Europe/Paris
        tracker report work --json --at 2026-11-20T10:00
    """
    from tracker import exports, render
    from tracker.report import report_json, report_table

    result, zone = _build_report(names, at_text, lookback, stale_after, db, tz)
    fmt = "json" if as_json else fmt
    if fmt == "json":
        text = render.to_json(report_json(result)) + "\n"
    elif fmt == "prometheus":
        text = exports.prometheus_text(result)
    else:
        text = report_table(result, zone) + "\n"
    _emit(text, output)


def _build_report(names, at_text, lookback, stale_after, db, tz, with_paths=False):  # noqa: ANN001, ANN202
    """The report (and the zone to show it in); with_paths: also each account's auth file."""
    from tracker import timeutil
    from tracker.report import build_report

    zone = timeutil.get_zone(tz)
    at = _parse_when(at_text, _now(), tz) if at_text else _now()
    store = _open_store(db)
    try:
        result = build_report(store, tuple(names), at, timeutil.parse_duration(lookback),
                              timeutil.parse_duration(stale_after))
        return (result, zone, store.account_paths()) if with_paths else (result, zone)
    finally:
        store.close()


KIND_CHOICE = click.Choice(["five_hour", "weekly", "all"])


def _kinds(kind: str) -> tuple[str, ...]:
    return () if kind == "all" else (kind,)


@cli.command()
@click.argument("names", nargs=-1)
@click.option("--min-remaining", type=click.FloatRange(0, 100), default=10, show_default=True, metavar="PCT",
              help="A window with less left than this is a problem.")
@click.option("--kind", type=KIND_CHOICE, default="all", show_default=True)
@click.option("--before-reset", is_flag=True, help="Also a problem: predicted to run out before its reset.")
@click.option("--stale-after", default="30m", show_default=True, metavar="DURATION")
@click.option("--lookback", default="1h", show_default=True, metavar="DURATION")
@click.option("--at", "at_text", metavar="WHEN", help="Evaluate as of a past moment.")
@db_option
@tz_option
def check(names, min_remaining, kind, before_reset, stale_after, lookback, at_text, db, tz) -> None:
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
        result, zone = _build_report(names, at_text, lookback, stale_after, db, tz)
    except NoDataError as exc:
        click.echo(exc.message)
        sys.exit(EXIT_STALE)
    outcome = check_report(result, _kinds(kind), min_remaining, before_reset, zone)
    for problem in outcome.problems:
        click.echo(problem)
    sys.exit(outcome.exit_code)


@cli.command()
@click.option("--kind", type=KIND_CHOICE, default="all", show_default=True)
@click.option("--path", "with_path", is_flag=True, help="Also print its auth file (or Codex home), tab-separated.")
@click.option("--stale-after", default="30m", show_default=True, metavar="DURATION")
@click.option("--at", "at_text", metavar="WHEN", help="Evaluate as of a past moment.")
@db_option
def pick(kind, with_path, stale_after, at_text, db) -> None:
    """Print the account with the most headroom now (the highest smallest-remaining %).

    Stale accounts are ignored; exit 1 when no account has anything left.

    \b
    Example:
        CODEX_HOME=$(dirname "$(tracker pick --path | cut -f2)") codex
    """
    from tracker.alerts import pick_account
    from tracker.errors import NoDataError

    result, _, paths = _build_report((), at_text, "1h", stale_after, db, None, with_paths=True)
    best = pick_account(result, _kinds(kind))
    if best is None:
        raise NoDataError("no fresh account has anything left")
    click.echo(f"{best[0]}\t{paths.get(best[0]) or ''}" if with_path else best[0])


# -- chart and demo --------------------------------------------------------------------------


def _size(width: float | None, height: float | None, size: str | None) -> tuple[float, float] | None:
    if size:
        try:
            w, h = (float(v) for v in size.lower().split("x"))
        except ValueError:
            raise click.BadParameter("use WIDTHxHEIGHT in inches, e.g. 14x9", param_hint="--size") from None
        return w, h
    if width or height:
        return width or 12.0, height or 8.0
    return None


def _write_chart(store, names, since, until, kinds, tz_name, now, out, title, size):  # noqa: ANN001, ANN202
    from pathlib import Path

    from tracker import charts, timeutil
    from tracker.chartdata import build_chart_data

    path = Path(out)
    charts.output_format(path)  # refuse a bad extension before any work
    zone = timeutil.get_zone(tz_name)
    data = build_chart_data(store, tuple(names), since, until, kinds, zone, timeutil.zone_name(zone), now)
    if title:
        data.title = title
    return charts.save(charts.draw(data, size), path)


@cli.command()
@click.argument("names", nargs=-1)
@click.option("--days", type=click.FloatRange(0.01), default=7, show_default=True, help="The period: the last N days.")
@click.option("--since", metavar="WHEN", help="Start of the period (ISO time or a duration ago); overrides --days.")
@click.option("--until", metavar="WHEN", help="End of the period (default: now).")
@click.option("--kind", type=click.Choice(["five_hour", "weekly", "all"]), default="all", show_default=True)
@click.option("-o", "--output", metavar="FILE", help="PNG, SVG or PDF, by extension. [default: tracker-usage-DATE.png]")
@click.option("--title", help="Chart title.")
@click.option("--width", type=click.FloatRange(2, 100), help="Width in inches.")
@click.option("--height", type=click.FloatRange(2, 100), help="Height in inches.")
@click.option("--size", metavar="WxH", help="Width and height in inches, e.g. 14x9.")
@db_option
@tz_option
def chart(names, days, since, until, kind, output, title, width, height, size, db, tz) -> None:
    """Draw a week of consumption: windows filling and resetting, projections, use per day.

    \b
    Example:
        tracker chart --days 7 -o week.png
        tracker chart work home --kind weekly --since 2026-11-01 -o nov.svg
    """
    from datetime import timedelta

    now = _now()
    until_at = _parse_when(until, now, tz) or now
    since_at = _parse_when(since, now, tz) if since else until_at - timedelta(days=days)
    if since_at >= until_at:
        raise click.BadParameter("the period is empty: --since must be before --until")
    kinds = ("five_hour", "weekly") if kind == "all" else (kind,)
    out = output or f"tracker-usage-{now:%Y-%m-%d}.png"
    store = _open_store(db)
    try:
        path = _write_chart(store, names, since_at, until_at, kinds, tz, now, out, title,
                            _size(width, height, size))
    finally:
        store.close()
    click.echo(str(path))


@cli.command()
@click.option("--db", "db", metavar="PATH", help="Fill this database (default: a throwaway one in a temporary directory).")
@click.option("--accounts", type=click.IntRange(1, 500), default=3, show_default=True)
@click.option("--days", type=click.FloatRange(0.1, 800), default=7, show_default=True)
@click.option("--interval", default="5m", show_default=True, metavar="DURATION", help="Time between snapshots.")
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
    import tempfile
    from datetime import timedelta
    from pathlib import Path

    from tracker import charts, timeutil
    from tracker.demo import fill_demo
    from tracker.errors import TrackerError
    from tracker.report import build_report, report_table

    charts.output_format(Path(output))
    step = timeutil.parse_duration(interval)
    if step < timedelta(seconds=10):
        raise click.BadParameter("use an interval of at least 10s", param_hint="--interval")
    zone = timeutil.get_zone(tz)
    now = _now()
    end = now - timedelta(seconds=now.timestamp() % step.total_seconds())
    with tempfile.TemporaryDirectory(prefix="tracker-demo-") as tmp:
        from tracker.config import db_url

        url = db_url(db or str(Path(tmp) / "demo.db"))
        store = _open_store(url)
        try:
            existing = store.snapshot_count()
            if existing:
                raise TrackerError(f"{db} already holds {existing} snapshots: the demo fills only a new or "
                                   "empty database (leave out --db for a throwaway one)", exit_code=2)
            summary = fill_demo(store, accounts=accounts, days=days, interval=step, seed=seed, end=end, tz=zone)
            click.echo(f"demo: {summary.snapshots} snapshots and {summary.failures} failed collections "
                       f"for {len(summary.accounts)} accounts over {days:g} days"
                       + (f" in {db}" if db else " (throwaway database)"), err=True)
            report = build_report(store, (), now, timedelta(hours=1), timedelta(minutes=30))
            click.echo(report_table(report, zone))
            click.echo()
            path = _write_chart(store, (), now - timedelta(days=min(days, 7)), now, ("five_hour", "weekly"),
                                tz, now, output, f"Codex usage (demo, {accounts} accounts)", None)
        finally:
            store.close()
    click.echo(f"chart: {path}")


# -- import-sessions -------------------------------------------------------------------------


class _LazyProgressBar:
    """A progress bar on a terminal, shown only once the work has taken a couple of seconds."""

    def __init__(self, delay: float = 2.0, clock: Callable[[], float] | None = None,
                 enabled: bool | None = None) -> None:
        import time

        self.clock = clock or time.monotonic
        self.started = self.clock()
        self.delay, self.total, self.done, self.bar = delay, 0, 0, None
        self.enabled = sys.stderr.isatty() if enabled is None else enabled

    def plan(self, total: int) -> None:
        self.total = total

    def advance(self, amount: int) -> None:
        self.done += amount
        if self.bar is None and self.enabled and self.clock() - self.started > self.delay:
            self.bar = click.progressbar(length=max(1, self.total), label="importing", file=sys.stderr)
            self.bar.__enter__()
            self.bar.update(self.done)
        elif self.bar is not None:
            self.bar.update(amount)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@cli.command("import-sessions")
@click.option("--codex-home", "codex_homes", multiple=True, metavar="[NAME=]DIR",
              help="A Codex home to read (repeatable). [default: $CODEX_HOME or ~/.codex]")
@click.option("--account", metavar="NAME", help="Store everything under this account name.")
@click.option("--since", metavar="WHEN", help="Only events from this time on (ISO time or a duration ago).")
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
    from pathlib import Path

    from tracker import accounts, config, render
    from tracker.errors import NoAccountsError
    from tracker.sessions import import_sessions

    homes = []
    for value in codex_homes or (str(config.codex_home()),):
        name, raw = accounts.split_named(value)
        path = Path(raw).expanduser()
        if not path.is_dir():
            raise NoAccountsError(f"no Codex home at {path} (pass --codex-home DIR)")
        default = "default" if not codex_homes else accounts.name_for_codex_home(path)
        homes.append((account or name or default, path))
    since_at = _parse_when(since, _now())
    bar = _LazyProgressBar()
    store = _open_store(db)
    try:
        summary = import_sessions(store, homes, since_at, on_plan=bar.plan, on_bytes=bar.advance)
    finally:
        bar.close()
        store.close()
    if as_json:
        click.echo(render.to_json(summary.as_dict()))
        return
    skipped = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in sorted(summary.skipped.items()))
    click.echo(f"{summary.files} files ({summary.files_read} with new lines), {summary.lines} lines read, "
               f"{summary.token_count_events} token_count events: {summary.imported} snapshots imported, "
               f"{summary.duplicates} duplicates skipped" + (f"; skipped: {skipped}" if skipped else ""))


# -- history ---------------------------------------------------------------------------------


@cli.command()
@click.argument("names", nargs=-1)
@click.option("--since", metavar="WHEN", help="ISO date/time or a duration ago (7d, 12h).")
@click.option("--until", metavar="WHEN", help="ISO date/time or a duration ago.")
@click.option("--limit", type=click.IntRange(1), help="At most N rows (table default: the latest 50).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--errors", is_flag=True, help="List failed collections instead of snapshots.")
@db_option
@tz_option
def history(names, since, until, limit, fmt, errors, db, tz) -> None:
    """List stored snapshots, one row per snapshot and window.

    The table shows the newest first (the latest 50 unless --limit says otherwise); json and csv
    list the oldest first, with no limit by default.

    \b
    Example:
        tracker history work --since 7d --format csv > work.csv
    """
    from tracker import exports, render, timeutil

    now = _now()
    zone = timeutil.get_zone(tz)
    since_at, until_at = _parse_when(since, now, tz), _parse_when(until, now, tz)
    if limit is None and fmt == "table":
        limit = 50
    rows_of = exports.failure_rows if errors else exports.snapshot_rows
    store = _open_store(db)
    try:
        headers, rows = rows_of(store, names, since_at, until_at, limit, fmt == "table")
    finally:
        store.close()
    if fmt != "table":
        click.echo(exports.format_rows(headers, rows, fmt), nl=False)
    elif not rows:
        click.echo("no failures stored" if errors else "no snapshots stored yet: run `tracker collect`")
    else:
        shown = [[timeutil.format_local(c, zone) if h in exports.TIME_COLUMNS and c else
                  render.percent(c) if isinstance(c, float) else c for h, c in zip(headers, row, strict=True)]
                 for row in rows]
        click.echo(render.table(headers, shown))


@cli.command()
@click.argument("names", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "ndjson", "prometheus"]), default="csv",
              show_default=True)
@click.option("--since", metavar="WHEN", help="ISO date/time or a duration ago (7d, 12h).")
@click.option("--until", metavar="WHEN", help="ISO date/time or a duration ago.")
@click.option("--errors", is_flag=True, help="Export failed collections instead of snapshots.")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (atomically) instead of stdout.")
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
    store = _open_store(db)
    try:
        if fmt == "prometheus":
            from datetime import timedelta

            from tracker.report import build_report

            text = exports.prometheus_text(build_report(store, tuple(names), now, timedelta(hours=1),
                                                        timedelta(minutes=30)))
        else:
            rows_of = exports.failure_rows if errors else exports.snapshot_rows
            headers, rows = rows_of(store, names, _parse_when(since, now), _parse_when(until, now), None, False)
            text = exports.format_rows(headers, rows, fmt)
    finally:
        store.close()
    _emit(text, output)


def _emit(text: str, output: str | None) -> None:
    if output:
        from pathlib import Path

        from tracker.exports import write_atomic

        write_atomic(Path(output), text)
    else:
        click.echo(text, nl=False)


# -- prune -----------------------------------------------------------------------------------


@cli.command()
@click.option("--older-than", required=True, metavar="DURATION", help="Work on snapshots older than this (e.g. 90d).")
@click.option("--downsample", metavar="DURATION",
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
    from tracker import timeutil

    cutoff = _now() - timeutil.parse_duration(older_than)
    bucket = timeutil.parse_duration(downsample) if downsample else None
    store = _open_store(db)
    try:
        summary = pruning.prune(store, cutoff, bucket, dry_run=dry_run)
    finally:
        store.close()
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} {summary.snapshots_removed} of {summary.snapshots_examined} snapshots older than "
               f"{timeutil.iso_utc(cutoff)} ({summary.windows_removed} window values) for {summary.accounts} "
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
@click.option("--every", default="5m", show_default=True, metavar="DURATION")
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
    from tracker import timeutil
    from tracker.config import db_url, sqlite_path

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
    plan = sched.build_plan(_scheduler(scheduler), timeutil.parse_duration(every), args)
    if print_only:
        click.echo(plan.describe())
        return
    for line in sched.install(plan):
        click.echo(line)
    click.echo(f"installed: {plan.scheduler}, every {every}: {' '.join(plan.command)}")


@schedule.command("status")
@scheduler_option
@db_option
def schedule_status(scheduler, db) -> None:
    """Show what is installed and when a collection last ran (from the database)."""
    from tracker import schedule as sched
    from tracker.timeutil import format_countdown, get_zone

    name = _scheduler(scheduler)
    found = sched.installed(name)
    click.echo(f"{name}: " + ("installed" if found else "nothing installed"))
    for item in found:
        click.echo(f"  {item}")
    store = _open_store(db)
    try:
        last = store.last_activity()
    finally:
        store.close()
    if last is None:
        click.echo("last collection: never")
    else:
        now = _now()
        click.echo(f"last collection: {last.astimezone(get_zone(None)):%Y-%m-%d %H:%M} ({format_countdown(last - now)})")


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


# -- serve -------------------------------------------------------------------------------------


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs --allow-remote and a token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--open", "open_browser", is_flag=True, help="Open the dashboard in the default browser.")
@click.option("--allow-remote", is_flag=True, help="Allow a non-loopback --host (a token is then required).")
@click.option("--token", envvar="TRACKER_SERVE_TOKEN", metavar="SECRET",
              help="Require this secret on every request (Basic auth password or Bearer). [env TRACKER_SERVE_TOKEN]")
@click.option("--refresh", default="30s", show_default=True, metavar="DURATION", help="How often the page polls.")
@click.option("--lookback", default="1h", show_default=True, metavar="DURATION", help="As for `report`.")
@click.option("--stale-after", default="30m", show_default=True, metavar="DURATION", help="As for `report`.")
@db_option
def serve(host, port, open_browser, allow_remote, token, refresh, lookback, stale_after, db) -> None:
    """A local, read-only web dashboard of every account (needs the web extra).

    One page: a card per account (windows, reset countdowns, burn, projection, badges, the last
    error), an interactive week chart and the use per day; it refreshes itself while `collect`
    runs. JSON for scripts: /api/report (as `report --json`), /api/series, /api/daily, /api/healthz.

    \b
    Example:
        pip install 'codex-usage-tracker[web]'
        tracker serve --open
        TRACKER_SERVE_TOKEN=... tracker serve --host 0.0.0.0 --allow-remote
    """
    from tracker import timeutil
    from tracker.config import db_url
    from tracker.web.payloads import Figures
    from tracker.web.server import ServeOptions, serve_forever

    options = ServeOptions(
        db_url=db_url(db), host=host, port=port, token=token or None, allow_remote=allow_remote,
        refresh_seconds=max(1.0, timeutil.parse_duration(refresh).total_seconds()),
        figures=Figures(timeutil.parse_duration(lookback), timeutil.parse_duration(stale_after)),
    )
    serve_forever(options, announce=lambda line: click.echo(line, err=True), open_browser=open_browser)
