"""Output that fits the terminal: the compact layout under 100 columns, colour by severity on a
terminal (never when piped, never with NO_COLOR or --no-color), the outlook sentence, and one
severity shared by `status`, `report --json` and the dashboard."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures import END, fill, iso, run
from tracker.insight.forecast import Forecast
from tracker.views.outlook import outlook
from tracker.views.terminal import for_stream

AT = iso(END + timedelta(minutes=1))
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("terminal") / "demo.db"
    fill(f"sqlite:///{path}")
    return str(path)


def lines_of(result) -> list[str]:
    assert result.exit_code in (0, 10, 20), result.stderr
    return result.stdout.splitlines()


def test_report_fits_80_columns_and_piped_output_keeps_the_full_table(demo_db):
    compact = lines_of(run("report", "--db", demo_db, "--at", AT, "--tz", "UTC", "--width", "80"))
    assert max(len(line) for line in compact) <= 80
    at_100 = lines_of(run("report", "--db", demo_db, "--at", AT, "--tz", "UTC", "--width", "100"))
    assert max(len(line) for line in at_100) <= 100  # the full table would not fit: compact too
    assert not any("burn %/h" in line for line in compact)
    assert any(re.search(r"\d+% left · resets ", line) for line in compact)
    assert any("; at your usual pace " in line or "; at its average pace " in line for line in compact)
    piped = lines_of(run("report", "--db", demo_db, "--at", AT, "--tz", "UTC"))
    assert any(line.lstrip().startswith("limit  window  used%  left%  burn %/h") for line in piped)
    assert not any(ANSI.search(line) for line in piped + compact)
    wide = lines_of(run("report", "--db", demo_db, "--at", AT, "--tz", "UTC", "--width", "140"))
    assert wide[: len(piped)] != piped or len(wide) > len(piped)  # the table, then each window's outlook
    assert any(line.startswith("  weekly: ") for line in wide) and not any(line.startswith("  weekly: ")
                                                                           for line in piped)


def test_colour_follows_severity_and_can_be_turned_off(demo_db):
    data = json.loads(run("report", "--db", demo_db, "--at", AT, "--json").stdout)
    severity = {a["account"]: a["severity"] for a in data["accounts"]}
    coloured = run("status", "--db", demo_db, "--at", AT, "--color", "--width", "40").stdout
    codes = {"critical": "1;31", "warning": "33", "stale": "2", "normal": "32"}
    for line in coloured.splitlines():  # one account per line: the line would not fit 40 columns
        name = ANSI.sub("", line).split(" ")[0]
        assert line.startswith(f"\x1b[{codes[severity[name]]}m{name} "), line
    plain = run("status", "--db", demo_db, "--at", AT, "--no-color", "--width", "40").stdout
    assert not ANSI.search(plain) and plain == ANSI.sub("", coloured)
    assert not ANSI.search(run("status", "--db", demo_db, "--at", AT).stdout)  # piped: never


def test_status_json_and_report_json_share_one_severity(demo_db):
    report = json.loads(run("report", "--db", demo_db, "--at", AT, "--json").stdout)
    status = json.loads(run("status", "--db", demo_db, "--at", AT, "--format", "json").stdout)
    assert {a["account"]: a["severity"] for a in report["accounts"]} == {s["account"]: s["severity"] for s in status}
    assert {a["severity"] for a in report["accounts"]} >= {"critical", "stale"}  # the demo has both


def test_check_and_collect_fit_the_width(demo_db, httpserver, tmp_path):
    from tests.fixtures import USAGE_PATH, usage_body, write_auth

    lines = lines_of(run("check", "--db", demo_db, "--at", AT, "--width", "50"))
    assert lines and max(len(line) for line in lines) <= 50 and any(line.startswith("  ") for line in lines)
    write_auth(tmp_path / "acc" / "a-rather-long-account-name.auth.json", "x")
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    args = ("collect", "--account-dir", tmp_path / "acc", "--url", httpserver.url_for(USAGE_PATH),
            "--db", tmp_path / "c.db")
    full, compact = run(*args).stdout.splitlines(), run(*args, "--width", "70").stdout.splitlines()
    assert max(len(line) for line in full) > 70 >= max(len(line) for line in compact)
    assert "plan" in full[0] and "plan" not in compact[0]


def test_a_terminal_gets_its_width_and_colour_unless_no_color(monkeypatch):
    master, slave = os.openpty()
    with os.fdopen(slave, "w") as tty:
        monkeypatch.setenv("COLUMNS", "72")
        monkeypatch.delenv("NO_COLOR", raising=False)
        monkeypatch.setenv("TERM", "xterm")
        term = for_stream(tty)
        assert (term.width, term.colour, term.compact) == (72, True, True)
        monkeypatch.setenv("NO_COLOR", "1")
        assert for_stream(tty).colour is False and for_stream(tty, colour=True).colour is True
        monkeypatch.delenv("NO_COLOR")
        monkeypatch.setenv("TERM", "dumb")
        assert for_stream(tty).colour is False
    os.close(master)
    with open(os.devnull, "w") as piped:
        assert (for_stream(piped).width, for_stream(piped).colour) == (None, False)


NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def forecast(**kw) -> Forecast:
    base = dict(used_percent=60.0, remaining_percent=40.0, reset_at=NOW + timedelta(days=2), last_at=NOW,
                burn_rate=0.0, safe_rate=0.8, exhausts_at=None, exhausts_before_reset=False)
    return Forecast(**{**base, **kw})


@pytest.mark.parametrize(("kw", "expected"), [
    (dict(method="profile", projected=100.0, exhausts_at=NOW + timedelta(hours=28, minutes=40),
          exhausts_before_reset=True), "idle now; at your usual pace runs out Sat 05 Dec 13:40"),
    (dict(method="recent-slope", burn_rate=9.5, projected=80.0), "using 9.5 %/h now; at this pace lasts to the "
                                                                  "reset (80 % by then)"),
    (dict(method="idle", projected=60.0), "idle now; lasts to the reset (60 % by then)"),
    (dict(method="profile", projected=90.0, projected_high=100.0),
     "idle now; at your usual pace lasts, but a busy spell runs out first (up to 100 %)"),
    (dict(used_percent=100.0, remaining_percent=0.0, method="exhausted", exhausts_at=NOW - timedelta(hours=2)),
     "used up since 07:00; blocked until the reset"),
    (dict(method="thin-evidence", burn_rate=None), "no rate yet; too early to tell"),
])
def test_one_sentence_reads_the_rate_and_the_forecast_together(kw, expected):
    assert outlook(forecast(**kw), UTC, NOW) == expected


def test_a_close_call_may_run_out_rather_than_lasts():
    # a week expected at 100.3 %: under even odds (people stop), so not "runs out", but not "lasts"
    f = forecast(method="profile", projected=100.0, projected_high=100.0, run_out_probability=0.45,
                 exhausts_at=NOW + timedelta(hours=40))
    assert outlook(f, UTC, NOW) == "idle now; at your usual pace may run out before the reset (45 % chance)"
    f.run_out_probability = 0.2
    assert outlook(f, UTC, NOW) == ("idle now; at your usual pace lasts, but a busy spell runs out first "
                                    "(up to 100 %) (20 % chance)")


def test_the_outlook_names_the_run_out_probability_when_the_forecast_has_one():
    f = forecast(method="profile", projected=95.0)
    f.run_out_probability = 0.35  # the field the forecast gives (issue 21); rendered whenever present
    assert outlook(f, UTC, NOW).endswith("(95 % by then) (35 % chance)")
