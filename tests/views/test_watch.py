"""`tracker watch`'s frame, rendered headless to a string: wide and narrow, stale, used up,
past its reset, with the last error; every line within the width, colour only when asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tracker.insight.figures import Forecast
from tracker.insight.report import AccountReport, LastError, Report, WindowReport
from tracker.points import SeriesKey
from tracker.views.terminal import visible_width
from tracker.views.watch import bar, render_frame, screen_update

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
H = timedelta(hours=1)


def window(kind: str, used: float, *, reset=3 * H, burn: float | None = 2.0, exhausts=None, p=0.2,
           projected=None, low=None, high=None, past_reset=False, account="work") -> WindowReport:
    seconds = 18000 if kind == "five_hour" else 604800
    figures = Forecast(used, 100 - used, NOW + reset, NOW - 5 * timedelta(minutes=1), burn, 5.0,
                       NOW + exhausts if exhausts else None, bool(exhausts),
                       reset_since_last_snapshot=past_reset, projected=projected, projected_low=low,
                       projected_high=high, run_out_probability=p)
    return WindowReport(SeriesKey(account, "codex", kind, seconds), figures)


def account(name="work", windows=(), stale=False, error=None, read=5 * timedelta(minutes=1)) -> AccountReport:
    return AccountReport(name, "plus", NOW - read, stale, error, list(windows))


def healthy() -> AccountReport:
    return account(windows=[window("five_hour", 30, projected=60, low=45, high=75, p=0.02),
                            window("weekly", 54, reset=50 * H, burn=0.0, projected=80, low=70, high=95, p=0.15)])


def frame(accounts, width, colour=False, notes=()) -> str:
    return render_frame(Report(NOW, list(accounts)), width, NOW, colour, UTC, notes)


def test_wide_frame_one_aligned_line_per_window():
    text = frame([healthy()], 140, notes=[("collect 10:00:00: 1 ok · next 10:05:00", None)])
    assert text == (
        "tracker watch · 10:00:00 UTC\n"
        "collect 10:00:00: 1 ok · next 10:05:00\n"
        "\n"
        "work (plus) · read 5m ago\n"
        "  5h     ████████████████▊░░░░░░░  70% left  burn 2.0%/h  at reset 60% used (45-75)  run-out 2%   "
        "resets in 3h 00m (13:00)\n"
        "  weekly ███████████░░░░░░░░░░░░░  46% left  idle         at reset 80% used (70-95)  run-out 15%  "
        "resets in 2d 2h (Sun 22 Nov 12:00)")


def test_narrow_frame_wraps_the_figures_under_each_bar():
    text = frame([healthy()], 40)
    assert text == (
        "tracker watch · 10:00:00 UTC\n"
        "\n"
        "work (plus) · read 5m ago\n"
        "  5h     ██████████████░░░░░░  70% left\n"
        "    burn 2.0%/h\n"
        "    at reset 60% used (45-75)\n"
        "    run-out 2% · resets in 3h 00m\n"
        "  weekly █████████▎░░░░░░░░░░  46% left\n"
        "    idle · at reset 80% used (70-95)\n"
        "    run-out 15% · resets in 2d 2h")


@pytest.mark.parametrize("width", [30, 40, 55, 80, 100, 140, 220])
@pytest.mark.parametrize("colour", [False, True])
def test_no_line_is_wider_than_the_terminal(width, colour):
    long = "a-very-long-account-name-from-a-server-" * 4
    error = LastError("http_error", NOW - 2 * H, NOW - H, 502, "bad gateway " * 20)
    accounts = [healthy(), account(long, [window("weekly", 100, exhausts=-H, p=1.0)], stale=True, error=error)]
    text = frame(accounts, width, colour, notes=[("collect failed: " + "x" * 300, "critical")])
    assert all(visible_width(line) <= width for line in text.splitlines())
    assert ("\x1b[" in text) is colour


def test_stale_account_is_marked_and_its_bars_dimmed():
    stale = account(windows=[window("five_hour", 30, p=None)], stale=True, read=3 * H)
    plain = frame([stale], 100)
    assert "work (plus) · read 3h 00m ago · STALE" in plain
    coloured = frame([stale], 100, colour=True)
    assert "\x1b[2m█" in coloured  # the bar in the stale style, not green
    assert "\x1b[32m" not in coloured


def test_used_up_window_is_empty_critical_and_says_blocked():
    used_up = account(windows=[window("five_hour", 100, exhausts=-H, p=1.0, projected=100)])
    text = frame([used_up], 100)
    assert "  5h ░░░░░░░░░░░░░░░░░░░░░░░░   0% left  used up: blocked until the reset · resets in 3h 00m" in text
    assert "RUNS OUT BEFORE RESET" in text
    assert "\x1b[1;31m░" in frame([used_up], 100, colour=True)


def test_an_unknown_burn_rate_is_a_dash_as_in_report():
    text = frame([account(windows=[window("five_hour", 30, burn=None)])], 140)
    assert "burn -" in text and "?" not in text


def test_runs_out_before_reset_names_the_time_and_chance():
    low = account(windows=[window("weekly", 85, reset=30 * H, exhausts=6 * H, p=0.87, projected=100, low=96, high=100)])
    text = frame([low], 120)
    assert "runs out 16:00 (87%)" in text and "at reset 100% used (96-100)" in text


def test_window_past_its_reset_says_so_instead_of_old_figures():
    past = account(windows=[window("five_hour", 95, reset=-H, past_reset=True)])
    text = frame([past], 120)
    assert "  5h ························     reset  reset 09:00 since the last snapshot · collect to see the new window" \
        in text.splitlines()
    assert "95" not in text and "█" not in text


def test_last_error_is_shown_with_the_login_hint():
    error = LastError("expired", NOW - 2 * H, NOW - H, None, "token expired")
    text = frame([account(windows=[window("five_hour", 30)], error=error, stale=True, read=2 * H)], 80)
    assert "  ! expired since 08:00: run `codex login`" in text.splitlines()


def test_server_text_is_escaped_never_obeyed():
    text = frame([account("evil\x1b[2J", [window("five_hour", 30)])], 80, colour=True)
    assert "\x1b[2J" not in text and "evil\\x1b[2J" in text


def test_a_long_note_is_wrapped_in_four_lines_marked_where_cut():
    text = render_frame(None, 40, NOW, False, UTC, [("word " * 100, "critical")])
    lines = text.splitlines()[1:]
    assert len(lines) == 4 and lines[-1].endswith("…") and lines[1].startswith("  word")
    assert all(len(line) <= 40 for line in lines)


def test_no_report_shows_the_title_and_why():
    text = render_frame(None, 60, NOW, False, UTC, [("no snapshots stored yet: run `tracker collect` first", "critical")])
    assert text == "tracker watch · 10:00:00 UTC\nno snapshots stored yet: run `tracker collect` first"


@pytest.mark.parametrize(("fraction", "width", "expected"), [
    (0.0, 4, "░░░░"), (1.0, 4, "████"), (0.5, 4, "██░░"), (0.1, 4, "▍░░░"), (1.7, 3, "███"), (-1, 3, "░░░")])
def test_bar_fills_in_eighths(fraction, width, expected):
    assert bar(fraction, width) == expected


def test_screen_update_draws_over_the_last_frame_and_says_what_is_hidden():
    assert screen_update("a\nb", 24) == "\x1b[Ha\x1b[K\nb\x1b[K\x1b[J"
    clipped = screen_update("\n".join(str(i) for i in range(10)), 4)
    assert clipped == "\x1b[H0\x1b[K\n1\x1b[K\n2\x1b[K\n… 7 more lines: enlarge the terminal\x1b[K\x1b[J"
