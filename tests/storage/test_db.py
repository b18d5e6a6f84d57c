"""Engines, pragmas, file mode and migrations on real SQLite files."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from tests.fixtures import NOW, revisions
from tracker.errors import StorageError
from tracker.records import SnapshotRecord, Usage, Window
from tracker.storage.codec import pack_body, unpack_body
from tracker.storage.db import (
    SCHEMA_HEAD,
    current_revision,
    make_engine,
    migrations_dir,
    open_database,
    upgrade,
)
from tracker.storage.store import Store


def test_schema_head_constant_matches_the_migrations():
    from alembic.script import ScriptDirectory

    from tracker.storage.db import alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [SCHEMA_HEAD]


def test_new_database_is_private_wal_and_at_head(db_path):
    engine = open_database(f"sqlite:///{db_path}")
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert current_revision(engine) == SCHEMA_HEAD
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        conn.execute(text("SELECT count(*) FROM snapshots")).scalar()
        for side in ("-wal", "-shm"):  # SQLite gives its side files the database file's mode
            side_file = db_path.with_name(db_path.name + side)
            assert side_file.exists() and stat.S_IMODE(side_file.stat().st_mode) == 0o600
    engine.dispose()


def test_models_and_migrations_agree(db_path):
    from alembic import command

    from tracker.storage.db import alembic_config

    engine = open_database(f"sqlite:///{db_path}")
    with engine.connect() as conn:
        command.check(alembic_config(conn))  # raises if autogenerate finds a difference
    engine.dispose()


def test_opening_at_head_does_not_import_alembic(db_path):
    open_database(f"sqlite:///{db_path}").dispose()
    code = (
        "import sys; from tracker.storage.store import Store; "
        f"s = Store.open('sqlite:///{db_path}'); s.snapshot_count(); "
        "print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_unwritable_location_is_a_storage_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StorageError, match="cannot create the database"):
        make_engine(f"sqlite:///{blocker}/sub/tracker.db")


def test_database_from_a_newer_version_is_refused(db_path):
    engine = open_database(f"sqlite:///{db_path}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StorageError, match="newer"):
        upgrade(engine)
    engine.dispose()


def test_migrations_ship_inside_the_package_or_the_checkout():
    assert (migrations_dir() / "env.py").exists()


def test_body_codec_round_trip_and_size():
    body = b'{"plan_type":"plus","rate_limit":{"allowed":true,"limit_reached":false,"primary_window":{"used_percent":42,"limit_window_seconds":18000,"reset_after_seconds":7312,"reset_at":1764400000}}}'
    packed = pack_body(body)
    assert unpack_body(packed) == body
    assert len(packed) < len(body) / 3
    assert unpack_body(pack_body(b"\x00\x01")) == b"\x00\x01"
    assert pack_body(None) is None and unpack_body(None) is None


def test_snapshot_round_trip(db_path):
    store = Store.open(f"sqlite:///{db_path}")
    at = datetime.fromtimestamp(NOW, tz=UTC)
    usage = Usage(windows=[Window("codex", "five_hour", 18000, 42.5, datetime.fromtimestamp(NOW + 60, tz=UTC)),
                           Window("codex", "other", None, 1.0, None)], plan="pro")
    ids = store.add_snapshots([SnapshotRecord("w", at, "api", usage, b'{"raw": 1}')])
    rows = store.history()
    assert [(r.account, r.kind, r.window_seconds, r.used_percent, r.reset_at, r.collected_at, r.plan) for r in rows] == [
        ("w", "five_hour", 18000, 42.5, datetime.fromtimestamp(NOW + 60, tz=UTC), at, "pro"),
        ("w", "other", None, 1.0, None, at, "pro"),
    ]
    assert store.raw_body(ids[0]) == b'{"raw": 1}'
    store.close()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select count(*) from windows").fetchone() == (2,)


@pytest.mark.parametrize("revision", revisions())
def test_database_at_every_past_revision_upgrades_without_losing_rows(tmp_path, revision):
    db = tmp_path / f"at-{revision}.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine, revision)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO accounts (id, name, created_at) VALUES (1, 'old', 0)")
        conn.exec_driver_sql("INSERT INTO snapshots (id, account_id, collected_at, source) VALUES (7, 1, 1700000000000, 'api')")
        conn.exec_driver_sql("INSERT INTO series (id, account_id, limit_name, kind, window_seconds) VALUES (1, 1, 'codex', 'weekly', 604800)")
        conn.exec_driver_sql("INSERT INTO windows VALUES (1, 1700000000000, 7, 55.0, 1700100000)")
        conn.exec_driver_sql("INSERT INTO failures (account_id, at, kind, message) VALUES (1, 1700000000001, 'http_error', 'x')")
    engine.dispose()
    store = Store.open(f"sqlite:///{db}")
    assert current_revision(store.engine) == SCHEMA_HEAD
    [row] = store.history()
    assert (row.snapshot_id, row.account, row.used_percent, row.kind) == (7, "old", 55.0, "weekly")
    assert len(store.failures()) == 1
    store.close()


def test_alembic_command_line_from_the_repository_root(tmp_path):
    """Developers run `alembic upgrade head` / `alembic check` from the checkout (alembic.ini)."""
    import os
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    if not (root / "alembic.ini").exists():
        pytest.skip("not a source checkout")
    db = tmp_path / "dev.db"
    env = {**os.environ, "TRACKER_DB": str(db)}
    for args in (["upgrade", "head"], ["check"]):
        out = subprocess.run([sys.executable, "-m", "alembic", *args], cwd=root, env=env, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
    engine = make_engine(f"sqlite:///{db}")
    assert current_revision(engine) == SCHEMA_HEAD
    engine.dispose()


def test_readonly_open_creates_nothing_and_refuses_what_it_cannot_read(tmp_path):
    from tracker.errors import NoDataError

    missing = tmp_path / "nodir" / "x.db"
    with pytest.raises(NoDataError, match="no database at"):
        Store.open(f"sqlite:///{missing}", readonly=True)
    assert not missing.parent.exists()
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(NoDataError, match="is empty"):
        Store.open(f"sqlite:///{empty}", readonly=True)
    assert empty.stat().st_size == 0
    behind = tmp_path / "behind.db"
    engine = make_engine(f"sqlite:///{behind}")
    upgrade(engine, "0002")
    engine.dispose()
    with Store.open(f"sqlite:///{behind}", readonly=True) as store:  # ours, older: upgraded once, then read
        assert store.history() == []
    assert current_revision(make_engine(f"sqlite:///{behind}")) == SCHEMA_HEAD


def test_readonly_store_cannot_write(db_path):
    Store.open(f"sqlite:///{db_path}").close()
    store = Store.open(f"sqlite:///{db_path}", readonly=True)
    at = datetime.fromtimestamp(NOW, tz=UTC)
    with pytest.raises(Exception, match="readonly"):
        store.add_snapshots([SnapshotRecord("w", at, "api", Usage([Window("codex", "weekly", 604800, 1.0, None)]))])
    assert store.history() == []
    store.close()


def test_the_readings_at_100_percent_are_read_through_their_partial_index(db_path):
    """Blocked time reads every account's week at 100 %: through ix_windows_full (covering), never a
    range read of the week's other readings; the same rows as the plain filter gives."""
    from datetime import timedelta

    from sqlalchemy import event

    store = Store.open(f"sqlite:///{db_path}")
    start = datetime.fromtimestamp(NOW, tz=UTC)
    records = [SnapshotRecord(name, start + timedelta(minutes=5 * i), "api", Usage([Window(
        "codex", "weekly", 604800, min(100.0, i / 2), start + timedelta(days=7))])) for i in range(400)
        for name in ("a", "b")]
    store.add_snapshots(records)
    statements = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, params, context, many: statements.append((statement, params)))
    found = store.readings_at_least("codex", ("weekly",), start, start + timedelta(days=2), 100.0)
    statement, params = statements[-1]
    with store.engine.connect() as conn:
        plan = " ".join(row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params))
    store.close()
    assert "COVERING INDEX ix_windows_full" in plan, plan
    assert {key.account: len(points) for key, points in found.items()} == {"a": 200, "b": 200}
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select count(*) from windows not indexed where used_percent >= 100").fetchone() == (400,)


