"""The command line: parse options, call one function per command, print its result.

Kept thin and cheap to import: the tracker modules (and with them sqlalchemy, requests,
matplotlib) are imported inside the commands that need them, so ``tracker --help`` is instant.
Option values are checked by the parameter types in ``tracker.cli.params`` before anything is opened.
"""

from __future__ import annotations

import sys
from datetime import UTC, timedelta, tzinfo
from typing import TYPE_CHECKING

import click

from tracker import DIST_NAME, __version__
from tracker.cli import params
from tracker.cli.app import TrackerGroup, run
from tracker.cli.common import emit, resolve_past, resolve_period, utcnow
from tracker.cli.options import (
    DEFAULT_LOOKBACK,
    account_names,
    as_of_options,
    db_option,
    json_option,
    kind_option,
    kinds,
    names_argument,
    open_store,
    output_option,
    require_known,
    split_known,
    stale_option,
    terminal,
    terminal_options,
    tz_option,
    unknown_line,
)

if TYPE_CHECKING:
    from tracker.timeutil import When

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def main() -> None:
    run(cli)


# The commands of tracker/commands/, imported only when used: (module, attribute, first line of help).
LAZY_COMMANDS = {
    "collect": ("tracker.cli.collect", "collect", "Fetch and store the current usage of every account."),
    "notify": ("tracker.cli.notify", "notify",
               "Notify once per episode: a window low, running out before its reset, or data stale."),
    "import-sessions": ("tracker.cli.data", "import_sessions_command",
                        "Backfill history from Codex's own session logs."),
    "history": ("tracker.cli.data", "history", "List stored snapshots, one row per snapshot and window."),
    "export": ("tracker.cli.data", "export",
               "Export snapshots (or failures) for spreadsheets and notebooks, or current gauges for Prometheus."),
    "accounts": ("tracker.cli.accounts", "accounts",
                 "The accounts stored: where their credentials come from, their history, their last status."),
    "backtest": ("tracker.cli.backtest", "backtest",
                 "How good is the forecast on your own data? Replay the history and score it."),
    "serve": ("tracker.cli.serve", "serve",
              "A local, read-only web dashboard of every account (needs the web extra)."),
    "prune": ("tracker.cli.ops", "prune",
              "Delete or thin old snapshots, in small batches that never hold up a running collect."),
    "schedule": ("tracker.cli.ops", "schedule",
                 "Run `tracker collect --quiet` on a schedule: systemd user timer, launchd agent or crontab."),
    "chart": ("tracker.cli.chart", "chart",
              "Draw a week of consumption: windows filling and resetting, projections, use per day."),
    "demo": ("tracker.cli.demo", "demo",
             "Fill a database with a realistic synthetic history, then report and chart it."),
    "watch": ("tracker.cli.watch", "watch",
              "A live view of every account: a bar per window, burn rate, forecast, resets, stale marks."),
    "run": ("tracker.cli.run", "run_command", "Start COMMAND with CODEX_HOME set to the account with the most headroom."),
    "completion": ("tracker.cli.run", "completion", "Print the shell completion script (click's own) for SHELL."),
    "limits": ("tracker.cli.limits", "limits", "What 1 % is worth in tokens, per week, and when the limit changed."),
    "config": ("tracker.cli.configcmd", "config",
               "The config file: where it is (`config path`), the settings in effect (`config show`)."),
    "db": ("tracker.cli.ops", "db",
           "Where the database is, and upgrading it by hand (every command upgrades it anyway)."),
}


@click.group(cls=TrackerGroup, context_settings=CONTEXT, lazy=LAZY_COMMANDS)
@click.version_option(__version__, prog_name=DIST_NAME)
def cli() -> None:
    """Keep the history of your ChatGPT Codex rate limits.

    \b
    tracker collect          store every account's usage now (run it from cron)
    tracker report           balance, burn rate, forecast at the reset
    tracker status           one line for status bars and prompts
    tracker watch            a live view, redrawn every few seconds (--collect 5m too)
    tracker notify           tell you once when a window runs low or will run out
    tracker chart            a week of consumption as a picture
    tracker history          the stored snapshots
    tracker resets           when windows reset (early, late, moved)
    tracker limits           what 1 % is worth in tokens, and when the limit changed
    tracker backtest         how good the forecast is on your own history
    tracker accounts         the accounts stored; rename or forget them
    tracker serve            a local dashboard of every account (web extra)
    tracker import-sessions  backfill from Codex's own session logs
    tracker run -- codex     start codex on the account with the most headroom
    tracker demo             try it all on a synthetic history, no account needed
    tracker config show      the defaults from config.toml, and where each setting comes from
    """


