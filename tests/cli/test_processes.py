"""The installed entry point and overlapping cron runs, as real processes."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from tests.fixtures import USAGE_PATH, usage_body, write_auth


def tracker_cmd() -> list[str]:
    exe = shutil.which("tracker", path=os.path.dirname(sys.executable)) or shutil.which("tracker")
    return [exe] if exe else [sys.executable, "-m", "tracker"]


def test_installed_entry_point_and_module_run():
    for cmd in (tracker_cmd(), [sys.executable, "-m", "tracker"]):
        out = subprocess.run([*cmd, "--help"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0
        assert "collect" in out.stdout


def test_help_and_collect_do_not_import_heavy_modules(tmp_path):
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from tracker.cli import cli\n"
        "CliRunner().invoke(cli, ['--help'])\n"
        "print(sorted(m for m in ('sqlalchemy', 'matplotlib', 'requests', 'alembic') if m in sys.modules))\n"
        f"CliRunner().invoke(cli, ['collect', '--db', r'{tmp_path / 'x.db'}'])\n"
        "print('matplotlib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.splitlines() == ["[]", "False"]


@pytest.mark.slow
def test_eight_overlapping_collects_all_succeed(httpserver, usage_url, tmp_path):
    accounts = tmp_path / "accounts"
    for i in range(10):
        write_auth(accounts / f"acct{i}.auth.json", f"acct{i}")
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    db = tmp_path / "shared.db"
    env = {**os.environ, "TRACKER_DB": str(db), "TRACKER_ACCOUNT_DIR": str(accounts), "TRACKER_USAGE_URL": usage_url}
    procs = [subprocess.Popen([*tracker_cmd(), "collect", "--quiet"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(8)]
    outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert outcomes == [(0, "")] * 8
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from snapshots").fetchone() == (80,)
        assert conn.execute("select count(*) from windows").fetchone() == (160,)
        assert conn.execute("select count(*) from accounts").fetchone() == (10,)
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
