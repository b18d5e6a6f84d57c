"""`tracker watch`: piped it prints one frame without escape codes; live (a terminal stand-in) it
redraws on an injected clock, collects from a real local server with --collect, shows a failed
collection without stopping, and leaves the terminal restored on Ctrl-C."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.fixtures import T0, USAGE_PATH, body, iso, one_line_error, run, write_auth
from tracker.cli.watch import Collector, WatchOptions, run_watch, watch_loop
from tracker.views.watch import ENTER, LEAVE

AT = iso(T0 + timedelta(hours=1))
SIZE = os.terminal_size((80, 40))


class Terminal(io.StringIO):
    """What the loop writes to, standing in for a terminal."""

    def isatty(self) -> bool:
        return True


class FakeClock:
    """The loop's clock and sleep: sleeping moves the clock, nothing waits."""

    def __init__(self, now, interrupt_after: int | None = None) -> None:
        self.now, self.slept, self.interrupt_after = now, [], interrupt_after

    def __call__(self):
        return self.now

    def sleep(self, seconds: float) -> None:
        if self.interrupt_after is not None and len(self.slept) >= self.interrupt_after:
            raise KeyboardInterrupt
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


def updates(text: str) -> list[str]:
    """The frames drawn on the terminal, in order."""
    assert text.startswith(ENTER) and text.endswith(LEAVE)
    return text.removeprefix(ENTER).removesuffix(LEAVE).split("\x1b[H")[1:]


# -- piped -------------------------------------------------------------------------------------


def test_piped_prints_one_frame_without_escape_codes(history_db):
    db, _, _ = history_db
    result = run("watch", "--db", str(db), "--at", AT, "--tz", "UTC")
    assert result.exit_code == 0, result.stderr
    # the figures are the report's own: the forecast and its range, the chance of running out
    import json

    account = json.loads(run("report", "--db", str(db), "--at", AT, "--json").stdout)["accounts"][0]
    five, week = account["windows"]

    def forecast(w: dict) -> list[str]:
        return [f"at reset {w['projected_used_percent_at_reset']:.0f}% used ({w['projected_low']:.0f}-"
                f"{w['projected_high']:.0f})", f"run-out {odds(w['run_out_probability'])}"]

    def odds(p: float) -> str:  # never rounded to certainty: the five-hour 0.006 is "<1%", not "1%"
        return "<1%" if 0 < p < 0.01 else ">99%" if 0.99 < p < 1 else f"{100 * p:.0f}%"

    # one aligned line per window, as wide as it needs: the README's frame (was wrapped at 100 columns)
    title, blank, heading, *rows = result.stdout.splitlines()
    assert (title, blank) == ("tracker watch · 11:00:00 UTC", "")
    assert heading == f"work (pro) · read just now{' · may run out before reset' if account['may_run_out_before_reset'] else ''}"
    assert [[cell.strip() for cell in row.split("  ") if cell.strip()] for row in rows] == [
        ["5h", "████████████████▊░░░░░░░", "70% left", "burn 20.0%/h", *forecast(five), "resets in 3h 00m (14:00)"],
        ["weekly ███████████░░░░░░░░░░░░░", "46% left", "burn 4.0%/h", *forecast(week),
         "resets in 2d 23h (Mon 23 Nov 10:00)"]]
    assert len({row.index("at reset") for row in rows}) == 1  # aligned


def test_piped_narrow_keeps_every_line_within_the_width(history_db):
    db, _, _ = history_db
    result = run("watch", "--db", str(db), "--at", AT, "--tz", "UTC", "--width", "40")
    assert result.exit_code == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= 40
    assert "run-out" in result.stdout and "at reset" in result.stdout


