"""Token counts of session logs: each snapshot keeps the line's use (the difference of the
session's cumulative counts) and the totals as logged, across appends, resets and copies."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import timedelta

import pytest

from tests.fixtures import HIST_T0, rate_line, write_log
from tracker.collect.session_tokens import SessionTokens, load_totals, read_counts
from tracker.collect.sessions import import_sessions
from tracker.records import TokenCounts
from tracker.storage.db import make_engine, upgrade
from tracker.storage.store import Store

WEEK_RESET = HIST_T0 + timedelta(days=5)


def at(minutes):
    return HIST_T0 + timedelta(minutes=minutes)


def line(minutes, total=None, last=None, weekly=10.0):
    return rate_line(at(minutes), None, (weekly, WEEK_RESET) if weekly is not None else None, total=total, last=last)


def uses(store, account="me"):
    return [(t, tuple(vars(c).values())) for t, c in store.token_uses(account, None, None)]


@pytest.mark.parametrize(("steps", "expected"), [
    # cumulative counts: the differences
    ([((100, 40, 10, 2), None), ((250, 140, 30, 5), None)], [(100, 40, 10, 2), (150, 100, 20, 3)]),
    # a count that goes back: the line's last_token_usage, never a negative use
    ([((500, 0, 50, 0), None), ((80, 0, 8, 0), (80, 0, 8, 0))], [(500, 0, 50, 0), (80, 0, 8, 0)]),
    # going back with no last_token_usage: a new count from zero
    ([((500, 0, 50, 0), None), ((80, 0, 8, 0), None)], [(500, 0, 50, 0), (80, 0, 8, 0)]),
    # the same totals repeated (Codex writes some lines twice): nothing more used
    ([((100, 0, 10, 0), None), ((100, 0, 10, 0), None)], [(100, 0, 10, 0), (0, 0, 0, 0)]),
    # only last_token_usage: taken as it is
    ([(None, (7, 1, 2, 0))], [(7, 1, 2, 0)]),
])
def test_a_lines_use_is_the_difference_of_the_cumulative_counts(steps, expected):
    session = SessionTokens(from_start=True)
    got = []
    for total, last in steps:
        info = {}
        for key, counts in (("total_token_usage", total), ("last_token_usage", last)):
            if counts:
                info[key] = dict(zip(("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens"),
                                     counts, strict=True))
        use, totals = session.step(info)
        session.take(totals)
        got.append(tuple(vars(use).values()))
    assert got == expected


def test_garbage_counts_are_no_counts():
    assert read_counts({"input_tokens": -1, "output_tokens": "9", "cached_input_tokens": True}) is None
    assert read_counts(None) is None
    assert read_counts({"input_tokens": 5.0}) == TokenCounts(input=5)
    assert SessionTokens(True).step(None) == (None, None)
    assert load_totals("[1, 2]") is None and load_totals("{") is None and load_totals(None) is None
    # resumed where the last import kept no totals: the first line's use is its own last_token_usage
    resumed = SessionTokens(from_start=False, totals=None)
    use, totals = resumed.step({"total_token_usage": {"input_tokens": 900}})
    assert use is None
    resumed.take(totals)
    assert resumed.step({"total_token_usage": {"input_tokens": 950}})[0] == TokenCounts(input=50)


def test_import_keeps_each_lines_use_and_the_totals(tmp_path, db_path):
    home = tmp_path / "home"
    write_log(home / "sessions/2026/11/09/rollout-a.jsonl", [
        line(0),  # no counts yet (info null): a reading without tokens
        line(1, total=(1000, 600, 100, 40)),
        rate_line(at(2), total=(1500, 900, 180, 60)),  # counts but no rate limits: moves the count only
        line(3, total=(2100, 1500, 200, 70), weekly=11.0),
    ])
    with Store.open(f"sqlite:///{db_path}") as store:
        summary = import_sessions(store, [("me", home)])
        assert summary.imported == 3
        assert uses(store) == [(at(1), (1000, 600, 100, 40)), (at(3), (1100, 900, 100, 30))]
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT total_input_tokens, total_cached_input_tokens, total_output_tokens, "
                            "total_reasoning_output_tokens FROM snapshots ORDER BY collected_at").fetchall() == [
            (None, None, None, None), (1000, 600, 100, 40), (2100, 1500, 200, 70)]


def test_appended_lines_continue_the_difference_and_copies_count_once(tmp_path, db_path):
    home = tmp_path / "home"
    path = home / "sessions/2026/11/09/rollout-b.jsonl"
    first = [line(0, total=(100, 0, 10, 0)), line(5, total=(300, 100, 30, 0))]
    write_log(path, first)
    with Store.open(f"sqlite:///{db_path}") as store:
        import_sessions(store, [("me", home)])
        write_log(path, [*first, line(9, total=(450, 150, 35, 0), weekly=12.0)])
        import_sessions(store, [("me", home)])  # resumes mid-file: 450 - 300, not 450
        # Codex archives the session: the same lines under archived_sessions/ are no new use
        write_log(home / "archived_sessions/rollout-b.jsonl", [*first, line(9, total=(450, 150, 35, 0), weekly=12.0)])
        summary = import_sessions(store, [("me", home)])
        assert summary.imported == 0 and summary.duplicates == 3
        assert uses(store) == [(at(0), (100, 0, 10, 0)), (at(5), (200, 100, 20, 0)), (at(9), (150, 50, 5, 0))]


def test_lines_before_since_still_move_the_count(tmp_path, db_path):
    home = tmp_path / "home"
    write_log(home / "sessions/rollout-c.jsonl", [line(0, total=(100, 0, 1, 0)), line(60, total=(130, 0, 2, 0))])
    with Store.open(f"sqlite:///{db_path}") as store:
        import_sessions(store, [("me", home)], since=at(30))
        assert uses(store) == [(at(60), (30, 0, 1, 0))]


def test_an_older_database_upgrades_keeping_rows_and_resumes_with_last_usage(tmp_path):
    """A database from before token counts (0005): its rows stay, and a session log it had half
    read resumes with the next line's own last_token_usage (no total kept to subtract from)."""
    home = tmp_path / "home"
    first = line(0, total=(100, 0, 10, 0))
    path = write_log(home / "sessions/rollout-d.jsonl", [first])
    db = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine, "0005")
    offset = len(first) + 1
    with engine.begin() as conn:  # what 0005 stored after reading the first line
        conn.exec_driver_sql("INSERT INTO accounts (id, name, created_at) VALUES (1, 'me', 0)")
        conn.exec_driver_sql("INSERT INTO snapshots (id, account_id, collected_at, source) "
                             f"VALUES (1, 1, {int(at(0).timestamp() * 1000)}, 'session-log')")
        conn.exec_driver_sql("INSERT INTO series (id, account_id, limit_name, kind, window_seconds) "
                             "VALUES (1, 1, 'codex', 'weekly', 604800)")
        conn.exec_driver_sql(f"INSERT INTO windows VALUES (1, {int(at(0).timestamp() * 1000)}, 1, 10.0, "
                             f"{int(WEEK_RESET.timestamp())})")
        conn.exec_driver_sql("INSERT INTO import_progress VALUES (?, 'me', ?, ?, ?, ?)", (
            str(path.resolve()), offset, path.stat().st_mtime_ns, offset,
            hashlib.sha1(path.read_bytes()[:offset]).hexdigest()))
    engine.dispose()
    write_log(path, [first, line(7, total=(160, 20, 14, 0), last=(60, 20, 4, 0), weekly=11.0)])
    with Store.open(f"sqlite:///{db}") as store:
        summary = import_sessions(store, [("me", home)])
        assert summary.imported == 1 and summary.files_read == 1
        assert [h.used_percent for h in store.history(newest_first=False)] == [10.0, 11.0]
        assert uses(store) == [(at(7), (60, 20, 4, 0))]
