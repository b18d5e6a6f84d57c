"""The shared team store: the same flows against PostgreSQL (skipped when no server answers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from tests.fixtures import USAGE_PATH, make_codex_home, usage_body, write_auth
from tracker.cli.root import cli
from tracker.storage.db import SCHEMA_HEAD, current_revision, make_engine, upgrade
from tracker.storage.store import Store

pytestmark = pytest.mark.postgres


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_migrations_from_every_revision_and_no_drift(pg_db):
    from alembic import command
    from alembic.script import ScriptDirectory

    from tracker.storage.db import alembic_config

    revisions = [r.revision for r in reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions()))]
    engine = make_engine(pg_db)
    upgrade(engine, revisions[0])
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO accounts (id, name, created_at) VALUES (1, 'old', 0)")
        conn.exec_driver_sql("INSERT INTO snapshots (id, account_id, collected_at, source) VALUES (7, 1, 1700000000000, 'api')")
    upgrade(engine)
    assert current_revision(engine) == SCHEMA_HEAD
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM snapshots").scalar() == 1
        command.check(alembic_config(conn))
    engine.dispose()


def test_collect_report_history(httpserver, usage_url, tmp_path, pg_db):
    accounts = tmp_path / "accounts"
    write_auth(accounts / "a.auth.json", "a")
    write_auth(accounts / "b.auth.json", "b")
    t0 = datetime(2026, 11, 20, 10, tzinfo=UTC)
    for i in range(3):
        httpserver.clear()
        httpserver.expect_request(USAGE_PATH).respond_with_json(
            usage_body(10 + 10 * i, 20 + i, five_reset=int((t0 + timedelta(hours=4)).timestamp()),
                       weekly_reset=int((t0 + timedelta(days=3)).timestamp())))
        at = (t0 + timedelta(minutes=30 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        result = run("collect", "--account-dir", str(accounts), "--url", usage_url, "--db", pg_db, "--at", at, "-q")
        assert result.exit_code == 0, result.stderr
    data = json.loads(run("report", "--db", pg_db, "--json", "--at", "2026-11-20T11:00:00Z").stdout)
    assert [a["account"] for a in data["accounts"]] == ["a", "b"]
    five = data["accounts"][0]["windows"][0]
    assert (five["used_percent"], five["burn_rate_percent_per_hour"]) == (30.0, 20.0)
    rows = json.loads(run("history", "--db", pg_db, "--format", "json").stdout)
    assert len(rows) == 12


@pytest.mark.slow
def test_concurrent_collectors_from_several_processes(httpserver, usage_url, tmp_path, pg_db):
    accounts = tmp_path / "accounts"
    for i in range(6):
        write_auth(accounts / f"acct{i}.auth.json", f"acct{i}")
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    env = {**os.environ, "TRACKER_DB": pg_db, "TRACKER_ACCOUNT_DIR": str(accounts), "TRACKER_USAGE_URL": usage_url}
    procs = [subprocess.Popen([sys.executable, "-m", "tracker", "collect", "-q"], env=env, stderr=subprocess.PIPE,
                              text=True) for _ in range(5)]
    outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    for p in procs:
        p.stderr.close()
    assert outcomes == [(0, "")] * 5
    store = Store.open(pg_db)
    assert store.snapshot_count() == 30
    assert len(store.account_names()) == 6
    store.close()


def test_demo_chart_prune(tmp_path, pg_db):
    result = run("demo", "--db", pg_db, "--accounts", "3", "--days", "3", "-o", str(tmp_path / "d.png"))
    assert result.exit_code == 0, result.output
    assert run("chart", "--db", pg_db, "-o", str(tmp_path / "c.svg")).exit_code == 0
    assert (tmp_path / "c.svg").read_text().startswith("<?xml")
    store = Store.open(pg_db)
    before = store.snapshot_count()
    result = run("prune", "--db", pg_db, "--older-than", "1d", "--downsample", "1h")
    assert result.exit_code == 0, result.output
    assert 0 < store.snapshot_count() < before
    store.close()


def test_import_sessions_idempotent(tmp_path, pg_db):
    codex_home = make_codex_home(tmp_path)
    first = json.loads(run("import-sessions", "--db", pg_db, "--codex-home", str(codex_home), "--json").stdout)
    again = json.loads(run("import-sessions", "--db", pg_db, "--codex-home", str(codex_home), "--json").stdout)
    assert (first["imported"], again["imported"]) == (5, 0)


def test_missing_driver_names_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_psycopg(name, *args, **kwargs):
        if name == "psycopg":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_psycopg)
    result = run("report", "--db", "postgresql://u@127.0.0.1/x")
    assert result.exit_code == 4
    assert "pip install 'codex-quota-history[postgres]'" in result.stderr


def test_a_reader_on_postgresql_cannot_write(pg_db):
    from tracker.records import SnapshotRecord, Usage, Window

    Store.open(pg_db).close()
    reader = Store.open(pg_db, readonly=True)
    record = SnapshotRecord("w", datetime(2026, 11, 18, tzinfo=UTC), "api", Usage([Window("codex", "weekly", 604800, 1.0, None)]))
    with pytest.raises(Exception, match="read-only transaction"):
        reader.add_snapshots([record])
    reader.close()
