"""import-sessions on a generated Codex home: both layouts, both reset formats, garbage, appends."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
from click.testing import CliRunner

from tests.fixtures import SESSION_T0 as T0
from tests.fixtures import make_codex_home, token_line
from tests.fixtures import session_ts as ts
from tests.fixtures import write_session_file as write
from tracker.cli.root import cli
from tracker.collect.sessions import import_sessions
from tracker.storage.store import Store


@pytest.fixture
def codex_home(tmp_path):
    return make_codex_home(tmp_path)


def stored(store):
    return [(h.collected_at, h.kind, h.used_percent, h.reset_at, h.source) for h in store.history(newest_first=False)]


def test_import_exact_snapshots_and_idempotence(codex_home, db_path):
    store = Store.open(f"sqlite:///{db_path}")
    summary = import_sessions(store, [("me", codex_home)])
    assert summary.imported == 5
    assert summary.skipped == {"not_json": 1, "no_rate_limits": 1, "unparsed": 1, "truncated_last_line": 1}
    assert summary.files == 3
    at = lambda m: T0 + timedelta(minutes=m)  # noqa: E731
    assert stored(store) == [
        (at(-60), "five_hour", 1.0, at(-60) + timedelta(hours=1), "session-log"),
        (at(-60), "weekly", 24.0, at(-60) + timedelta(days=1), "session-log"),
        (at(1), "five_hour", 2.0, at(1) + timedelta(hours=1), "session-log"),
        (at(1), "weekly", 25.0, at(1) + timedelta(days=1), "session-log"),
        (at(2), "five_hour", 4.0, at(2) + timedelta(hours=1), "session-log"),
        (at(2), "weekly", 26.0, at(2) + timedelta(days=1), "session-log"),
        (at(10), "five_hour", 6.0, at(10) + timedelta(hours=1), "session-log"),  # relative reset
        (at(14), "weekly", 27.0, at(14) + timedelta(days=1), "session-log"),
    ]
    again = import_sessions(store, [("me", codex_home)])
    assert (again.imported, again.files_read) == (0, 0)  # nothing changed: nothing is read
    assert len(stored(store)) == 8
    # forgetting the read positions re-reads everything and still stores nothing twice
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM import_progress")
    third = import_sessions(store, [("me", codex_home)])
    assert (third.imported, third.duplicates) == (0, 5)
    store.close()


def test_appended_and_completed_lines_are_read_next_time(codex_home, db_path):
    store = Store.open(f"sqlite:///{db_path}")
    import_sessions(store, [("me", codex_home)])
    archived = codex_home / "archived_sessions/rollout-2025-11-15.jsonl"
    text = archived.read_text()
    archived.write_text(text[: text.rindex("\n") + 1] + token_line(-30, 1.5, 24.5) + "\n")
    with open(codex_home / "sessions/2025/11/16/rollout-2025-11-16T02-00-00-a.jsonl", "a") as handle:
        handle.write(token_line(20, 9.0, 30.0) + "\n")
    summary = import_sessions(store, [("me", codex_home)])
    assert summary.imported == 2 and summary.duplicates == 0
    assert summary.lines == 2  # only the new lines were read
    store.close()


def test_rewritten_file_is_read_again_safely(codex_home, db_path):
    store = Store.open(f"sqlite:///{db_path}")
    import_sessions(store, [("me", codex_home)])
    path = codex_home / "sessions/rollout-old.jsonl"
    write(path, [token_line(30, 50.0, 60.0)])  # truncated and rewritten: shorter, new head
    summary = import_sessions(store, [("me", codex_home)])
    assert summary.imported == 1
    store.close()


def test_since_and_interleaving_with_collected_snapshots(codex_home, db_path):
    from tracker.records import SnapshotRecord, Usage, Window

    store = Store.open(f"sqlite:///{db_path}")
    store.add_snapshots([SnapshotRecord("me", T0 + timedelta(minutes=5), "api",
                                        Usage([Window("codex", "five_hour", 18000, 5.0, None)]))])
    summary = import_sessions(store, [("me", codex_home)], since=T0)
    assert summary.skipped["before_since"] == 1
    assert [(r.collected_at, r.source) for r in store.history(newest_first=False) if r.kind == "five_hour"] == [
        (T0 + timedelta(minutes=1), "session-log"), (T0 + timedelta(minutes=2), "session-log"),
        (T0 + timedelta(minutes=5), "api"), (T0 + timedelta(minutes=10), "session-log"),
    ]
    store.close()


def test_vanished_and_unreadable_files_are_counted(codex_home, db_path, monkeypatch):
    import tracker.collect.sessions as sessions

    store = Store.open(f"sqlite:///{db_path}")
    real_plan = sessions.plan_files

    def plan_then_delete(*args):
        plan = real_plan(*args)
        plan[0].path.unlink()  # the file vanishes between planning and reading
        return plan

    monkeypatch.setattr(sessions, "plan_files", plan_then_delete)
    summary = sessions.import_sessions(store, [("me", codex_home)])
    assert summary.skipped["vanished_file"] == 1
    assert summary.imported >= 1
    store.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory")
def test_unreadable_directory(codex_home, db_path):
    locked = codex_home / "sessions/2025"
    locked.chmod(0)
    try:
        store = Store.open(f"sqlite:///{db_path}")
        assert import_sessions(store, [("me", codex_home)]).skipped["unreadable_directory"] == 1
        store.close()
    finally:
        locked.chmod(0o755)


def test_cli_names_the_account_like_collect(codex_home, tmp_path, monkeypatch):
    db = tmp_path / "c.db"
    monkeypatch.setenv("CODEX_HOME", str(codex_home))
    result = CliRunner().invoke(cli, ["import-sessions", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["imported"] == 5 and data["skipped"]["not_json"] == 1
    rows = json.loads(CliRunner().invoke(cli, ["history", "--db", str(db), "--format", "json"]).stdout)
    assert {r["account"] for r in rows} == {"default"} and {r["source"] for r in rows} == {"session-log"}
    result = CliRunner().invoke(cli, ["import-sessions", "--db", str(db), "--codex-home", str(codex_home),
                                      "--account", "work"])
    assert result.exit_code == 0
    assert "5 snapshots imported" in result.stdout
    missing = CliRunner().invoke(cli, ["import-sessions", "--db", str(db), "--codex-home", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "no Codex home" in missing.stderr


def test_the_collector_is_left_as_it_was_found(codex_home, tmp_path):
    """import-sessions keeps start-up's objects out of the collector while it reads (gc.freeze):
    afterwards, and after a failure, nothing stays frozen (used in-process, that would be a leak)."""
    import gc

    frozen = gc.get_freeze_count()
    done = CliRunner().invoke(cli, ["import-sessions", "--db", str(tmp_path / "c.db"), "--codex-home", str(codex_home)])
    failed = CliRunner().invoke(cli, ["import-sessions", "--db", str(tmp_path), "--codex-home", str(codex_home)])
    assert done.exit_code == 0 and "5 snapshots imported" in done.stdout, done.output
    assert failed.exit_code != 0 and gc.get_freeze_count() == frozen


def test_progress_bar_appears_only_on_a_terminal_after_two_seconds(capsys):
    from tracker.views.progress import LazyProgressBar as _LazyProgressBar

    now = [0.0]
    bar = _LazyProgressBar(clock=lambda: now[0], enabled=True)
    bar.plan(1000)
    bar.advance(100)
    assert bar.bar is None  # quick imports show nothing
    now[0] = 2.5
    bar.advance(100)
    assert bar.bar is not None and bar.done == 200
    bar.close()
    piped = _LazyProgressBar(clock=lambda: now[0] * 10, enabled=False)
    piped.advance(5)
    now[0] = 100
    piped.advance(5)
    assert piped.bar is None  # never when piped


@pytest.mark.parametrize("block", [7, 64, 333])
def test_block_boundaries_do_not_change_the_result(codex_home, tmp_path, monkeypatch, block):
    """Lines split across many blocks (and longer than a block) are read exactly as with big blocks."""
    import tracker.collect.session_files as session_files
    import tracker.collect.sessions as sessions

    long_line = json.dumps({"timestamp": ts(3), "type": "response_item", "payload": {"text": "y" * 5000}})
    with open(codex_home / "sessions/rollout-old.jsonl", "a") as handle:
        handle.write(long_line + "\n" + token_line(40, 11.0, 31.0) + "\n")
    reference = Store.open(f"sqlite:///{tmp_path / 'ref.db'}")
    expected = import_sessions(reference, [("me", codex_home)])
    monkeypatch.setattr(session_files, "BLOCK_BYTES", block)
    small = Store.open(f"sqlite:///{tmp_path / f'small{block}.db'}")
    got = sessions.import_sessions(small, [("me", codex_home)])
    assert got.as_dict() == expected.as_dict()
    assert stored(small) == stored(reference)
    assert expected.imported == 6 and expected.skipped["truncated_last_line"] == 1
    reference.close()
    small.close()


def test_repeated_limits_reuse_is_exact(tmp_path, db_path):
    home = tmp_path / ".codex"
    same = token_line(1, 5.0, 20.0)
    write(home / "sessions/rollout-r.jsonl", [
        same, same.replace(ts(1), ts(2)),  # identical limits (absolute resets) at two moments
        token_line(3, 6.0, None, relative=True), token_line(4, 6.0, None, relative=True),  # relative: differ
    ])
    store = Store.open(f"sqlite:///{db_path}")
    import_sessions(store, [("me", home)])
    rows = [(r.collected_at, r.kind, r.reset_at) for r in store.history(newest_first=False)]
    at = lambda m: T0 + timedelta(minutes=m)  # noqa: E731
    assert rows == [
        (at(1), "five_hour", at(1) + timedelta(hours=1)), (at(1), "weekly", at(1) + timedelta(days=1)),
        (at(2), "five_hour", at(1) + timedelta(hours=1)), (at(2), "weekly", at(1) + timedelta(days=1)),
        (at(3), "five_hour", at(3) + timedelta(hours=1)),
        (at(4), "five_hour", at(4) + timedelta(hours=1)),  # relative to its own line, not the cached one
    ]
    store.close()