# -- report, check, pick ---------------------------------------------------------------------


def _build_report(names: tuple[str, ...], at: When | None, lookback: timedelta, stale_after: timedelta,
                  db: str | None, zone: tzinfo, with_paths: bool = False):
    """The report of the known NAMES (and each account's auth file), and the unknown NAMES."""
    from tracker.errors import NoDataError
    from tracker.insight.report import NoSnapshotsError, build_report

    now = utcnow()
    moment = resolve_past(at, now, zone) or now
    with open_store(db, readonly=True) as store:
        wanted, unknown = split_known(store, names)
        if names and not wanted:
            raise NoDataError(unknown_line(unknown))
        try:
            result = build_report(store, wanted, moment, lookback, stale_after, zone)
        except NoSnapshotsError:
            if at is None:
                raise
            raise NoDataError(f"no snapshots at or before {moment.astimezone(zone):%a %d %b %Y %H:%M}") from None
        return result, unknown, (store.account_paths() if with_paths else {})


def _exit_for_unknown(unknown: list[str]) -> None:
    """After the known accounts' output: one line per unknown name, and exit 1."""
    from tracker.render import printable

    for name in unknown:
        click.echo(f"tracker: {printable(unknown_line([name]))}", err=True)
    if unknown:
        sys.exit(1)


@cli.command()
@names_argument
@as_of_options
@click.option("--format", "fmt", type=click.Choice(["table", "json", "prometheus"]), default="table",
              show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@output_option
@terminal_options
@db_option
@tz_option
def report(names, at, lookback, stale_after, fmt, as_json, output, width, colour, db, tz) -> None:
    """Balance, burn rate and predicted exhaustion of every window, from the history alone.

    Unknown NAMES get one line each on stderr and exit 1, after the report of the others.

    \b
    Example:
        tracker report --tz Europe/Paris
        tracker report work --json --at 2026-11-20T10:00
    """
    from tracker import render
    from tracker.timeutil import zone_name
    from tracker.views.report import report_json, report_table

    result, unknown, _ = _build_report(names, at, lookback, stale_after, db, tz)
    fmt = "json" if as_json else fmt
    if fmt == "json":
        text = render.to_json(report_json(result)) + "\n"
    elif fmt == "prometheus":
        from tracker.views.exports import prometheus_text  # its module also carries the CSV writers

        text = prometheus_text(result)
    else:
        term = terminal(width, colour, to_file=bool(output))
        text = report_table(result, tz, term) + "\n"
        if at is not None:
            text = f"as of {result.generated_at.astimezone(tz):%a %d %b %Y %H:%M} ({zone_name(tz)})\n\n" + text
    emit(text, output, colour)
    _exit_for_unknown(unknown)


@cli.command()
@names_argument
@click.option("--min-remaining", type=params.Number(0, 100), default=10, show_default=True, metavar="PCT",
              help="A window with less left than this is a problem.")
@kind_option
@click.option("--before-reset", is_flag=True, help="Also a problem: predicted to run out before its reset.")
@as_of_options
@terminal_options
@db_option
@tz_option
def check(names, min_remaining, kind, before_reset, at, lookback, stale_after, width, colour, db, tz) -> None:
    """Exit 0 when every window is fine, 10 when one is low, 20 when data is stale or missing.

    Prints one line per problem, for scripts, status bars and notifications. 20 wins over 10:
    a stale figure cannot be trusted.

    \b
    Example:
        tracker check --min-remaining 15 --before-reset || notify-send "Codex: $(tracker check)"
    """
    from tracker.errors import NoDataError
    from tracker.insight.alerts import EXIT_STALE, check_report

    try:
        result, unknown, _ = _build_report(names, at, lookback, stale_after, db, tz)
    except NoDataError as exc:
        click.echo(exc.message)
        sys.exit(EXIT_STALE)
    outcome = check_report(result, kinds(kind), min_remaining, before_reset, tz)
    from tracker.views.terminal import problem_lines

    codes = [*outcome.codes, *(EXIT_STALE for _ in unknown)]
    lines = problem_lines([*outcome.problems, *(unknown_line([n]) for n in unknown)], codes,
                          term := terminal(width, colour))
    for line in lines:
        click.echo(line, color=term.colour)
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
    from tracker.collect.accounts import codex_home_of
    from tracker.errors import NoDataError
    from tracker.insight.alerts import pick_account

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


@cli.command()
@click.option("--account", "names", multiple=True, metavar="NAME", help="Only this account (repeatable).",
              shell_complete=account_names)
@kind_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "waybar", "tmux", "i3blocks"]), default="text",
              show_default=True)
