"""A database created at every past revision, filled, upgraded: every row kept, every command works."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.fixtures import revisions as _revisions
from tracker.cli.root import cli
from tracker.storage.db import make_engine, upgrade


@pytest.mark.parametrize("revision", _revisions())
def test_every_command_works_after_upgrading(revision, tmp_path):
    db = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine, revision)
    with engine.begin() as conn:  # rows as that revision's code wrote them: raw SQL, no models
        conn.exec_driver_sql("INSERT INTO accounts (id, name, created_at, source_path) VALUES (1, 'old', 0, '/x/old.auth.json')")
        conn.exec_driver_sql("INSERT INTO series (id, account_id, limit_name, kind, window_seconds) VALUES (1, 1, 'codex', 'five_hour', 18000)")
        for i in range(12):
            at = 1_795_000_000_000 + i * 300_000
            conn.exec_driver_sql(f"INSERT INTO snapshots (id, account_id, collected_at, source) VALUES ({i + 1}, 1, {at}, 'api')")
            conn.exec_driver_sql(f"INSERT INTO windows VALUES (1, {at}, {i + 1}, {10 + i}, 1795010000)")
        conn.exec_driver_sql("INSERT INTO failures (account_id, at, kind, message) VALUES (1, 1795000000001, 'network_error', 'x')")
    engine.dispose()
    behind = CliRunner().invoke(cli, ["history", "--db", str(db), "--format", "json"])  # ours: a reader upgrades it
    assert behind.exit_code == 0 and behind.stdout.count('"snapshot_id"') == 12, behind.output
    at = "2026-11-18T12:00:00Z"
    commands = [["db", "upgrade"],
        ["report", "--at", at], ["report", "--at", at, "--format", "prometheus"],
        ["history", "--format", "json"], ["history", "--errors"], ["export"],
        ["check", "--at", at], ["pick", "--at", at],
        ["chart", "--since", "2026-11-18", "--until", at, "-o", str(tmp_path / "c.png")],
        ["import-sessions", "--codex-home", str(tmp_path)],
        ["prune", "--older-than", "3650d", "--dry-run"],
    ]
    for args in commands:
        result = CliRunner().invoke(cli, [*args[:1], *(["--db", str(db)] if args[0] != "db" else []), *args[1:],
                                          *(["--db", str(db)] if args[0] == "db" else [])], catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
    result = CliRunner().invoke(cli, ["history", "--db", str(db), "--format", "json"])
    assert result.stdout.count('"snapshot_id"') == 12
