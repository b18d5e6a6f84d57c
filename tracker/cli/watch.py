"""``tracker watch``: a live view of every account, redrawn every few seconds from the store (the
report ``report`` and ``status`` build), collecting as it goes with ``--collect``.

The loop (``watch_loop``) takes its clock, its sleep and its output as arguments, so that tests
run it frame by frame without waiting; the frame itself is ``tracker.views.watch.render_frame``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, TextIO

import click

from tracker.cli import params
from tracker.cli.common import resolve, utcnow
from tracker.cli.options import (
    DEFAULT_LOOKBACK,
    db_option,
    names_argument,
    source_options,
    stale_option,
    terminal_options,
    tz_option,
)

if TYPE_CHECKING:
    from tracker.insight.report import Report

Note = tuple[str, str | None]  # a line under the title and its style
COLLECT_TIMEOUT = 15.0  # seconds per request: the view waits for a collection, so not collect's 30
SKIPPED_SHOWN = 3  # auth files skipped for their names named in a live frame; the rest counted
PIPED_WIDTH = 10_000  # piped without --width: one line per window, as wide as it needs (the README's frame)


class Collector:
    """``--collect EVERY``: one collection at every clock-aligned slot, run by ``run`` (a callable
    returning ``collect.run.AccountResult``s). A failure of any kind is kept for the frame to
    show, never raised: the view goes on."""

    def __init__(self, run: Callable[[], list], every: timedelta, tz: tzinfo) -> None:
        self.run_once, self.every, self.tz = run, every, tz
        self.next_at: datetime | None = None  # None: collect at the first frame
        self.note: Note = (f"collect every {_duration(every)}: first collection now", "dim")

    def due(self, now: datetime) -> bool:
        return self.next_at is None or now >= self.next_at

    def run(self, now: datetime) -> None:
        from tracker.collect.loop import next_slot

        self.next_at = next_slot(now, self.every)
        when, after = f"{now.astimezone(self.tz):%H:%M:%S}", f"next {self.next_at.astimezone(self.tz):%H:%M:%S}"
        try:
            results = self.run_once()
        except Exception as exc:  # no account, the database locked, a bug: shown; the next slot tries again
            self.note = (f"collect {when} failed, {after}: {problem(exc)}", "critical")
            return
        failed = [r for r in results if r.status != "ok"]
        if not results:
            self.note = (f"collect {when}: no account read · {after}", "warning")
        elif failed:
            detail = ", ".join(f"{r.account}: {r.status}" for r in failed[:3]) + (" …" if len(failed) > 3 else "")
            self.note = (f"collect {when}: {len(results) - len(failed)} ok, {len(failed)} failed ({detail}) · {after}",
                         "warning")
        else:
            self.note = (f"collect {when}: {len(results)} ok · {after}", "dim")


def _duration(value: timedelta) -> str:
    from tracker.timeutil import format_duration

    return format_duration(value)


def watch_loop(frame: Callable[[datetime, list[Note]], str], out: TextIO, *, every: timedelta,
               clock: Callable[[], datetime], sleep: Callable[[float], object], live: bool,
               rows: Callable[[], int] = lambda: 24, collector: Collector | None = None,
               frames: int | None = None) -> int:
    """Show frames until Ctrl-C (or ``frames`` of them); piped (``live`` False): exactly one frame,
    no escape codes. On a live terminal the alternate screen is used and the cursor hidden, and
    both are restored however the loop ends. Returns 0; Ctrl-C during a collection is raised
    again once the terminal is restored (``tracker.cli.app`` exits 130 without waiting for the
    requests in flight)."""
    from tracker.views.watch import ENTER, LEAVE, screen_update

    def show(now: datetime, notes: list[Note]) -> None:
        text = frame(now, notes)
        out.write(screen_update(text, rows()) if live else text + "\n")
        out.flush()

    shown, collecting = 0, False
    if live:
        out.write(ENTER)
    try:
        while True:
            now = clock()
            if collector is not None and collector.due(now):
                if live:
                    show(now, [("collecting …", "dim")])
                collecting = True
                collector.run(now)
                collecting = False
                now = clock()
            show(now, [collector.note] if collector is not None else [])
            shown += 1
            if not live or (frames is not None and shown >= frames):
                return 0
            wake = now + every
            if collector is not None and collector.next_at is not None:
                wake = min(wake, collector.next_at)
            sleep(max(0.0, (wake - clock()).total_seconds()))
    except KeyboardInterrupt:
        if collecting:
            raise
        return 0
    finally:
        if live:
            out.write(LEAVE)
            out.flush()


def read_report(db: str | None, names: tuple[str, ...], now: datetime, stale_after: timedelta
                ) -> tuple[Report, list[str]]:
    """The report ``report`` and ``status`` build, at ``now``, and the NAMES not stored."""
    from tracker.cli.options import open_store, split_known, unknown_line
    from tracker.errors import NoDataError
    from tracker.insight.report import build_report

    with open_store(db, readonly=True) as store:
        wanted, unknown = split_known(store, names)
        if names and not wanted:
            raise NoDataError(unknown_line(unknown))
        return build_report(store, wanted, now, DEFAULT_LOOKBACK, stale_after), unknown


@click.command()
@names_argument
@click.option("--every", type=params.Duration(timedelta(seconds=1), timedelta(hours=1)), default="5s",
              show_default=True, metavar="DURATION", help="Redraw from the store this often.")
@click.option("--collect", "collect_every", type=params.Duration(timedelta(seconds=10)), metavar="DURATION",
              help="Also collect every DURATION (clock-aligned, as `collect --every`), from the accounts "
                   "the source options name.")
@source_options
@stale_option
@terminal_options
@db_option
@tz_option
@click.option("--quiet", "-q", is_flag=True,
              help="With --collect: no warning about auth files skipped for their names.")
@click.option("--at", "at", type=params.When(), hidden=True, help="A fixed clock (tests).")
@click.option("--frames", type=click.IntRange(1), hidden=True, help="Stop after this many frames (tests).")
def watch(names, every, collect_every, account_dirs, auth_files, codex_homes, url, stale_after, width, colour,
          db, tz, quiet, at, frames) -> None:
    """A live view of every account: a bar per window, burn rate, forecast, resets, stale marks.

    Redrawn every few seconds from the store (what `tracker collect` or a schedule writes);
    with --collect it collects too, and a failed collection is shown in the view, never ends it.
    Piped or redirected it prints one frame without escape codes and exits. Ctrl-C quits and
    restores the terminal: exit 0 (130 when it comes during a collection).

    \b
    Example:
        tracker watch
        tracker watch --collect 5m --account-dir ~/codex-accounts
        tracker watch work --every 2s --width 60
    """
    import shutil
    import time

    if collect_every:  # the accounts `collect` would read: flags, TRACKER_ACCOUNT_DIR, else config.toml's
        from tracker.cli.options import configured_sources

        account_dirs, auth_files, codex_homes = configured_sources(account_dirs, auth_files, codex_homes)
    fixed = resolve(at, utcnow(), tz)
    live = _is_terminal(sys.stdout)
    sleep = _live_signals() if live else time.sleep
    sys.exit(run_watch(
        WatchOptions(names, every, collect_every, (account_dirs, auth_files, codex_homes, url), stale_after,
                     width, colour, db, tz, frames, quiet),
        sys.stdout, clock=(lambda: fixed) if fixed else utcnow, sleep=sleep, live=live,
        size=lambda: shutil.get_terminal_size((100, 24))))


@dataclass(frozen=True)
class WatchOptions:
    """The command's options, as parsed."""

    names: tuple[str, ...]
    every: timedelta
    collect_every: timedelta | None
    sources: tuple  # account dirs, auth files, Codex homes, URL: what `collect` reads
    stale_after: timedelta
    width: int | None
    colour: bool | None
    db: str | None
    tz: tzinfo
    frames: int | None = None
    quiet: bool = False


