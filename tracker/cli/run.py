"""`tracker run -- COMMAND`: start COMMAND on the account with the most headroom, and
`tracker completion SHELL`: click's own shell completion script.

`run` only ever sets CODEX_HOME: it never copies, moves or writes an auth.json. On POSIX the
tracker process is replaced by COMMAND (os.execvpe), so stdin/stdout, signals and the exit code
are COMMAND's own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC

import click

from tracker.cli.options import (
    DEFAULT_LOOKBACK,
    account_names,
    db_option,
    kind_option,
    kinds,
    stale_option,
)
from tracker.errors import TrackerError

EXIT_EXHAUSTED = 75  # sysexits' EX_TEMPFAIL: every account is used up; try again after the reset
EXIT_NOT_FOUND = 127  # COMMAND could not be started (as a shell says)


def _home_hint(name: str, source: str | None) -> str:
    return (f"account {name!r} is read from {source or 'an auth file'}, not from a Codex home, so it cannot "
            f"be switched to: give it a home once (`mkdir ~/.codex-{name} && cp {source or 'NAME.auth.json'} "
            f"~/.codex-{name}/auth.json`) and collect with `--codex-home ~/.codex-{name}`")


def _first_reset(report, kind_names: tuple[str, ...]):
    """The earliest reset of a selected main-limit window among the fresh accounts considered."""
    from tracker.insight.alerts import selected
    from tracker.kinds import MAIN_LIMIT

    resets = [w.figures.reset_at for a in report.accounts if not a.stale for w in a.windows
              if selected(w, kind_names) and w.key.limit == MAIN_LIMIT and w.figures.reset_at]
    return min(resets) if resets else None


def choose(report, paths: dict[str, str | None], kind_names: tuple[str, ...], account: str | None):
    """(account, its Codex home, why): the named account, else the one `pick` would choose among
    the accounts that have a Codex home. Raises TrackerError when none can be started."""
    from tracker.collect.accounts import codex_home_of
    from tracker.insight.alerts import headroom, pick_account
    from tracker.timeutil import format_local

    if account is not None:
        if account not in paths:
            raise TrackerError(f"no account named {account!r} (see `tracker accounts`)", 1)
        home = codex_home_of(paths[account])
        if home is None:
            raise TrackerError(_home_hint(account, paths[account]), 1)
        return account, home, "named with --account"
    homes = {name: codex_home_of(source) for name, source in paths.items()}
    if not any(homes.values()):
        name = next(iter(paths), "NAME")
        raise TrackerError("no stored account comes from a Codex home; " + _home_hint(name, paths.get(name)), 1)
    report.accounts = [a for a in report.accounts if homes.get(a.account)]
    best = pick_account(report, kind_names)
    if best is None:
        first = _first_reset(report, kind_names)
        when = f"; the first reset is at {format_local(first, UTC)}" if first else ""
        raise TrackerError(f"every account is used up or stale, not starting{when}", EXIT_EXHAUSTED)
    others = ", ".join(f"{a.account} {score:.0f}%" for a in report.accounts if a.account != best[0]
                       and not a.stale and (score := headroom(a.windows, kind_names)) is not None)
    why = f"most headroom: {best[1]:.0f}% left of its tightest window" + (f" (others: {others})" if others else "")
    return best[0], homes[best[0]], why


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--account", metavar="NAME", shell_complete=account_names, help="Use this account (it must have a Codex home).")
@kind_option
@stale_option
@click.option("--dry-run", is_flag=True, help="Print the account that would be used and why; start nothing.")
@db_option
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run_command(account, kind, stale_after, dry_run, db, command) -> None:
    """Start COMMAND with CODEX_HOME set to the account with the most headroom.

    The account is chosen as `tracker pick --codex-home` chooses it. COMMAND gets the terminal,
    the signals and the exit code; no auth.json is ever copied or written. Exit 75 without
    starting anything when every account is used up (the message says when the first resets),
    127 when COMMAND cannot be started.

    \b
    Example:
        tracker run -- codex
        tracker run --account work -- codex exec "fix the tests"
        tracker run --dry-run -- codex
    """
    from tracker.cli.root import _build_report

    report, _, paths = _build_report((), None, DEFAULT_LOOKBACK, stale_after, db, UTC, with_paths=True)
    name, home, why = choose(report, paths, kinds(kind), account)
    if dry_run:
        click.echo(f"{name}\tCODEX_HOME={home}\t{why}")
        return
    env = {**os.environ, "CODEX_HOME": str(home)}
    try:
        if os.name == "posix":
            os.execvpe(command[0], list(command), env)
        sys.exit(subprocess.call(list(command), env=env))
    except OSError as exc:
        raise TrackerError(f"cannot start {command[0]!r}: {exc.strerror or exc}", EXIT_NOT_FOUND) from None


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script (click's own) for SHELL.

    \b
    Example:
        eval "$(tracker completion bash)"        # in ~/.bashrc
        eval "$(tracker completion zsh)"         # in ~/.zshrc
        tracker completion fish > ~/.config/fish/completions/tracker.fish
    """
    from click.shell_completion import get_completion_class

    from tracker.cli.root import cli

    cls = get_completion_class(shell)
    click.echo(cls(cli, {}, "tracker", "_TRACKER_COMPLETE").source())