def test_the_partial_index_keeps_its_postgresql_predicate_once_a_postgresql_engine_is_made():
    # declared without postgresql_where (its check imports the whole PostgreSQL dialect package in
    # every command on SQLite); the predicate is given when a PostgreSQL engine is made
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex

    from tracker.storage.db import make_engine
    from tracker.storage.schema import windows_full_index

    engine = make_engine("postgresql://nobody@127.0.0.1:1/none")  # no connection is made
    for dialect in (engine.dialect, sqlite.dialect()):
        ddl = str(CreateIndex(windows_full_index).compile(dialect=dialect))
        assert ddl.endswith("ON windows (series_id, collected_at, used_percent, reset_at) WHERE used_percent >= 100")


def _stored(path) -> dict[str, list[tuple]]:
    """Every row of the snapshot tables, each value with its SQLite type (1 and 1.0 differ)."""
    with sqlite3.connect(path) as conn:
        return {table: [tuple((type(v).__name__, v) for v in row)
                        for row in conn.execute(f"select * from {table} order by 1, 2")]  # noqa: S608
                for table in ("snapshots", "windows", "series")}


def test_a_batch_is_stored_value_for_value_as_sqlalchemy_stores_it(tmp_path, monkeypatch):
    """SQLite's large batches go to the driver's executemany through the columns' own bind processors
    (``writes._insert_many``): times as epoch ms and seconds, booleans as 0/1, bodies packed, as
    SQLAlchemy's executemany stores them; a count no INTEGER holds is refused as it was, nothing kept."""
    from tracker.records import TokenCounts, UnstorableValue
    from tracker.storage import writes

    start = datetime.fromtimestamp(NOW, tz=UTC)
    records = [SnapshotRecord("w", start.replace(microsecond=1234 * i), "session-log", Usage(
        [Window("codex", "five_hour", 18000, 2.5 * i, start.replace(second=i)),
         Window("codex", "weekly", None if i % 2 else 604800, float(i), None)],
        plan="pro" if i else None, limit_reached=[None, True, False][i % 3], spend_control_reached=bool(i % 2),
        credits_balance="1.5", reset_credits_available=i), b'{"raw": %d}' % i,
        TokenCounts(i, 2, 3, 4) if i % 2 else None, TokenCounts(2**62 - 1, 0, i, 0)) for i in range(6)]
    fast, plain = tmp_path / "fast.db", tmp_path / "plain.db"
    monkeypatch.setattr(writes, "_MANY", 2)  # these few rows go the way of an import's batches
    with Store.open(f"sqlite:///{fast}") as store:
        store.add_snapshots(records)
    with monkeypatch.context() as patched:
        patched.setattr(writes, "_insert_many", lambda conn, table, rows: conn.execute(writes.insert(table), rows))
        with Store.open(f"sqlite:///{plain}") as store:
            store.add_snapshots(records)
    assert _stored(fast) == _stored(plain)
    assert _stored(fast)["snapshots"][1][2] == ("int", NOW * 1000 + 1)  # collected_at in ms

    too_big = [SnapshotRecord("w", start, "api", Usage([Window("codex", "weekly", 604800, 1.0, None)]),
                              tokens=TokenCounts(2**63, 0, 0, 0))] * 2
    with Store.open(f"sqlite:///{fast}") as store, pytest.raises(UnstorableValue, match="OverflowError"):
        store.add_snapshots(too_big)
    assert len(_stored(fast)["snapshots"]) == len(records)