@stale_option
@click.option("--at", "at", type=params.When(), hidden=True, help="As of a past moment (tests).")
@terminal_options
@db_option
@tz_option
def status(names, kind, fmt, stale_after, at, width, colour, db, tz) -> None:
    """One line for status bars and prompts: what is left of each window, and when it runs out.

    `5h 58%` is what is left; `↘ Thu 14:00` is when the forecast says it runs out, shown only
    when that comes before the reset; stale data says so. Classes (waybar) and colours (tmux,
    i3blocks): critical under 10 % left or running out before the reset, stale, warning under 25 %.

    \b
    Example:
        tracker status                       # work 5h 58% · wk 83%
        tracker status --format waybar --account work
    """
    from tracker.cli.statestore import refresh_state, same_report
    from tracker.config import db_url
    from tracker.views.status import render_status

    result, unknown, _ = _build_report(names, at, DEFAULT_LOOKBACK, stale_after, db, tz)
    reuse = same_report(names, DEFAULT_LOOKBACK, stale_after, tz)  # else the file's report is built again
    refresh_state(db_url(db), result.generated_at if at is not None else None,  # the fast path's next answer
                  result if reuse else None)
    term = terminal(width, colour) if fmt == "text" else None
    click.echo(render_status(result, kinds(kind), fmt, tz, term), color=term.colour if term else None)
    _exit_for_unknown(unknown)


@cli.command()
@names_argument
@click.option("--since", type=params.When(), default="30d", show_default=True, metavar="WHEN",
              help="From this time (ISO time or a duration ago).")
@click.option("--until", type=params.When(), metavar="WHEN", help="Up to this time (default: now).")
@kind_option
@json_option
@db_option
@tz_option
def resets(names, since, until, kind, as_json, db, tz) -> None:
    """A ledger of every window change: resets (early, on time, late) and moved reset times.

    Each row: when the change was first seen, the used % just before and after (a window may
    open at 85-99 %), the reset time the old window announced, and the timing: early or late
    when the change was seen beyond the jitter tolerance of that time; `moved later`/`earlier`
    when a window's announced reset time changed while it was still open. Windows come from the
    one window timeline every view reads: a drop with the same reset time is noise, an idle
    window is no reset, an overdue window has no reset until a reading shows the next one.
    A change in the limit found by `tracker limits` is a row too (timing `limit cut x0.50`;
    event `limit_change` with its ratio in --json).

    \b
    Example:
        tracker resets --since 30d --kind weekly
        tracker resets work --json
    """
    from tracker import render
    from tracker.insight.ledger import build_ledger, ledger_table
    from tracker.insight.limits_history import limit_changes

    now = utcnow()
    since_at, until_at = resolve_period(since, until, now, tz, default_until=now)
    with open_store(db, readonly=True) as store:
        require_known(store, names)
        events = build_ledger(store, names, since_at, until_at, kinds(kind))
        changes = limit_changes(store, names, since_at, until_at, kinds(kind))
    if as_json:
        entries = [(e.seen_at, e.as_dict()) for e in events] + [(c.at, c.ledger_dict()) for c in changes]
        click.echo(render.to_json([entry for _, entry in sorted(entries, key=lambda e: e[0])]))
    else:
        click.echo(ledger_table(events, tz, changes) if events or changes else "no resets in that period")
