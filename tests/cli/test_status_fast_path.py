"""`tracker status` from the state file (tracker.cli.entry, without click or SQLAlchemy) answers
exactly what the full click path answers, in every format and case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from tests.fixtures import T0, USAGE_PATH, body, iso, run, write_auth

FORMATS = ["text", "json", "waybar", "tmux", "i3blocks"]
# Runs the console script's main() and proves the answer came without click or SQLAlchemy.
FAST = ("import sys; from tracker.cli.entry import main; sys.argv = ['tracker', *sys.argv[1:]]; main(); "
        "assert not {'click', 'sqlalchemy'} & set(sys.modules), 'slow path'")


def collect(accounts, db, url, at, *names):
    return run("collect", *names, "--account-dir", str(accounts), "--url", url, "--db", str(db), "--at", iso(at), "-q")


@pytest.fixture
def two_accounts(httpserver, usage_url, tmp_path):
    """work: the history of history_db; play: never answered, its login expired."""
    accounts = tmp_path / "accounts"
    write_auth(accounts / "work.auth.json", "work")
    write_auth(accounts / "play.auth.json", "play")
    db = tmp_path / "t.db"
    for i in range(5):
        httpserver.expect_ordered_request(USAGE_PATH).respond_with_json(body(10 + 5 * i, 50 + i))
        assert collect(accounts, db, usage_url, T0 + timedelta(minutes=15 * i), "work").exit_code == 0
    return db, accounts, usage_url


def fast(db, *args):
    done = subprocess.run([sys.executable, "-c", FAST, "status", "--db", str(db), *args],
                          capture_output=True, text=True, env={**os.environ, "TRACKER_DB": ""}, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def same(db, at, *args):
    """The full path (writing the state file) and the fast path agree; the full path again, without
    the state file, agrees too."""
    full = run("status", "--db", str(db), "--at", iso(at), "--tz", "UTC", *args)
    assert full.exit_code == 0, full.stderr
    state = db.with_name(db.name + ".status.json")
    assert state.is_file() and oct(state.stat().st_mode & 0o777) == "0o600"
    quick = fast(db, "--at", iso(at), "--tz", "UTC", *args)
    state.unlink()
    again = run("status", "--db", str(db), "--at", iso(at), "--tz", "UTC", *args)
    assert quick == full.stdout == again.stdout
    return quick


@pytest.mark.parametrize("fmt", FORMATS)
def test_fresh_stale_exhausted_login(two_accounts, httpserver, fmt):
    db, accounts, url = two_accounts
    at = T0 + timedelta(hours=1)
    assert "work 5h 70%" in same(db, at, "--format", fmt)  # fresh
    assert "stale" in same(db, T0 + timedelta(hours=3), "--format", fmt, "--kind", "five_hour")
    httpserver.expect_ordered_request(USAGE_PATH).respond_with_data("no", status=401)
    collect(accounts, db, url, at + timedelta(minutes=1), "play")
    out = same(db, at + timedelta(minutes=2), "--format", fmt)
    assert "play" in out and (fmt == "json" or "login needed" in out)  # a login error, and no data
    httpserver.expect_ordered_request(USAGE_PATH).respond_with_json(body(100, 99))
    assert collect(accounts, db, url, at + timedelta(minutes=3), "work").exit_code == 0
    same(db, at + timedelta(minutes=4), "--format", fmt, "--account", "work")  # exhausted


def test_an_account_not_in_the_file_falls_back(two_accounts):
    db, _, _ = two_accounts
    at = iso(T0 + timedelta(hours=1))
    run("status", "--db", str(db), "--at", at)
    done = subprocess.run([sys.executable, "-m", "tracker", "status", "--db", str(db), "--at", at,
                           "--account", "work", "--account", "ghost"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "no account named 'ghost'" in done.stderr and done.stdout.startswith("work ")


def test_the_installed_script_and_no_click(two_accounts):
    db, _, _ = two_accounts
    run("status", "--db", str(db))  # writes the state file for now
    script = os.path.join(os.path.dirname(sys.executable), "tracker")
    out = subprocess.run([script, "status", "--db", str(db), "--tz", "UTC"], capture_output=True, text=True,
                         timeout=60)
    db.with_name(db.name + ".status.json").unlink()
    # The full path (now a second later: the same minute-resolution text, stale either way).
    assert out.stdout == run("status", "--db", str(db), "--tz", "UTC").stdout
    assert fast(db, "--tz", "UTC") == out.stdout


def test_a_state_file_older_than_the_database_is_ignored_and_rewritten(two_accounts, httpserver):
    db, accounts, url = two_accounts
    at = T0 + timedelta(hours=1)
    run("status", "--db", str(db), "--at", iso(at))
    state = db.with_name(db.name + ".status.json")
    before = json.loads(state.read_text())
    with open(db, "ab") as handle:  # the database changed behind the file's back (a size and mtime change)
        handle.write(b"")
    os.utime(db, ns=(before["db_mtime_ns"] + 10**9, before["db_mtime_ns"] + 10**9))
    from tracker.views.statefile import read_state

    assert read_state(db) is None
    assert run("status", "--db", str(db), "--at", iso(at)).exit_code == 0
    assert read_state(db) is not None and read_state(db)["db_mtime_ns"] == before["db_mtime_ns"] + 10**9


# What the fast path must not load: each costs milliseconds of the prompt's budget (bench/startup.py).
COSTLY = ("click", "sqlalchemy", "dataclasses", "inspect", "typing", "pathlib", "zoneinfo", "platformdirs", "shutil",
          "tomllib", "csv")


@pytest.mark.parametrize("args", [["--db", "{db}", "--tz", "UTC"], []])
def test_the_fast_path_loads_nothing_costly(two_accounts, args, monkeypatch):
    db, _, _ = two_accounts
    run("status", "--db", str(db))  # the state file for now
    probe = (FAST.replace("assert not {'click', 'sqlalchemy'} & set(sys.modules), 'slow path'", "")
             + f"print(sorted(set({COSTLY!r}) & set(sys.modules)), file=sys.stderr)")
    env = {**os.environ, "TRACKER_DB": "" if args else str(db), "TZ": "UTC"}  # a named local zone loads zoneinfo
    done = subprocess.run([sys.executable, "-c", probe, "status", *[a.format(db=db) for a in args]],
                          capture_output=True, text=True, env=env, timeout=30)
    assert done.returncode == 0 and done.stdout.startswith("work"), done.stderr
    assert done.stderr.strip() == "[]"


# -- the full path's cost (bench/startup.py: `tracker status` <= 10x `import click`) ---------------


@pytest.mark.parametrize(("env_tz", "args", "opened"), [
    ("UTC", [], 1),  # the file's report is status's own: handed over (was built again: 2 openings)
    ("UTC", ["--stale-after", "2h"], 2),  # another staleness decides other current windows: built again
    ("UTC", ["--account", "work"], 2),  # the file holds every account
    ("Europe/Paris", [], 2),  # --tz UTC, the machine in Paris: the file's usual week is on Paris's clock
])
def test_status_hands_its_report_to_the_state_file_only_when_it_is_the_files(two_accounts, monkeypatch, env_tz,
                                                                               args, opened):
    from tracker.cli.statestore import refresh_state
    from tracker.storage.store import Store

    db, _, _ = two_accounts
    at = T0 + timedelta(hours=1)
    monkeypatch.setenv("TZ", env_tz)
    real, opens = Store.open.__func__, []
    monkeypatch.setattr(Store, "open", classmethod(lambda cls, *a, **k: opens.append(a) or real(cls, *a, **k)))
    result = run("status", "--db", str(db), "--at", iso(at), "--tz", "UTC", *args)
    assert result.exit_code == 0, result.stderr
    assert len(opens) == opened
    state = db.with_name(db.name + ".status.json")
    written = json.loads(state.read_text())
    refresh_state(f"sqlite:///{db}", at)  # the file as built on its own
    assert written == json.loads(state.read_text())
    assert fast(db, "--at", iso(at), "--tz", "UTC", *args) == result.stdout


def test_status_on_sqlite_imports_neither_alembic_nor_the_postgresql_dialect(two_accounts):
    db, _, _ = two_accounts
    probe = ("import sys; from tracker.cli import main; sys.argv = ['tracker', *sys.argv[1:]]\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith(('alembic', 'sqlalchemy.dialects.postgresql'))),"
             " file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe, "status", "--db", str(db)], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.startswith("work") and done.stderr.strip() == "[]", done.stderr  # was the PG dialect (20 ms)
