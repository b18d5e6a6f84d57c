"""``tracker notify`` and the notifications ``collect --notify`` sends after storing."""

from __future__ import annotations

import sys
from datetime import datetime, tzinfo

import click

from tracker.cli import params
from tracker.cli.common import resolve_past, utcnow
from tracker.cli.options import db_option, names_argument, notify_options, open_store, tz_option


def run_rules(db: str | None, names: tuple[str, ...], now: datetime, zone: tzinfo, options: dict,
              dry_run: bool = False, quiet: bool = False) -> int:
    """Evaluate the rules and deliver; print one line per notification; the exit code (6: a notice was
    not delivered — a channel failed or the deadline passed — and will be retried)."""
    from tracker.errors import TrackerError
    from tracker.notify.channels import desktop_channel, exec_channel, webhook_channel
    from tracker.notify.episodes import notify_from_store
    from tracker.notify.rules import Rules

    channels = ([desktop_channel()] if options["desktop"] else []) + \
        [webhook_channel(url) for url in options["webhooks"]] + [exec_channel(cmd) for cmd in options["exec_commands"]]
    if not channels and not dry_run:
        raise TrackerError("name where to send: --desktop, --webhook URL or --exec CMD (or --dry-run)", exit_code=2)
    if dry_run and not channels:
        channels = [desktop_channel()]
    rules = Rules(below=options["below"], before_reset=options["before_reset"], stale=options["stale"],
                  on_reset=options["on_reset"], min_probability=options["min_probability"],
                  limit_change=options.get("limit_change", False), credit_expiry=options.get("credit_expiry"))
    with open_store(db, readonly=dry_run, create=False) as store:  # no database yet: say so, create nothing
        outcome = notify_from_store(store, names, now, rules, channels, zone, dry_run,
                                    options["deadline"].total_seconds())
    from tracker.render import printable

    verb = "would send" if dry_run else "sent"
    for notice, label in [] if quiet else outcome.delivered:
        click.echo(printable(f"{verb} ({label}): {notice.message}"))
    for problem in outcome.problems:
        click.echo(f"tracker: {printable(problem)}", err=True)
    return EXIT_UNDELIVERED if outcome.problems else 0


NOTIFY_KEYS = ("below", "before_reset", "min_probability", "stale", "on_reset", "limit_change", "credit_expiry",
               "desktop", "webhooks", "exec_commands", "deadline")
RULE_KEYS = ("below", "before_reset", "min_probability", "stale", "on_reset", "limit_change", "credit_expiry", "deadline")
CHANNEL_KEYS = ("desktop", "webhooks", "exec_commands")
EXIT_UNDELIVERED = 6


def configured(options: dict) -> dict:
    """The rules and channels with the config file's [notify] filling what no flag or variable set:
    each rule on its own; the channels together (one named by a flag or variable: the file's are not used)."""
    from tracker.cli.options import from_config

    return from_config(from_config(options, RULE_KEYS), CHANNEL_KEYS, together=True)


@click.command()
@names_argument
@notify_options
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing, remember nothing.")
@click.option("--at", "at", type=params.When(), hidden=True, help="Evaluate as of this moment (tests).")
@db_option
@tz_option
def notify(names, below, before_reset, min_probability, stale, on_reset, limit_change, credit_expiry, desktop, webhooks,
           exec_commands, deadline, dry_run, at, db, tz) -> None:
    """Notify once per episode: a window low, running out before its reset, or data stale.

    A condition that holds for hours notifies once; it notifies again only after it has cleared
    (by 5 points for --below, so a window hovering at the threshold does not flap). What was
    sent is remembered in the database, per channel: a failed webhook is retried next run. Every
    rule and channel can also come from the environment (TRACKER_NOTIFY_BELOW, ..._WEBHOOK, ...).
    Exit 6 when a notice was not delivered (a channel failed, or --deadline passed): it is retried next run.

    \b
    Example:
        tracker notify --below 15 --before-reset --stale 30m --desktop
        tracker notify --webhook https://ntfy.sh/my-codex --dry-run
        tracker collect --notify --desktop      # collect, then notify, in one scheduled line
        tracker notify --limit-change --desktop # once, when the same work starts costing more %
        tracker notify --credit-expiry 48h --desktop  # once per reset credit about to expire unused
    """
    options = configured(dict(zip(NOTIFY_KEYS, (below, before_reset, min_probability, stale, on_reset, limit_change,
                                                credit_expiry, desktop, webhooks, exec_commands, deadline), strict=True)))
    sys.exit(run_rules(db, names, resolve_past(at, utcnow(), tz) or utcnow(), tz, options, dry_run))

