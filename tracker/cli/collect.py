"""``tracker collect``: options in, one collection (or one per slot with --every) out."""

from __future__ import annotations

import sys
from datetime import timedelta

import click

from tracker.cli import params
from tracker.cli.common import resolve, utcnow
from tracker.cli.options import (
    db_option,
    names_argument,
    notify_options,
    source_options,
    terminal,
    terminal_options,
    tz_option,
)

# -- collect ---------------------------------------------------------------------------------


def collect_settings(db: str | None, names, account_dirs, auth_files, codex_homes, url, clock, *,
                     concurrency: int = 64, timeout: float = 30.0, retries: int = 2):
    """The settings of one collection (``collect.run.CollectSettings``); an in-memory database is
    refused before any request goes out."""
    from tracker import config
    from tracker.collect import urls
    from tracker.collect.run import CollectSettings
    from tracker.errors import StorageError

    if config.is_memory_sqlite(config.db_url(db)):
        raise StorageError("an in-memory database keeps nothing: pass --db with a file or a URL")
    return CollectSettings(
        endpoint=urls.usage_url(url or config.DEFAULT_USAGE_URL), account_dirs=tuple(account_dirs),
        auth_files=auth_files, codex_homes=codex_homes, names=names, concurrency=concurrency,
        timeout=timeout, retries=retries, clock=clock, endpoint_fixed=bool(url),
    )


@click.command()
@names_argument
@source_options
@click.option("--concurrency", default=64, show_default=True, type=click.IntRange(1, 256),
              help="Requests in flight at once (up to 64 accounts go out in one round trip).")
@click.option("--timeout", default="30s", show_default=True, metavar="DURATION",
              type=params.Duration(timedelta(milliseconds=100), timedelta(minutes=10), bare_seconds=True),
              help="How long to wait for each request (30s, 2m; a plain number is seconds).")
@click.option("--retries", default=2, show_default=True, type=click.IntRange(0, 10),
              help="Retries of 429, 5xx and network errors (with backoff).")
@db_option
@tz_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per account.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors (for cron).")
@terminal_options
@click.option("--raw-json", is_flag=True, help="Print each response body (tokens removed).")
@click.option("--raw-headers", is_flag=True, help="Print each response's headers (tokens and cookies removed).")
@click.option("--every", type=params.Duration(timedelta(seconds=10)), metavar="DURATION",
              help="Keep running: collect at every slot (e.g. 5m) until SIGINT/SIGTERM.")
@click.option("--at", "at", type=params.When(), hidden=True,
              help="Record the snapshots as taken at this time (tests, replays).")
@click.option("--notify", "notify", is_flag=True,
              help="After storing, run the notification rules (see `tracker notify`; implied by a channel).")
@notify_options
def collect(names, account_dirs, auth_files, codex_homes, url, concurrency, timeout, retries, db, tz,
            as_json, quiet, width, colour, raw_json, raw_headers, every, at, notify, **notify_settings) -> None:
    """Fetch and store the current usage of every account.

    With no options, reads the logged-in account from $CODEX_HOME/auth.json (~/.codex/auth.json).
    NAMES restricts the accounts. Exit code: 0 all ok, 1 auth problem, 2 network problem,
    3 HTTP problem or unparsed response (the highest over all accounts), 4 database problem.
    With --notify (or a channel: --desktop, --webhook, --exec) the rules of `tracker notify` run
    right after storing, once per episode.

    \b
    Example:
        tracker collect --account-dir ~/codex-accounts --quiet
        tracker collect --quiet --below 15 --before-reset --desktop
    """
    from tracker.cli.notify import CHANNEL_KEYS, configured
    from tracker.cli.options import configured_sources, from_config

    account_dirs, auth_files, codex_homes = configured_sources(account_dirs, auth_files, codex_homes)
    source = click.get_current_context().get_parameter_source
    explicit = [n for n in CHANNEL_KEYS if notify_settings[n] and source(n).name in ("COMMANDLINE", "ENVIRONMENT")]
    notify = from_config({"notify": notify}, ("notify",))["notify"]  # [notify] after_collect
    notify_settings = configured(notify_settings)
    fixed = resolve(at, utcnow(), tz)
    settings = collect_settings(db, names, account_dirs, auth_files, codex_homes, url,
                                (lambda: fixed) if fixed else utcnow, concurrency=concurrency,
                                timeout=timeout.total_seconds(), retries=retries)
    wants_notify = notify or bool(explicit)  # channels from the config file alone do not make collect notify
    output = {"zone": tz, "term": terminal(width, colour), "as_json": as_json, "quiet": quiet, "raw_json": raw_json, "raw_headers": raw_headers,
              "notify": notify_settings if wants_notify else None}
    if every is None:
        sys.exit(_collect_once(db, settings, output))
    from tracker.collect.loop import StopFlag, run_every
    from tracker.errors import TrackerError

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


def _collect_once(db: str | None, settings, output: dict, stop=None) -> int:
    """Run one collection and print it; returns the exit code (the highest over accounts)."""
    from tracker import config
    from tracker.collect.run import run_collection
    from tracker.config import db_url
    from tracker.storage.store import Store
    from tracker.views import collect_output

    skipped: list[str] = []
    try:
        results = run_collection(settings, lambda: Store.open(db_url(db)), config.codex_home(), stop, skipped)
    finally:  # before the error when no account is left (exit 1), else before the accounts' lines
        for line in [] if output["quiet"] else skipped:
            click.echo(f"tracker: warning: {line}", err=True)
    for line in collect_output.problem_lines(results, output["quiet"]):
        click.echo(f"tracker: {line}", err=True)
    kept = _keep_usual_weeks(db, [r.account for r in results if r.status == "ok"], settings.clock(), output["zone"])
    if kept and not output["quiet"]:
        click.echo(f"tracker: {kept}", err=True)
    if output["raw_json"] or output["raw_headers"]:
        click.echo(collect_output.raw_text(results, output["raw_json"], output["raw_headers"]))
    elif output["as_json"]:
        click.echo(collect_output.results_json(results))
    elif not output["quiet"]:
        click.echo(collect_output.results_table(results, output["zone"], settings.clock(), output["term"]),
                   color=output["term"].colour)
    code = max((r.exit_code for r in results), default=0)
    if output["notify"] is not None and results:
        from tracker.cli.notify import run_rules

        code = max(code, run_rules(db, settings.names, settings.clock(), output["zone"], output["notify"],
                                   quiet=output["quiet"] or output["as_json"]))
    return code


def _keep_usual_weeks(db: str | None, names: list[str], at, zone) -> str | None:
    """Learn again the usual week of the accounts just stored where the kept one no longer matches
    (a new window, other readings), so that reports read it back instead of learning it.

    Best effort: the snapshots are stored by now, and a kept week only saves a report some
    milliseconds (a report learns it when it is missing or stale). A failure here (the database
    busy past its timeout, a full disk) is a warning line, returned, never the collection's exit."""
    if not names:
        return None
    from tracker.config import db_url
    from tracker.insight.profile import keep_usual_weeks
    from tracker.render import printable
    from tracker.storage.store import Store

    try:
        with Store.open(db_url(db)) as store:
            keep_usual_weeks(store, at, zone, names)
    except Exception as exc:  # noqa: BLE001 - any failure of an optional cache: said, not fatal
        cause = getattr(exc, "orig", None) or exc  # a database error's own words, without the SQL
        first = (str(getattr(cause, "message", "") or cause).splitlines() or [type(cause).__name__])[0][:200]
        return printable(f"warning: usual weeks not kept (reports learn them again): {first}")
    return None
