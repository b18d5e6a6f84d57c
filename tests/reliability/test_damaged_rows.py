"""A database a hand edit or a damaged page left with a value of the wrong type (SQLite keeps
whatever is put in a column: text or a blob where a number belongs, 2^63, a year past 9999): every
read command answers, skipping the unreadable reading, never an internal error (exit 5). Also the
seventh pass's output paths: a file name too long for the file system."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures import run
from tracker.cli.demo import fill_demo
from tracker.storage.store import Store

END = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
AT = "2026-11-27T15:00Z"
LATEST = "(SELECT max(collected_at) FROM windows)"

# each was exit 5, "internal error", in every command listed in READERS (or the ones named)
EDITS = {
    "used % as text": f"UPDATE windows SET used_percent = 'abc' WHERE collected_at > {LATEST} - 7200000",
    "used % as a blob": f"UPDATE windows SET used_percent = x'00ff' WHERE collected_at = {LATEST}",
    "used % infinite": f"UPDATE windows SET used_percent = 1e999 WHERE collected_at = {LATEST}",
    "reset as text": f"UPDATE windows SET reset_at = 'soon' WHERE collected_at > {LATEST} - 7200000",
    "reset at 2^63": f"UPDATE windows SET reset_at = 9223372036854775807 WHERE collected_at > {LATEST} - 7200000",
    "reset in year 10000": f"UPDATE windows SET reset_at = 253402300800 WHERE collected_at > {LATEST} - 7200000",
    "reset with a fraction": "UPDATE windows SET reset_at = reset_at + 0.5",
    "time with a fraction": f"UPDATE windows SET collected_at = collected_at + 0.25 WHERE collected_at = {LATEST}",
    "time as text": f"UPDATE windows SET collected_at = 'x' WHERE collected_at = {LATEST}",
    "snapshot time at 2^63": "UPDATE snapshots SET collected_at = 9223372036854775807 WHERE id = (SELECT max(id) FROM snapshots)",
    "window length as text": "UPDATE series SET window_seconds = 'five hours' WHERE id = 1",
    "window length 2^63": "UPDATE series SET window_seconds = 9223372036854775807",
    "kind, limit and plan as blobs": "UPDATE series SET kind = x'ff00', limit_name = x'ff00ff' WHERE id = 1; "
                                     "UPDATE snapshots SET plan = x'ff'",
    "account name as a blob": "UPDATE accounts SET name = x'c3' WHERE id = 1",
    "a count of credits as text": "UPDATE snapshots SET reset_credits_available = 'many'",
    "token counts as text": "UPDATE snapshots SET input_tokens = 'lots', total_input_tokens = 'x'",
}
READERS = [
    ["report", "--json", "--at", AT], ["report", "--format", "prometheus", "--at", AT],
    ["history", "--format", "json", "--until", AT], ["history", "--limit", "20"], ["export", "--since", "2026-11-26"],
    ["backtest", "--since", "2026-11-24", "--until", AT, "--json"], ["resets", "--until", AT], ["limits"],
    ["accounts", "--json"], ["check", "--at", AT], ["pick", "--at", AT], ["status"],
    ["prune", "--older-than", "2d", "--dry-run"],
]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("damaged") / "demo.db"
    with Store.open(f"sqlite:///{path}") as store:
        fill_demo(store, accounts=2, days=9, interval=timedelta(minutes=30), seed=2, end=END, tz=UTC)
    return path


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_value_of_the_wrong_type_in_a_column_is_skipped_not_an_internal_error(tmp_path, demo_db, edit):
    db = tmp_path / "edited.db"
    shutil.copy(demo_db, db)
    with sqlite3.connect(db) as conn:
        conn.executescript(EDITS[edit])
    charted = [["chart", "--until", AT, "-o", tmp_path / "c.svg"]] if edit == "used % infinite" else []  # chart only
    for args in READERS + charted:
        result = run(*args, "--db", db, "--tz", "UTC") if args[0] in ("report", "backtest", "resets", "limits") \
            else run(*args, "--db", db)
        assert result.exit_code in (0, 1, 10, 20), (edit, args, result.exit_code, result.stderr)
        assert "internal error" not in result.stderr, (edit, args, result.stderr)
    report = json.loads(run("report", "--json", "--at", AT, "--db", db).stdout)
    assert len(report["accounts"]) == 2  # the other account (and the damaged one's other readings) still there
    with sqlite3.connect(db) as conn:  # read, never repaired or deleted behind the person's back
        assert conn.execute("SELECT count(*) FROM windows").fetchone()[0] > 0


def test_the_damaged_reading_is_skipped_and_the_rest_read_as_before(tmp_path, demo_db):
    db = tmp_path / "edited.db"
    shutil.copy(demo_db, db)
    before = json.loads(run("history", "--format", "json", "--until", AT, "--db", db).stdout)
    with sqlite3.connect(db) as conn:
        conn.execute(f"UPDATE windows SET used_percent = 'abc' WHERE collected_at = {LATEST}")
        assert conn.execute("SELECT changes()").fetchone()[0] >= 1
    after = run("history", "--format", "json", "--until", AT, "--db", db)
    assert after.exit_code == 0, after.stderr
    latest = max(row["collected_at"] for row in before)
    assert json.loads(after.stdout) == [row for row in before if row["collected_at"] != latest]


def test_the_dashboard_series_skips_a_damaged_reading(tmp_path, demo_db):
    from tracker.points import SeriesKey
    from tracker.web.queries import read_series

    db = tmp_path / "edited.db"
    shutil.copy(demo_db, db)
    with sqlite3.connect(db) as conn:
        conn.executescript(EDITS["used % as text"] + "; " + EDITS["reset at 2^63"])
        account, limit, kind, seconds = conn.execute(
            "SELECT a.name, s.limit_name, s.kind, s.window_seconds FROM series s JOIN accounts a "
            "ON a.id = s.account_id WHERE s.kind = 'five_hour' LIMIT 1").fetchone()
    with Store.open(f"sqlite:///{db}", readonly=True) as store:
        series = read_series(store, SeriesKey(account, limit, kind, seconds), END - timedelta(days=1), END)
    assert series.points and all(isinstance(p.used_percent, float) for p in series.points)


# the chart's week ends at the demo's END, not at the wall clock (a week after END it found nothing: exit 1)
@pytest.mark.parametrize("command", [["chart", "--until", AT], ["export"], ["export", "--format", "prometheus"]])
def test_an_output_file_name_too_long_is_one_line_exit_2(tmp_path, demo_db, command):
    # ENAMETOOLONG escaped Path.is_symlink(): exit 5, "internal error (OSError: [Errno 36] ...)"
    suffix = ".png" if command[0] == "chart" else ".out"
    result = run(*command, "-o", tmp_path / ("a" * 300 + suffix), "--db", demo_db)
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert result.stderr.count("\n") == 1 and "the file name is too long" in result.stderr


@pytest.mark.parametrize("offset", ["'x'", "-5", "2.5"])
def test_a_read_position_edited_by_hand_reads_the_file_again_and_stores_nothing_twice(tmp_path, offset):
    # import-sessions was exit 5 (TypeError, "read length must be non-negative", "argument should be integer")
    from tests.fixtures import counting_lines, sqlite_rows, write_log

    lines = counting_lines(10)
    home = tmp_path / ".codex"
    write_log(home / "sessions/2026/11/09/rollout-a.jsonl", lines)
    db = tmp_path / "i.db"
    assert run("import-sessions", "--codex-home", f"me={home}", "--db", db).exit_code == 0
    with sqlite3.connect(db) as conn:
        conn.execute(f"UPDATE import_progress SET \"offset\" = {offset}")
    again = run("import-sessions", "--codex-home", f"me={home}", "--db", db)
    assert again.exit_code == 0, again.output
    assert "10 duplicates skipped" in again.stdout
    assert sqlite_rows(db, "SELECT count(*), sum(input_tokens) FROM snapshots") == [(10, 10_000)]


def test_saved_token_totals_nested_deep_are_unknown_not_an_internal_error(tmp_path):
    # json.loads raised RecursionError on resuming the file: import-sessions exit 5
    from tests.fixtures import counting_lines, sqlite_rows, write_log

    lines = counting_lines(12)
    home = tmp_path / ".codex"
    log = write_log(home / "sessions/2026/11/09/rollout-a.jsonl", lines[:6])
    db = tmp_path / "i.db"
    assert run("import-sessions", "--codex-home", f"me={home}", "--db", db).exit_code == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE import_progress SET token_totals = ?", ("[" * 100_000 + "]" * 100_000,))
    write_log(log, lines)  # six more lines: the import resumes at the saved position
    again = run("import-sessions", "--codex-home", f"me={home}", "--db", db)
    assert again.exit_code == 0, again.output
    assert sqlite_rows(db, "SELECT count(*) FROM snapshots") == [(12,)]