def test_piped_through_a_real_pipe_is_one_frame(history_db):
    db, _, _ = history_db
    if not isinstance(db, os.PathLike):
        pytest.skip("SQLite file only")
    done = subprocess.run([sys.executable, "-m", "tracker", "watch", "--db", str(db), "--at", AT, "--tz", "UTC"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("tracker watch") == 1 and "\x1b" not in done.stdout and "70% left" in done.stdout


def test_piped_without_a_database_is_the_usual_error(tmp_path):
    one_line_error(run("watch", "--db", str(tmp_path / "none.db")), 1, "no database at")


def test_unknown_account_is_named_in_the_frame(history_db):
    db, _, _ = history_db
    result = run("watch", "work", "nobody", "--db", str(db), "--at", AT, "--tz", "UTC")
    assert result.exit_code == 0 and "no account named 'nobody'" in result.stdout


def test_piped_with_collect_collects_once_from_a_real_server(httpserver, usage_url, tmp_path):
    write_auth(tmp_path / "accounts" / "work.auth.json", "work")
    httpserver.expect_ordered_request(USAGE_PATH).respond_with_json(body(25, 60))
    result = run("watch", "--collect", "5m", "--account-dir", tmp_path / "accounts", "--url", usage_url,
                 "--db", tmp_path / "w.db", "--at", iso(T0), "--tz", "UTC")
    assert result.exit_code == 0, result.stderr
    assert "collect 10:00:00: 1 ok · next 10:05:00" in result.stdout and "75% left" in result.stdout
    assert usage_requests(httpserver) == 1 and "\x1b" not in result.stdout


def test_piped_failed_collect_is_shown_not_fatal(httpserver, usage_url, tmp_path):
    write_auth(tmp_path / "accounts" / "work.auth.json", "work")
    httpserver.expect_ordered_request(USAGE_PATH).respond_with_json({"detail": "no"}, status=401)
    result = run("watch", "--collect", "5m", "--account-dir", tmp_path / "accounts", "--url", usage_url,
                 "--db", tmp_path / "w.db", "--at", iso(T0), "--tz", "UTC")
    assert result.exit_code == 0, result.stderr
    assert "collect 10:00:00: 0 ok, 1 failed (work: expired) · next 10:05:00" in result.stdout
    assert "no snapshots stored yet" in result.stdout


# -- live, on an injected clock ----------------------------------------------------------------


def usage_requests(httpserver) -> int:
    """Usage requests the server saw (a collection also asks for the reset-credits list hourly)."""
    return sum(request.path == USAGE_PATH for request, _ in httpserver.log)


def options(tmp_path, url, **changes) -> WatchOptions:
    from datetime import UTC

    base = dict(names=(), every=timedelta(seconds=20), collect_every=timedelta(minutes=1),
                sources=((str(tmp_path / "accounts"),), (), (), url), stale_after=timedelta(minutes=30),
                width=80, colour=False, db=str(tmp_path / "w.db"), tz=UTC, frames=4)
    return WatchOptions(**{**base, **changes})


def watch_live(tmp_path, httpserver, url, frames: int, *answers) -> tuple[int, list[str], FakeClock]:
    """Watch with --collect 1m, redrawn every 20 s, on a fake terminal and clock from 10:00:00.
    With ``answers`` (JSON bodies, or (text, status)) the account `work` gets them in turn;
    without, its account directory is empty."""
    (tmp_path / "accounts").mkdir()
    if answers:
        write_auth(tmp_path / "accounts" / "work.auth.json", "work")
    for answer in answers:
        handler = httpserver.expect_oneshot_request(USAGE_PATH)  # in turn; the hourly credits list goes by
        if isinstance(answer, tuple):
            handler.respond_with_data(answer[0], status=answer[1])
        else:
            handler.respond_with_json(answer)
    clock, out = FakeClock(T0), Terminal()
    code = run_watch(options(tmp_path, url, frames=frames), out, clock=clock, sleep=clock.sleep, live=True,
                     size=lambda: SIZE)
    return code, updates(out.getvalue()), clock


def test_live_redraws_and_collects_at_each_slot(httpserver, usage_url, tmp_path):
    code, frames, clock = watch_live(tmp_path, httpserver, usage_url, 4, body(10, 50), body(20, 51))
    assert code == 0 and clock.slept == [20, 20, 20] and usage_requests(httpserver) == 2
    # collecting, 10:00:00, 10:00:20, 10:00:40, collecting, 10:01:00
    assert len(frames) == 6 and "collecting …" in frames[0] and "collecting …" in frames[4]
    assert "collect 10:00:00: 1 ok · next 10:01:00" in frames[3] and "90% left" in frames[3]
    assert "tracker watch · 10:00:40 UTC" in frames[3]
    assert "collect 10:01:00: 1 ok · next 10:02:00" in frames[5] and "80% left" in frames[5]
    assert "every 20s · Ctrl-C quits" in frames[5]


def test_live_failed_collect_is_shown_and_the_view_goes_on(httpserver, usage_url, tmp_path):
    code, frames, _ = watch_live(tmp_path, httpserver, usage_url, 5, body(10, 50), ("<html>down</html>", 401))
    assert code == 0 and len(frames) == 7
    assert "collect 10:01:00: 0 ok, 1 failed (work: expired) · next 10:02:00" in frames[5]
    assert "90% left" in frames[6] and "tracker watch · 10:01:20 UTC" in frames[6]


def test_live_collect_that_raises_is_shown_and_the_view_goes_on(httpserver, usage_url, tmp_path):
    code, frames, _ = watch_live(tmp_path, httpserver, usage_url, 2)  # no auth file: it cannot start
    assert code == 0 and len(frames) == 3 and len(httpserver.log) == 0
    assert "collect 10:00:00 failed, next 10:01:00: no Codex account found" in frames[1]
    assert "tracker watch · 10:00:20 UTC" in frames[2] and "no database at" in frames[2]


# -- auth files skipped for their names (as `collect` says them: one escaped line each, once) -----


def _bad_names_dir(tmp_path, good: bool = True):
    accounts = tmp_path / "accounts"
    for name in (["work"] if good else []) + ["cr\rx", "\u202eevil"]:
        write_auth(accounts / f"{name}.auth.json", "work")
    return accounts


def _skipped_lines(accounts) -> list[str]:
    return [f"tracker: warning: {accounts}/cr\\x0dx.auth.json: skipped: the file name holds control, "
            "line-separator or bidi characters (rename the file)",
            f"tracker: warning: {accounts}/\\u202eevil.auth.json: skipped: the file name holds control, "
            "line-separator or bidi characters (rename the file)"]


def test_piped_collect_warns_of_each_auth_file_skipped_for_its_name(httpserver, usage_url, tmp_path):
    accounts = _bad_names_dir(tmp_path)
    httpserver.expect_request(USAGE_PATH).respond_with_json(body(25, 60))
    args = ("watch", "--collect", "5m", "--account-dir", accounts, "--url", usage_url, "--at", iso(T0), "--tz", "UTC")
    result = run(*args, "--db", tmp_path / "w.db")
    assert result.exit_code == 0, result.stderr  # was silent
    assert sorted(result.stderr.splitlines()) == sorted(_skipped_lines(accounts)), result.stderr
    assert "collect 10:00:00: 1 ok" in result.stdout and "\x1b" not in result.stderr
    quiet = run(*args, "--db", tmp_path / "q.db", "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == "" and "collect 10:00:00: 1 ok" in quiet.stdout


def _watch_skipped(tmp_path, httpserver, url, err, *, good: bool = True, quiet: bool = False, seen=None):
    accounts = _bad_names_dir(tmp_path, good)
    httpserver.expect_request(USAGE_PATH).respond_with_json(body(10, 50))
    clock, out = FakeClock(T0), Terminal()

    def sleep(seconds: float) -> None:
        if seen is not None:
            seen.append(err.getvalue())
        clock.sleep(seconds)

    code = run_watch(options(tmp_path, url, frames=4, quiet=quiet, width=400), out, clock=clock, sleep=sleep, live=True,
                     size=lambda: os.terminal_size((200, 40)), err=err)
    return code, accounts, updates(out.getvalue())


def test_live_collect_warns_once_per_skipped_file_not_at_every_slot(httpserver, usage_url, tmp_path):
    err = io.StringIO()  # stderr redirected (not the terminal drawn on): said as soon as known
    code, accounts, frames = _watch_skipped(tmp_path, httpserver, usage_url, err)
    assert code == 0 and usage_requests(httpserver) == 2  # two collections, 10:00:00 and 10:01:00
    assert sorted(err.getvalue().splitlines()) == sorted(_skipped_lines(accounts))  # once each, not twice
    assert all(line.removeprefix("tracker: ") in frames[-1] for line in _skipped_lines(accounts))  # and in view


def test_live_collect_on_a_terminal_holds_the_warnings_until_the_screen_is_restored(httpserver, usage_url,
                                                                                      tmp_path):
    err, seen = Terminal(), []  # stderr on the same terminal: the alternate screen would wipe the lines
    code, accounts, frames = _watch_skipped(tmp_path, httpserver, usage_url, err, seen=seen)
    assert code == 0 and seen == ["", "", ""]
    assert sorted(err.getvalue().splitlines()) == sorted(_skipped_lines(accounts))


def test_live_collect_with_every_file_skipped_warns_once_and_quiet_says_nothing(httpserver, usage_url, tmp_path):
    err = io.StringIO()
    code, accounts, frames = _watch_skipped(tmp_path, httpserver, usage_url, err, good=False)
    assert code == 0 and sorted(err.getvalue().splitlines()) == sorted(_skipped_lines(accounts))
    assert "no Codex account found" in frames[-1]
    err = io.StringIO()
    code, _, frames = _watch_skipped(tmp_path / "q", httpserver, usage_url, err, good=False, quiet=True)
    assert code == 0 and err.getvalue() == "" and "skipped" not in frames[-1]


@pytest.mark.parametrize(("error", "shown"), [
    (RuntimeError("boom\nsecond line"), "internal error (RuntimeError: boom); please report it"),
    (__import__("sqlite3").OperationalError("database is locked"), "database error: database is locked"),
])
def test_a_collection_that_raises_is_one_line_in_the_frame(error, shown):
    from datetime import UTC

    def failing():
        raise error

    collector = Collector(failing, timedelta(minutes=5), UTC)
    clock, out = FakeClock(T0), Terminal()
    watch_loop(lambda now, notes: " | ".join(text for text, _ in notes), out, every=timedelta(seconds=5),
               clock=clock, sleep=clock.sleep, live=True, collector=collector, frames=2)
    assert updates(out.getvalue())[1:] == [f"collect 10:00:00 failed, next 10:05:00: {shown}\x1b[K\x1b[J"] * 2


def test_live_store_that_cannot_be_read_is_shown_and_the_view_goes_on(tmp_path):
    from datetime import UTC

    (tmp_path / "w.db").write_bytes(b"not a database at all" * 100)
    o = WatchOptions((), timedelta(seconds=5), None, ((), (), (), None), timedelta(minutes=30), 400, False,
                     str(tmp_path / "w.db"), UTC, frames=2)  # wide: the message on one line, whatever the path
    clock, out = FakeClock(T0), Terminal()
    assert run_watch(o, out, clock=clock, sleep=clock.sleep, live=True, size=lambda: SIZE) == 0
    frames = updates(out.getvalue())
    assert len(frames) == 2 and all("file is not a database" in frame for frame in frames)


def test_live_frame_is_cut_to_the_terminal_height(history_db):
    from datetime import UTC

    db, _, _ = history_db
    o = WatchOptions((), timedelta(seconds=5), None, ((), (), (), None), timedelta(minutes=30), 40, False,
                     str(db), UTC, frames=1)
    clock, out = FakeClock(T0 + timedelta(hours=1)), Terminal()
    run_watch(o, out, clock=clock, sleep=clock.sleep, live=True, size=lambda: os.terminal_size((40, 6)))
    frame, = updates(out.getvalue())
    assert frame.count("\x1b[K") == 6 and "more lines: enlarge the terminal" in frame


# -- Ctrl-C --------------------------------------------------------------------------------------


def test_ctrl_c_restores_the_terminal_and_exits_0():
    clock, out = FakeClock(T0, interrupt_after=2), Terminal()
    code = watch_loop(lambda now, notes: f"at {now:%H:%M:%S}", out, every=timedelta(seconds=5), clock=clock,
                      sleep=clock.sleep, live=True)
    assert code == 0
    assert updates(out.getvalue()) == ["at 10:00:00\x1b[K\x1b[J", "at 10:00:05\x1b[K\x1b[J", "at 10:00:10\x1b[K\x1b[J"]


def test_ctrl_c_during_a_collection_restores_the_terminal_then_goes_on_up():
    def interrupted():
        raise KeyboardInterrupt

    clock, out = FakeClock(T0), Terminal()
    from datetime import UTC

    with pytest.raises(KeyboardInterrupt):
        watch_loop(lambda now, notes: "frame", out, every=timedelta(seconds=5), clock=clock, sleep=clock.sleep,
                   live=True, collector=Collector(interrupted, timedelta(minutes=1), UTC))
    assert out.getvalue().endswith(LEAVE) and out.getvalue().startswith(ENTER)


def test_piped_loop_draws_once_and_never_sleeps():
    clock, out = FakeClock(T0), io.StringIO()
    assert watch_loop(lambda now, notes: "frame", out, every=timedelta(seconds=5), clock=clock,
                      sleep=clock.sleep, live=False, frames=10) == 0
    assert out.getvalue() == "frame\n" and clock.slept == []


# -- a real terminal ---------------------------------------------------------------------------


class Pty:
    """A pseudo-terminal the command runs on: its size set by the test, its output read back."""

    def __init__(self, rows: int, columns: int) -> None:
        import pty

        self.master, self.slave = pty.openpty()
        self.output = b""
        self.resize(rows, columns)

    def resize(self, rows: int, columns: int) -> None:
        import fcntl
        import struct
        import termios

        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))

    def read_until(self, done: Callable[[str], bool], seconds: float = 30) -> str:
        """What it has shown so far (newlines as written), once ``done`` says so or the time is up."""
        import select
        import time

        deadline = time.monotonic() + seconds
        while not done(self.text) and time.monotonic() < deadline:
            if select.select([self.master], [], [], 0.1)[0]:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:  # the command has ended and closed the terminal
                    break
        return self.text

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", "replace").replace("\r\n", "\n")

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pseudo-terminals")
def test_on_a_real_terminal_a_resize_redraws_and_ctrl_c_restores(history_db):
    import signal

    from tracker.views.terminal import visible_width

    db, _, _ = history_db
    term = Pty(30, 80)
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "watch", "--db", str(db), "--at", AT, "--tz", "UTC",
                             "--every", "1h"], stdin=term.slave, stdout=term.slave, stderr=subprocess.PIPE,
                            env={**env, "NO_COLOR": "1"},  # SIGINT as on a terminal, even if ours ignores it
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first = term.read_until(lambda text: text.count("\x1b[J") == 1)
        assert first.startswith(ENTER) and "tracker watch · 11:00:00 UTC" in first
        assert max(visible_width(line) for line in first.split("\x1b[K\n")) > 50  # the 80-column layout
        term.resize(30, 50)
        proc.send_signal(signal.SIGWINCH)  # what the kernel sends the terminal's foreground process
        second = term.read_until(lambda text: text.count("\x1b[J") == 2).split("\x1b[H")[-1]
        lines = second.removesuffix("\x1b[J").split("\x1b[K\n")
        assert len(lines) > 5 and max(visible_width(line.removesuffix("\x1b[K")) for line in lines) <= 50
        proc.send_signal(signal.SIGINT)
        assert term.read_until(lambda text: text.endswith(LEAVE)).endswith(LEAVE)  # read first: never blocked
        assert proc.wait(timeout=30) == 0
        assert proc.stderr.read() == b""
    finally:
        proc.kill()
        proc.stderr.close()
        term.close()