def run_watch(o: WatchOptions, out: TextIO, *, clock: Callable[[], datetime], sleep: Callable[[float], object],
              live: bool, size: Callable[[], os.terminal_size], err: TextIO | None = None) -> int:
    """The view on ``out`` (a terminal when ``live``), its clock, sleep and size given.

    With --collect, an auth file skipped for its name is one ``tracker: warning:`` line on ``err``
    (stderr), as ``collect`` prints it, but once per file for the whole view, not at every slot.
    Drawn live with stderr on a terminal too, the lines wait until the screen is restored (the
    alternate screen would wipe them) and the frame names the files meanwhile."""
    from tracker.views.terminal import for_stream
    from tracker.views.watch import render_frame

    err = err if err is not None else sys.stderr
    colour = for_stream(out, o.width, o.colour).colour
    collector = None
    warned: dict[str, None] = {}  # every skipped-file line said, in order
    held: list[str] = []  # lines waiting for the terminal to be restored
    if o.collect_every is not None:
        from tracker.cli.collect import collect_settings
        from tracker.collect.run import run_collection
        from tracker.config import codex_home, db_url
        from tracker.storage.store import Store

        settings = collect_settings(o.db, o.names, *o.sources, clock, timeout=COLLECT_TIMEOUT, retries=1)
        hold = live and _is_terminal(err)

        def collect_once() -> list:
            skipped: list[str] = []
            try:
                return run_collection(settings, lambda: Store.open(db_url(o.db)), codex_home(), None, skipped)
            finally:  # also when no account is left: the warnings say why
                for line in [] if o.quiet else skipped:
                    if line not in warned:
                        warned[line] = None
                        if hold:
                            held.append(line)
                        else:
                            _warn(err, line)

        collector = Collector(collect_once, o.collect_every, o.tz)

    def frame(now: datetime, notes: list[Note]) -> str:
        columns = o.width or (size().columns if live else PIPED_WIDTH)
        notes = list(notes)
        try:
            report, unknown = read_report(o.db, o.names, now, o.stale_after)
            notes += [(f"no account named {n!r}", "warning") for n in unknown]
        except Exception as exc:
            if not live and collector is None:
                raise  # piped without collecting: the error and its exit code, as `report` gives
            report = None
            notes.append((problem(exc), "critical"))
        if live:
            notes += [(f"warning: {line}", "warning") for line in list(warned)[:SKIPPED_SHOWN]]
            if len(warned) > SKIPPED_SHOWN:
                notes.append((f"warning: {len(warned) - SKIPPED_SHOWN} more auth files skipped", "warning"))
            notes.append((f"every {_duration(o.every)} · Ctrl-C quits", "dim"))
        return render_frame(report, columns, now, colour, o.tz, notes)

    try:
        return watch_loop(frame, out, every=o.every, clock=clock, sleep=sleep, live=live,
                          rows=lambda: size().lines, collector=collector, frames=o.frames)
    finally:  # the terminal is restored by now
        for line in held:
            _warn(err, line)


