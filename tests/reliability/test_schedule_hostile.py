"""What `schedule install` writes, under hostile values (issue 22, items 5-7b): secrets kept out of
what is printed and out of 0644 files, the user's options never doubled, every format escaped and
read back, and the run's environment pinned so that it works from cron's empty one."""

from __future__ import annotations

import os
import plistlib
import shlex
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.fixtures import USAGE_PATH, run, usage_body, write_auth

MARKER = " # installed by codex-usage-tracker"


def _env_file() -> Path:
    return Path(os.environ["TRACKER_HOME"]) / "schedule.env"


def test_secrets_are_never_printed_nor_in_a_world_readable_file(fake_crontab):
    db = "postgresql+psycopg://writer:DBSECRETPW@db.example/codex"
    hook = "https://hooks.example/x?token=HOOKSECRET42"
    printed = run("schedule", "install", "--scheduler", "cron", "--print", "--", "--db", db, "--webhook", hook)
    installed = run("schedule", "install", "--scheduler", "cron", "--", f"--db={db}", "--webhook", hook)
    assert printed.exit_code == 0 and installed.exit_code == 0, installed.output
    for text in (printed.output, installed.output, fake_crontab.read_text()):
        assert "DBSECRETPW" not in text and "HOOKSECRET42" not in text
    assert "writer:***@db.example" in printed.output
    env_file = _env_file()
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert "DBSECRETPW" in env_file.read_text() and "HOOKSECRET42" in env_file.read_text()


@pytest.mark.parametrize("spelling", [["--db=/srv/x.db"], ["--db", "/srv/x.db"]])
def test_the_user_s_db_is_respected_and_never_doubled(fake_crontab, spelling):
    assert run("schedule", "install", "--scheduler", "cron", "--", *spelling).exit_code == 0
    line = fake_crontab.read_text().splitlines()[-1]
    assert "--db" not in line
    assert [row for row in _env_file().read_text().splitlines() if row.startswith("TRACKER_DB=")] == \
        ["TRACKER_DB='/srv/x.db'"]


def _systemd_argv(exec_start: str) -> list[str]:
    """systemd's reading of ExecStart= for what we write: %% is %, then shell-like quoting."""
    return shlex.split(exec_start.replace("%%", "%"))


def test_systemd_and_launchd_files_read_back_to_the_same_arguments(tmp_path, monkeypatch):
    from tracker.cli.schedule import build_plan

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    odd = tmp_path / "a%h b&c<d>"
    args = ["--account-dir", str(odd)]
    systemd = build_plan("systemd", timedelta(minutes=5), args, {"CODEX_HOME": str(odd)})
    service = next(text for path, text in systemd.files.items() if path.name.endswith(".service"))
    exec_start = next(line for line in service.splitlines() if line.startswith("ExecStart="))[len("ExecStart="):]
    assert _systemd_argv(exec_start) == systemd.command and str(odd) in systemd.command
    assert "%h" not in exec_start.replace("%%", "")  # no specifier left for systemd to expand
    launchd = build_plan("launchd", timedelta(minutes=5), args, {"CODEX_HOME": str(odd)})
    agent = plistlib.loads(next(iter(launchd.files.values())).encode())
    assert agent["ProgramArguments"] == launchd.command and agent["EnvironmentVariables"] == {"CODEX_HOME": str(odd)}


def test_the_scheduled_line_runs_from_an_empty_environment(fake_crontab, tmp_path, httpserver, monkeypatch):
    home = tmp_path / "my codex home"  # a space: one path, not two
    write_auth(home / "auth.json", "cronjob")
    httpserver.expect_request(USAGE_PATH).respond_with_json(usage_body())
    monkeypatch.setenv("CODEX_HOME", str(home))
    monkeypatch.setenv("TRACKER_USAGE_URL", httpserver.url_for("/backend-api"))
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "cron.db"))
    assert run("schedule", "install", "--scheduler", "cron").exit_code == 0
    line = fake_crontab.read_text().splitlines()[-1]
    command = line.split(" ", 5)[5].removesuffix(MARKER).replace("\\%", "%")
    done = subprocess.run(["env", "-i", "/bin/sh", "-c", command], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = sqlite3.connect(tmp_path / "cron.db").execute("select count(*) from snapshots").fetchone()[0]
    assert rows == 1 and sys.executable in command
