"""Options shared by several commands, defined once (as sqlite-utils does), and the store they open."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta, tzinfo
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from tracker.cli import params
from tracker.kinds import KINDS

if TYPE_CHECKING:
    from tracker.storage.store import Store

DEFAULT_LOOKBACK = timedelta(hours=1)
DEFAULT_STALE_AFTER = timedelta(minutes=30)
KIND_CHOICE = click.Choice([*KINDS, "all"])


def _local_zone() -> tzinfo:
    from tracker.timeutil import local_zone

    return local_zone()


def kinds(kind: str) -> tuple[str, ...]:
    """``all`` means every kind there is, the same way for every command."""
    return KINDS if kind == "all" else (kind,)


def _configured(name: str, fallback: Any = None) -> Callable[[], Any]:
    """An option's default read from the config file when it is needed (flags and TRACKER_*
    variables come first: click asks for a default only without them), else ``fallback``."""
    def default() -> Any:
        from tracker.settings import ConfigError, load

        try:
            return load().get(name, fallback)
        except ConfigError:
            ctx = click.get_current_context(silent=True)
            if ctx is not None and ctx.resilient_parsing:  # shell completion: no error into the shell
                return fallback
            raise

    return default


def from_config(values: dict, names: tuple[str, ...], together: bool = False) -> dict:
    """``values`` (a command's parameters) with those of ``names`` that no flag or variable gave
    taken from the config file, converted by the option's own type. ``together``: the names are one
    choice (the account sources, the channels): any of them given, none is taken from the file."""
    from tracker.settings import ConfigError, load

    ctx = click.get_current_context()
    given = {n for n in names if ctx.get_parameter_source(n) in (ParameterSource.COMMANDLINE,
                                                                 ParameterSource.ENVIRONMENT)}
    if together and given:
        return values
    settings, result = load(), dict(values)
    params = {p.name: p for p in ctx.command.params}
    for name in names:
        if name in given or name not in settings.values:
            continue
        try:
            result[name] = params[name].type_cast_value(ctx, settings.values[name])
        except click.BadParameter as exc:
            where = f"{settings.path}, line {settings.lines.get(name)}" if settings.lines.get(name) else settings.path
            raise ConfigError(f"{where}: {exc.format_message()}") from None
    return result


def _stack(*decorators: Callable) -> Callable:
    def apply(f: Callable) -> Callable:
        for decorator in reversed(decorators):
            f = decorator(f)
        return f

    return apply


db_option = click.option(
    "--db", "db", metavar="URL|PATH", envvar="TRACKER_DB",
    help="Database: a SQLAlchemy URL or a SQLite file path. [env TRACKER_DB; config: database; default: "
         "tracker.db in the user data directory, see `tracker db path`]",
)
tz_option = click.option(
    "--tz", type=params.Zone(), callback=lambda ctx, param, value: value or _local_zone(), default=_configured("tz"),
    metavar="ZONE", help="Show times in this zone: IANA name, UTC or +02:00 (config: time_zone; default: the local zone).",
)
kind_option = click.option("--kind", type=KIND_CHOICE, default="all", show_default=True)
output_option = click.option("-o", "--output", metavar="FILE", help="Write to FILE (atomically) instead of stdout.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
period_options = _stack(
    click.option("--since", type=params.When(), metavar="WHEN", help="ISO date/time or a duration ago (7d, 12h)."),
    click.option("--until", type=params.When(), metavar="WHEN", help="ISO date/time or a duration ago."),
)
stale_option = click.option("--stale-after", type=params.Duration(), default=_configured("stale_after", "30m"),
                            show_default="30m", metavar="DURATION",
                            help="A last snapshot older than this is stale (config: stale_after).")
as_of_options = _stack(
    click.option("--at", "at", type=params.When(), metavar="WHEN",
                 help="Evaluate as of a past moment (ISO time or a duration ago)."),
    click.option("--lookback", type=params.Duration(), default="1h", show_default=True, metavar="DURATION",
                 help="How far back the burn rate looks (within the current window)."),
    stale_option,
)

# Where the accounts are and where to ask: `collect` and `watch --collect` share them.
source_options = _stack(
    click.option("--account-dir", "account_dirs", multiple=True, envvar="TRACKER_ACCOUNT_DIR", metavar="DIR",
                 help="Read every <name>.auth.json in DIR. [env TRACKER_ACCOUNT_DIR]"),
    click.option("--auth", "auth_files", multiple=True, metavar="[NAME=]FILE",
                 help="An auth.json file (repeatable); x.auth.json is named x."),
    click.option("--codex-home", "codex_homes", multiple=True, metavar="[NAME=]DIR",
                 help="A Codex home holding auth.json (repeatable); ~/.codex-work is named codex-work."),
    click.option("--url", envvar="TRACKER_USAGE_URL", metavar="URL",
                 help="Usage endpoint, or a base URL (see the README). [env TRACKER_USAGE_URL]"),
)
SOURCE_NAMES = ("account_dirs", "auth_files", "codex_homes")


def configured_sources(account_dirs: tuple, auth_files: tuple, codex_homes: tuple) -> tuple[tuple, tuple, tuple]:
    """The account sources of ``source_options``, or the config file's [accounts] when no flag and no
    TRACKER_ACCOUNT_DIR names any (they are one choice). Call it inside the command."""
    chosen = from_config(dict(zip(SOURCE_NAMES, (account_dirs, auth_files, codex_homes), strict=True)),
                         SOURCE_NAMES, together=True)
    return tuple(tuple(chosen[n]) for n in SOURCE_NAMES)

terminal_options = _stack(
    click.option("--width", type=click.IntRange(20, 1000), metavar="COLUMNS",
                 help="Lay out for this many columns (default: the terminal's; piped: the full layout)."),
    click.option("--color/--no-color", "colour", default=None,
                 help="Colour by severity (default: on a terminal, unless NO_COLOR is set)."),
)


def terminal(width: int | None, colour: bool | None, to_file: bool = False):  # views.terminal.Terminal
    """How the output will be shown: stdout's terminal, or a file (-o) that has none."""
    import sys

    from tracker.views.terminal import for_stream

    return for_stream(None if to_file else sys.stdout, width, colour)


notify_options = _stack(
    click.option("--below", type=params.Number(0, 100), default=10, show_default=True, metavar="PCT",
                 envvar="TRACKER_NOTIFY_BELOW", help="Notify when a window has less than PCT % left."),
    click.option("--before-reset", "before_reset", is_flag=True, envvar="TRACKER_NOTIFY_BEFORE_RESET",
                 help="Notify when the forecast says a window runs out before its reset."),
    click.option("--min-probability", "min_probability", type=params.Number(0.01, 1), default=0.5, show_default=True,
                 metavar="P", envvar="TRACKER_NOTIFY_MIN_PROBABILITY",
                 help="With --before-reset: notify when the chance of running out before the reset is at least P."),
    click.option("--stale", type=params.Duration(), metavar="DURATION", envvar="TRACKER_NOTIFY_STALE",
                 help="Notify when an account has no fresh data for DURATION, or its login expired."),
    click.option("--on-reset", is_flag=True, envvar="TRACKER_NOTIFY_ON_RESET",
                 help="Notify when a window that was low has reset and is available again."),
    click.option("--limit-change", "limit_change", is_flag=True, envvar="TRACKER_NOTIFY_LIMIT_CHANGE",
                 help="Notify once when the limit changed (tracker limits: the same work costs clearly more or fewer %)."),
    click.option("--credit-expiry", "credit_expiry", type=params.Duration(), metavar="DURATION",
                 envvar="TRACKER_NOTIFY_CREDIT_EXPIRY",
                 help="Notify once per reset credit that expires unused within DURATION (e.g. 48h)."),
    click.option("--desktop", is_flag=True, envvar="TRACKER_NOTIFY_DESKTOP",
                 help="Send to the desktop (notify-send on Linux, osascript on macOS)."),
    click.option("--webhook", "webhooks", multiple=True, metavar="URL", envvar="TRACKER_NOTIFY_WEBHOOK",
                 help="POST JSON to URL (repeatable; https, or http to this machine)."),
    click.option("--exec", "exec_commands", multiple=True, metavar="CMD", envvar="TRACKER_NOTIFY_EXEC",
                 type=params.ShellCommand(),
                 help="Run CMD with the fields in TRACKER_* environment variables (repeatable)."),
    click.option("--deadline", type=params.Duration(timedelta(seconds=1)), default="30s", show_default=True,
                 metavar="DURATION", envvar="TRACKER_NOTIFY_DEADLINE",
                 help="Deliver every notice of the run within this time; the rest is retried next run (exit 6)."),
)


@contextmanager
def open_store(db: str | None, *, readonly: bool = False, create: bool = True) -> Iterator[Store]:
    """The store named by ``--db``. Readers pass ``readonly``: never created nor changed. Writers
    that only make sense on an existing history (notify, accounts) pass ``create=False``."""
    from tracker.config import db_url, sqlite_path
    from tracker.errors import NoDataError
    from tracker.storage.store import Store

    url = db_url(db)
    path = sqlite_path(url)
    if not create and not readonly and path is not None and not (path.is_file() and path.stat().st_size):
        raise NoDataError(f"no database at {path}: run `tracker collect` first (or pass --db)")
    store = Store.open(url, readonly=readonly)
    try:
        yield store
    finally:
        store.close()
    if not readonly:  # something may have been stored: the status line's state file follows
        from tracker.cli.statestore import refresh_state

        refresh_state(url)


def account_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion of account names: the stored accounts (nothing if the store cannot be read)."""
    import os

    try:
        with open_store(ctx.params.get("db") or os.environ.get("TRACKER_DB"), readonly=True) as store:
            return [n for n in store.account_names() if n.startswith(incomplete)]
    except Exception:  # completion must never print a traceback into the shell
        return []


names_argument = click.argument("names", nargs=-1, shell_complete=account_names)


def unknown_line(unknown: list[str]) -> str:
    return "; ".join(f"no account named {n!r} (see `tracker accounts`)" for n in unknown)


def split_known(store: Store, names: tuple[str, ...]) -> tuple[tuple[str, ...], list[str]]:
    """(the NAMES that are stored accounts, the others), each once, in the order given."""
    if not names:
        return (), []
    known = set(store.account_names())
    return (tuple(n for n in dict.fromkeys(names) if n in known),
            [n for n in dict.fromkeys(names) if n not in known])


def require_known(store: Store, names: tuple[str, ...]) -> None:
    """Names that are not stored accounts are an error (exit 1), not an empty answer."""
    from tracker.errors import NoDataError

    unknown = split_known(store, names)[1]
    if unknown:
        raise NoDataError(unknown_line(unknown))
