"""Operations: ``prune``, ``schedule`` and ``db``."""

from __future__ import annotations

from datetime import timedelta

import click

from tracker.cli import params
from tracker.cli.common import utcnow
from tracker.cli.options import db_option, open_store

# -- prune -----------------------------------------------------------------------------------


@click.command()
@click.option("--older-than", required=True, type=params.Duration(), metavar="DURATION",
              help="Work on snapshots older than this (e.g. 90d).")
@click.option("--downsample", type=params.Duration(), metavar="DURATION",
              help="Thin instead of delete: keep one snapshot per DURATION (e.g. 1h) and, per window, the "
                   "readings its answers rest on (first, last, peak, first at 100 %, around every reset).")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; change nothing.")
@db_option
def prune(older_than, downsample, dry_run, db) -> None:
    """Delete or thin old snapshots, in small batches that never hold up a running collect.

    \b
    Example:
        tracker prune --older-than 90d --downsample 1h --dry-run
    """
    from tracker.insight import retention as pruning
    from tracker.timeutil import iso_utc

    cutoff = utcnow() - older_than
    with open_store(db) as store:
        summary = pruning.prune(store, cutoff, downsample, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} {summary.snapshots_removed} of {summary.snapshots_examined} snapshots older than "
               f"{iso_utc(cutoff)} ({summary.windows_removed} window values) for {summary.accounts} "
               f"accounts, kept {summary.snapshots_kept}; {verb} {summary.failures_removed} failures")


# -- schedule --------------------------------------------------------------------------------


@click.group()
def schedule() -> None:
    """Run `tracker collect --quiet` on a schedule: systemd user timer, launchd agent or crontab."""


scheduler_option = click.option("--scheduler", type=click.Choice(["auto", "systemd", "cron", "launchd"]),
                                default="auto", show_default=True,
                                help="auto: launchd on macOS, systemd where it runs, cron otherwise.")


def _scheduler(name: str) -> str:
    from tracker.cli.schedule import detect_scheduler

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

    The schedule runs without your shell's environment: the database and every setting the run
    depends on (CODEX_HOME, TRACKER_HOME, TRACKER_DB, TRACKER_ACCOUNT_DIR, TRACKER_USAGE_URL,
    TRACKER_NOTIFY_*) are pinned in a 0600 file it reads, with --db and --webhook values (secrets),
    and TRACKER_CONFIG: the scheduled runs read the config file this shell reads, as it is then.

    \b
    Example:
        tracker schedule install --every 5m --account-dir ~/codex-accounts
        tracker schedule install --print
    """
    import os

    from tracker.cli import schedule as sched
    from tracker.cli.collect import collect
    from tracker.config import config_file, db_url, sqlite_path
    from tracker.errors import TrackerError
    from tracker.settings import load
    from tracker.timeutil import format_duration

    args = list(collect_args)
    try:  # the options must be ones `collect` accepts
        checked = collect.make_context("collect", list(args), parent=ctx.parent, resilient_parsing=False)
    except click.UsageError as exc:
        raise click.UsageError(f"not a collect option: {exc.format_message()}") from None
    if checked.params.get("url"):  # an unsafe URL would fail every scheduled run: refuse it now
        from tracker.collect.urls import usage_url

        usage_url(checked.params["url"])
    environment = sched.pinned_environment(dict(os.environ))
    args, moved = _take_out(args, ("--db", "--webhook"))  # secrets live in the 0600 file, not in argv
    if moved["--webhook"]:  # likewise a webhook every run would refuse (plain http elsewhere, unparsable)
        from tracker.notify.channels import webhook_channel

        for url in moved["--webhook"]:
            webhook_channel(url)
    if moved["--db"]:
        environment["TRACKER_DB"] = sched.pinned_environment({"TRACKER_DB": moved["--db"][-1]})["TRACKER_DB"]
    if moved["--webhook"]:
        environment["TRACKER_NOTIFY_WEBHOOK"] = " ".join(moved["--webhook"])
    environment["TRACKER_CONFIG"] = config_file()  # the file this shell reads, whatever cron's HOME and XDG say
    if "TRACKER_DB" not in environment and not load().database:  # the database this shell would use
        url = db_url(None)
        environment["TRACKER_DB"] = str(sqlite_path(url) or url)
    try:
        name = _scheduler(scheduler)
    except TrackerError:
        if not print_only:
            raise
        name = sched.platform_scheduler()  # show what this kind of system would get
    plan = sched.build_plan(name, every, args, environment)
    if print_only:
        click.echo(plan.describe())
        return
    for line in sched.install(plan):
        click.echo(line)
    click.echo(sched.mask_secrets(f"installed: {plan.scheduler}, every {format_duration(every)}: "
                                  f"{' '.join(plan.command)}", plan.environment))


def _take_out(args: list[str], options: tuple[str, ...]) -> tuple[list[str], dict[str, list[str]]]:
    """``args`` without the given options, in either click spelling (``--db X``, ``--db=X``), and
    their values: the schedule pins them in its environment instead (never twice, never in argv)."""
    kept, taken = [], {option: [] for option in options}
    pending = None
    for arg in args:
        if pending:
            taken[pending].append(arg)
            pending = None
        elif arg in options:
            pending = arg
        elif arg.partition("=")[0] in options and "=" in arg:
            option, _, value = arg.partition("=")
            taken[option].append(value)
        else:
            kept.append(arg)
    return kept, taken


@schedule.command("status")
@scheduler_option
@db_option
def schedule_status(scheduler, db) -> None:
    """Show what is installed and when a collection last ran (from the database)."""
    from tracker.cli import schedule as sched
    from tracker.timeutil import format_countdown, local_zone

    name = _scheduler(scheduler)
    found = sched.installed(name)
    click.echo(f"{name}: " + ("installed" if found else "nothing installed"))
    for item in found:
        click.echo(f"  {item}")
    from tracker.errors import NoDataError

    try:
        with open_store(db, readonly=True) as store:
            last = store.last_activity()
    except NoDataError:  # no database yet: nothing has run
        last = None
    if last is None:
        click.echo("last collection: never")
    else:
        click.echo(f"last collection: {last.astimezone(local_zone()):%Y-%m-%d %H:%M} "
                   f"({format_countdown(last - utcnow())})")


@schedule.command("remove")
@scheduler_option
def schedule_remove(scheduler) -> None:
    """Remove exactly what `schedule install` installed."""
    from tracker.cli import schedule as sched

    done = sched.remove(_scheduler(scheduler))
    for line in done or ["nothing to remove"]:
        click.echo(line)


# -- db --------------------------------------------------------------------------------------


@click.group()
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
        from tracker.config import display_url

        click.echo(display_url(url))


@db.command("upgrade")
@db_option
def db_upgrade(db: str | None) -> None:
    """Upgrade the database schema to the latest revision."""
    from tracker.config import db_url
    from tracker.storage.db import current_revision, make_engine, upgrade

    engine = make_engine(db_url(db))
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    click.echo(f"database at revision {after}" + ("" if before == after else f" (was {before or 'empty'})"))
