"""Session logs naming thousands of rate-limit ids: each limit family is a series that every
report reads, and 5,000 ids in one log made 9,002 series (`report` 11 s here). An account keeps at
most MAX_ACCOUNT_LIMITS families from session logs, those it already has included; the main quota
always; one warning per account says what was left out; no token is lost."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.fixtures import HIST_T0, rate_line, run, sqlite_rows, write_log
from tracker.collect.sessions import MAX_ACCOUNT_LIMITS

RESET = HIST_T0 + timedelta(days=5)


def _lines(ids: list[str | None], start: int = 0) -> list[str]:
    """One reading per id (None: the main quota), each line's own use 100 input tokens."""
    return [rate_line(HIST_T0 + timedelta(minutes=start + i), None, (float(i % 90), RESET), limit_id=limit_id,
                      total=(100 * (start + i + 1), 0, 10 * (start + i + 1), 0), last=(100, 0, 10, 0))
            for i, limit_id in enumerate(ids)]


def _families(db) -> set[str]:
    return {name for (name,) in sqlite_rows(db, "SELECT DISTINCT limit_name FROM series")}


def test_a_log_naming_hundreds_of_limits_keeps_the_cap_and_every_token(tmp_path):
    ids = [None if i % 10 == 0 else f"codex_x{i:03d}" for i in range(400)] + [None]  # 360 other families
    home, db = tmp_path / ".codex", tmp_path / "t.db"
    write_log(home / "sessions/2026/11/09/rollout-a.jsonl", _lines(ids))
    result = run("import-sessions", "--codex-home", f"me={home}", "--db", db, "--json")
    assert result.exit_code == 0
    families = _families(db)
    assert len(families) == MAX_ACCOUNT_LIMITS and "codex" in families  # was 361
    refused = 360 - (MAX_ACCOUNT_LIMITS - 1)
    summary = json.loads(result.stdout)
    assert summary["skipped"]["too_many_limits"] == refused
    assert summary["refused_limits"] == {"me": {"families": refused, "readings": refused,
                                                "first": ["codex_x035", "codex_x036", "codex_x037"]}}
    [warning] = result.stderr.splitlines()
    assert warning.startswith(f"tracker: warning: me: {refused} limit families past the {MAX_ACCOUNT_LIMITS} ")
    assert "codex_x035, codex_x036, codex_x037 and" in warning
    # the refused lines' tokens are counted with the next reading kept: 401 lines of 100 each
    assert sqlite_rows(db, "SELECT sum(input_tokens), sum(output_tokens) FROM snapshots") == [(40_100, 4_010)]
    report = run("report", "--db", db, "--json", "--at", (HIST_T0 + timedelta(hours=7)).isoformat(), "--tz", "UTC")
    assert report.exit_code == 0
    limits = {w["limit"] for account in json.loads(report.stdout)["accounts"] for w in account["windows"]}
    assert len(limits) <= MAX_ACCOUNT_LIMITS


def test_the_cap_counts_what_the_account_has_and_always_keeps_the_main_quota(tmp_path):
    home, db = tmp_path / ".codex", tmp_path / "t.db"
    path = home / "sessions/2026/11/09/rollout-a.jsonl"
    first = _lines([f"codex_a{i:02d}" for i in range(MAX_ACCOUNT_LIMITS + 5)])  # no main-quota line yet
    write_log(path, first)
    assert run("import-sessions", "--codex-home", f"me={home}", "--db", db).exit_code == 0
    assert len(_families(db)) == MAX_ACCOUNT_LIMITS and "codex" not in _families(db)
    # a later import: known families still stored, new ones refused, the main quota kept past the cap
    write_log(path, first + _lines(["codex_a00", "codex_new", None, "codex_a01"], start=len(first)))
    result = run("import-sessions", "--codex-home", f"me={home}", "--db", db)
    assert result.exit_code == 0
    assert _families(db) == {f"codex_a{i:02d}" for i in range(MAX_ACCOUNT_LIMITS)} | {"codex"}
    assert "me: 1 limit family past the" in result.stderr and "(codex_new;" in result.stderr
    # another account has its own room
    other = tmp_path / ".codex-other"
    write_log(other / "sessions/2026/11/09/rollout-b.jsonl", _lines(["codex_b1", "codex_b2"]))
    result = run("import-sessions", "--codex-home", f"other={other}", "--db", db)
    assert result.exit_code == 0 and result.stderr == ""
    assert sqlite_rows(db, "SELECT count(DISTINCT limit_name) FROM series JOIN accounts ON accounts.id = "
                           "series.account_id WHERE accounts.name = 'other'") == [(2,)]