def _warn(err: TextIO, line: str) -> None:
    err.write(f"tracker: warning: {line}\n")
    err.flush()


def problem(exc: Exception) -> str:
    """An error as the one line a command would have exited with: its own message, the database's
    words, or an internal error named by its type (``tracker.cli.app``'s rules)."""
    from tracker.cli.app import _database_error
    from tracker.errors import TrackerError

    if isinstance(exc, TrackerError):
        return exc.message
    first = (str(exc).splitlines() or [""])[0][:200]
    return _database_error(exc) or f"internal error ({type(exc).__name__}: {first}); please report it"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _live_signals() -> Callable[[float], object]:
    """On a live terminal: SIGTERM and SIGHUP (``kill``, a closed tab) leave the way Ctrl-C does,
    terminal restored; SIGWINCH (a resize) cuts the sleep short, to redraw at the new size.
    Returns that sleep."""
    import signal
    import time

    resized = [False]  # a plain flag: a handler that took a lock (Event.set) could deadlock the loop

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    def resize(signum: int, _frame: object) -> None:
        resized[0] = True

    def nap(seconds: float) -> None:
        """Sleep in slices of 0.25 s, so that a resize is drawn within that."""
        deadline = time.monotonic() + seconds
        while not resized[0] and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.25))
        resized[0] = False

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), interrupt)
    if hasattr(signal, "SIGWINCH"):
        signal.signal(signal.SIGWINCH, resize)
    return nap
