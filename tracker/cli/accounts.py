"""``tracker accounts``: list, rename, merge and forget stored accounts."""

from __future__ import annotations

import sys

import click

from tracker.cli.options import db_option, json_option, open_store, tz_option

# -- accounts --------------------------------------------------------------------------------


@click.group(invoke_without_command=True)
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
    from tracker.cli.common import utcnow
    from tracker.storage.accounts import list_accounts
    from tracker.timeutil import format_local

    now = utcnow()
    with open_store(db, readonly=True) as store:
        found = list_accounts(store)
    if as_json:
        click.echo(render.to_json([a.as_dict() for a in found]))
    elif not found:
        click.echo("no accounts stored yet: run `tracker collect`")
    else:
        click.echo(render.table(
            ["account", "source", "first snapshot", "last snapshot", "snapshots", "last status"],
            [[a.name, a.source or "-", format_local(a.first_snapshot_at, tz, now), format_local(a.last_snapshot_at, tz, now),
              f"{a.snapshots:,}", a.last_status] for a in found], right={4}))


@accounts.command("rename")
@click.argument("old")
@click.argument("new")
@click.option("--merge", is_flag=True, help="NEW exists already: fold OLD's history into it.")
@db_option
def accounts_rename(old, new, merge, db) -> None:
    """Rename an account (its history follows), or merge it into another with --merge."""
    from tracker.storage.accounts import rename_account

    with open_store(db, create=False) as store:
        click.echo(rename_account(store, old, new, merge))


@accounts.command("forget")
@click.argument("names", nargs=-1, required=True)
@click.option("--yes", is_flag=True, help="Do not ask (required when not on a terminal).")
@db_option
def accounts_forget(names, yes, db) -> None:
    """Delete accounts and all their history, in one transaction. Auth files are never touched."""
    from tracker.errors import TrackerError
    from tracker.storage.accounts import forget_accounts

    if not yes:
        if not sys.stdin.isatty():
            raise TrackerError("refusing to delete history without --yes (not a terminal)", exit_code=2)
        click.confirm(f"Delete {', '.join(names)} and all their history?", abort=True)
    with open_store(db, create=False) as store:
        removed = forget_accounts(store, list(names))
    for name, count in removed.items():
        click.echo(f"forgot {name} ({count:,} snapshots)")
